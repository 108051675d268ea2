"""The scenarios: the real bot, in this process, against the fake Discord and the fake model.

Each run gets a fresh bot and fresh fakes, injects one mention per entry of
``Scenario.channels`` and waits until every reply is finished, while a watcher samples the
event loop's lag; the recording is then handed to ``benchmarks.analysis``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import discord.gateway
import discord.http
import structlog
import yarl

from benchmarks.analysis import ScenarioResult, analyse
from benchmarks.observers import observing
from benchmarks.replies import MODEL, reply_text
from bot.config import Settings
from bot.discord_front.client import RelayBot
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.responses_api import FakeResponses, Script
from tests.support.harness import running_bot

TTFT = 0.3
RATES = (60, 200)
FULL_DELTAS = 720  # ~12 s of streaming at 60 tok/s
QUICK_DELTAS = 240  # ~4 s at 60 tok/s
WARMUP_DELTAS = 40


@dataclass(frozen=True)
class Scenario:
    name: str
    channels: tuple[int, ...]  # the channel of each mention, in injection order
    description: str


SCENARIOS = (
    Scenario("1-stream", (10,), "one mention in channel 10"),
    Scenario(
        "4-streams-1-channel",
        (10, 10, 10, 10),
        "four mentions in channel 10, injected back to back",
    ),
    Scenario(
        "8-streams-8-channels",
        tuple(range(10, 18)),
        "eight mentions, one in each of channels 10-17, injected back to back",
    ),
)


def make_settings(discord_fake: FakeDiscord, model_fake: FakeResponses) -> Settings:
    """The bot's settings: default pacing, both fakes' addresses, the bench model."""
    return Settings(
        discord_token=discord_fake.token,
        openai_api_key="test-key",
        openai_base_url=model_fake.base_url,
        model=MODEL,
        models=(MODEL,),
        # One person asks every question: lift the per-user limits out of the way.
        user_concurrency=50,
        user_requests=100_000,
        # A fresh database per bot, as a fresh install has.
        data_dir=tempfile.mkdtemp(prefix="relaybot-bench-"),
    )


def running(settings: Settings, discord_fake: FakeDiscord) -> AbstractAsyncContextManager[RelayBot]:
    """The one place the real bot is built: as the tests build it, logged in to the fake."""
    return running_bot(settings, discord_fake, guild_ready_timeout=0.1)


@contextlib.contextmanager
def discord_pointed_at(fake: FakeDiscord) -> Iterator[None]:
    """What ``FakeDiscord.patch_discord`` does, without pytest's monkeypatch."""
    route = discord.http.Route
    websocket = discord.gateway.DiscordWebSocket
    saved = (route.BASE, websocket.DEFAULT_GATEWAY)
    route.BASE = fake.base_url
    websocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        route.BASE, websocket.DEFAULT_GATEWAY = saved


async def watch_loop(samples: list[float], stop: asyncio.Event) -> None:
    """Event-loop lag: how late a 10 ms sleep wakes up (everything shares this one loop)."""
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(0.01)
        samples.append(time.perf_counter() - start - 0.01)


async def wait_finished(records: list[dict[str, Any]], count: int, limit: float) -> None:
    async with asyncio.timeout(limit):
        while sum(r["event"] == "reply.finished" for r in records) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


LOG_STREAM = io.StringIO()


def stdlib_warnings() -> list[str]:
    """Warnings discord.py, aiohttp or openai logged since the last call."""
    lines = LOG_STREAM.getvalue().splitlines()
    LOG_STREAM.seek(0)
    LOG_STREAM.truncate()
    out = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            out.append(line[:200])
            continue
        out.append(f"{record.get('logger')}: {str(record.get('event'))[:160]}")
    return out


def without(record: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in keys}


def question(body: dict[str, Any]) -> str:
    """The newest user text of a Responses request (``input`` is a list of messages)."""
    return str(body["input"][-1]["content"][0]["text"])


async def run_scenario(
    scenario: Scenario, rate: int, deltas: int, *, http: bool = False
) -> ScenarioResult:
    discord_fake = FakeDiscord()
    model_fake = FakeResponses()
    await discord_fake.start()
    await model_fake.start()
    scripts = {
        f"bench question {i}": Script(text=reply_text(i, deltas), ttft=TTFT, rate=rate)
        for i in range(len(scenario.channels))
    }
    model_fake.route(lambda body: scripts.get(question(body)))
    settings = make_settings(discord_fake, model_fake)
    if http:
        settings = dataclasses.replace(settings, http_addr=("127.0.0.1", 0))
    lag: list[float] = []
    stop = asyncio.Event()
    expected = TTFT + deltas / rate
    try:
        with discord_pointed_at(discord_fake), structlog.testing.capture_logs() as records:
            async with (
                running(settings, discord_fake) as bot,
                observing(bot) if http else contextlib.nullcontext() as observed,
            ):
                watcher = asyncio.create_task(watch_loop(lag, stop))
                wall0, cpu0 = time.monotonic(), time.process_time()
                for i, channel in enumerate(scenario.channels):
                    await discord_fake.inject_message(channel, f"bench question {i}")
                await wait_finished(records, len(scenario.channels), expected * 2 + 60)
                wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
                stop.set()
                await watcher
                bot_429 = bot.monitor.total
    finally:
        await model_fake.stop()
        await discord_fake.stop()
    warnings = [
        f"{r.get('log_level')}: {r['event']} {without(r, 'event', 'log_level')}"
        for r in records
        if r.get("log_level") in {"warning", "error", "critical"}
    ]
    warnings += stdlib_warnings()
    result = analyse(
        scenario,
        rate,
        deltas,
        discord_fake,
        model_fake,
        bot_429=bot_429,
        wall=wall,
        cpu=cpu,
        lag=lag,
        records=[r for r in records if r["event"] == "reply.finished"],
        warnings=warnings,
    )
    result.observed = observed
    return result
