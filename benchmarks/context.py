"""What reading a conversation costs: a 25-message reply chain, cold and warm.

A chain of 25 messages (a person's question, the bot's answer, a follow-up replying to
it, ...) is put into the fake Discord without any gateway event, so a fresh bot has
seen none of it (cold). A new question replying to the end of the chain makes the real
bot walk it; a second question replying to the same end walks it again (warm: the bot
remembers what it parsed). The bot's ``context.read`` record gives the REST calls and
the milliseconds of each walk; the fake's own call log confirms the REST calls.
"""

from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass

import structlog

from benchmarks.scenarios import discord_pointed_at, make_settings, running, wait_finished
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.responses_api import FakeResponses, Script

CHAIN = 25
ROUNDS = 3
CHANNEL = 10


@dataclass
class ContextResult:
    """REST calls and milliseconds per walk, cold and warm, over the rounds."""

    cold_calls: list[int]
    cold_ms: list[float]
    warm_calls: list[int]
    warm_ms: list[float]
    turns: list[int]


def _chain(fake: FakeDiscord) -> int:
    """Store a 24-message chain (no gateway events); return the id of its last message."""
    previous = None
    for i in range(CHAIN - 1):
        bot_turn = i % 2 == 1
        content = f"answer {i}\n-# bench-model · total 1.00 s · 5 tokens" if bot_turn else f"q{i}"
        author = fake.bot_user_id if bot_turn else fake.user_id
        message = fake.add_message(CHANNEL, content, author_id=author)
        message.reference_id = previous
        previous = message.id
    assert previous is not None
    return previous


def _reads(records: list[dict[str, object]]) -> list[dict[str, object]]:
    return [r for r in records if r["event"] == "context.read"]


async def _round() -> tuple[dict[str, object], dict[str, object]]:
    async with FakeDiscord() as discord_fake, FakeResponses() as model_fake:
        model_fake.default = Script(text="ok", rate=1000)
        end = _chain(discord_fake)
        settings = make_settings(discord_fake, model_fake)
        with discord_pointed_at(discord_fake), structlog.testing.capture_logs() as records:
            async with running(settings, discord_fake):
                for count in (1, 2):
                    await discord_fake.inject_message(CHANNEL, "and now?", reference_id=end)
                    await wait_finished(records, count, 30)
        cold, warm = _reads(records)
        gets = [c for c in discord_fake.calls if c.method == "GET" and "/messages/" in c.path]
        assert len(gets) == cold["rest_calls"], (len(gets), cold)
        return cold, warm


def measure_context() -> ContextResult:
    """Walk the chain cold and warm, ``ROUNDS`` times with a fresh bot each time."""
    result = ContextResult([], [], [], [], [])
    for _ in range(ROUNDS):
        cold, warm = asyncio.run(_round())
        result.cold_calls.append(int(cold["rest_calls"]))
        result.cold_ms.append(float(cold["ms"]))
        result.warm_calls.append(int(warm["rest_calls"]))
        result.warm_ms.append(float(warm["ms"]))
        result.turns.append(int(cold["turns"]))
    return result


def context_table(result: ContextResult) -> list[str]:
    """The markdown lines for the report."""
    mean = statistics.fmean
    return [
        f"### Reading a {CHAIN}-message reply chain ({ROUNDS} rounds, a fresh bot each)",
        "",
        "| walk | turns read | REST calls | milliseconds (mean / max) |",
        "|---|---:|---:|---:|",
        (
            f"| cold (nothing seen before) | {result.turns[0]} | {mean(result.cold_calls):.0f} "
            f"| {mean(result.cold_ms):.1f} / {max(result.cold_ms):.1f} |"
        ),
        (
            f"| warm (the same chain again) | {result.turns[0]} | {mean(result.warm_calls):.0f} "
            f"| {mean(result.warm_ms):.1f} / {max(result.warm_ms):.1f} |"
        ),
        "",
    ]
