"""A soak: thousands of short replies through the bot, watching its resident memory.

The fakes keep every call and message they saw, so they cannot share a process with the
bot whose memory is measured: they run here and the bot runs as ``python -m
tests.fakes.launch`` (the production entry point pointed at the fakes), configured only
through its environment (``benchmarks.process``). Replies are short and Discord's limits
are lifted on both sides (the fake's buckets and the bot's budgets) so thousands fit in
minutes; a fixed number of replies is kept in flight, a new mention injected as each
reply's final write lands.
The bot's VmRSS and CPU time are read from ``/proc/<pid>`` at fixed reply counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from dataclasses import dataclass, field
from typing import Any

from benchmarks.process import (
    NOTES,
    BotProcess,
    Finished,
    bot_process,
    cpu_seconds,
    final,
    rss_mib,
)
from benchmarks.replies import MODEL, WORD, reply_text
from benchmarks.scenarios import question
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.responses_api import FakeResponses, Script

REPLIES = 5_000
DELTAS = 20
RATE = 400  # tok/s: 50 ms of streaming
IN_FLIGHT = 50
CHANNELS = tuple(range(10, 110))
AUTHORS = 200  # cycled: an author's previous mention is long answered when it comes round
FIRST_AUTHOR = 5000
WARMUP = 100
EVERY = 1_000  # RSS checkpoints
FROM = 1_000  # growth is measured from this checkpoint to the last
GROWTH_TARGET = 10.0  # %
# Discord's limits lifted, on the fake and in the bot's settings alike.
CHANNEL_WRITES, CHANNEL_WINDOW = 50, 1.0
GLOBAL_REQUESTS = 2_000
STALL = 60.0  # s without a finished reply before the soak gives up
START = 60.0  # s for the bot to log in and answer its first mention


@dataclass
class Checkpoint:
    """The bot process once ``mark`` replies had finished (``replies``: exactly how many)."""

    mark: int
    replies: int
    at: float  # s since the first mention
    rss: float  # MiB
    cpu: float  # s of the bot's CPU time (user + system)


@dataclass
class SoakResult:
    """What the soak did; ``checkpoints`` end with the idle bot after the last reply."""

    target: int
    injected: int
    done: int
    wall: float
    checkpoints: list[Checkpoint]
    idle: Checkpoint | None
    wrong: int  # finished replies whose final text is not every word in order + footer
    unfinished: int  # mentions never answered with a final write
    reply_times: list[float]  # s, mention injected -> final write landed
    fake_429: int
    fake_429_global: int
    bot_429: int  # discord.rate_limited records in the bot's log
    log_warnings: int  # warning and error records in the bot's log
    exit_code: int | None
    notes: list[str] = field(default_factory=list)

    def at(self, replies: int) -> Checkpoint | None:
        """The checkpoint taken at ``replies`` finished replies, if any."""
        return next((c for c in self.checkpoints if c.mark == replies), None)

    def growth(self) -> tuple[Checkpoint, Checkpoint, float] | None:
        """RSS growth in % from FROM replies (or the warm-up) to the last checkpoint."""
        start = self.at(FROM) or self.at(WARMUP)
        end = self.checkpoints[-1] if self.checkpoints else None
        if start is None or end is None or end is start:
            return None
        return start, end, (end.rss - start.rss) / start.rss * 100


def checkpoints_for(target: int) -> list[int]:
    """Reply counts at which the bot is sampled: after the warm-up, every EVERY, the last."""
    marks = {min(WARMUP, target), target, *range(EVERY, target, EVERY)}
    return sorted(marks)


def wrong_replies(fake: FakeDiscord, replies: set[int], deltas: int) -> int:
    """Finished replies whose messages do not hold exactly their words in order + footer."""
    words: dict[int, list[int]] = {}
    last: dict[int, str] = {}
    for message in fake.bot_messages():  # creation order
        for r, k in WORD.findall(message.content):
            words.setdefault(int(r), []).append(int(k))
            last[int(r)] = message.content
    expected = list(range(deltas))
    return sum(words.get(r) != expected or not final(last.get(r, "")) for r in replies)


def sample(pid: int, mark: int, replies: int, started: float) -> Checkpoint:
    """The bot's memory and CPU time now."""
    return Checkpoint(mark, replies, time.monotonic() - started, rss_mib(pid), cpu_seconds(pid))


async def drive(
    discord_fake: FakeDiscord, bot: BotProcess, target: int, deltas: int, result: SoakResult
) -> dict[int, float]:
    """Keep IN_FLIGHT mentions unanswered until ``target`` replies finished; sample the bot."""
    proc = bot.proc
    finished = Finished(discord_fake)
    injected_at: dict[int, float] = {}

    async def mention(i: int) -> None:
        injected_at[i] = time.monotonic()
        channel = CHANNELS[i % len(CHANNELS)]
        author = FIRST_AUTHOR + i % AUTHORS
        await discord_fake.inject_message(channel, f"soak question {i}", author_id=author)

    def progressed(seen: int) -> bool:
        return finished.scan() > seen or proc.returncode is not None

    # A mention that arrives before the bot is ready may be dropped, and the soak would wait
    # for it forever: wait for the heartbeat, which the bot writes only once ready.
    try:
        async with asyncio.timeout(START):
            await bot.wait_ready(START)
            if proc.returncode is None:
                await mention(0)
                await discord_fake.wait_for(lambda _: progressed(0), timeout=START, poll=0.5)
    except TimeoutError:
        result.notes.append(f"the bot did not answer a first mention within {START:.0f} s")
        return finished.at
    if proc.returncode is not None:
        result.notes.append(f"the bot exited with code {proc.returncode} before the soak")
        return finished.at
    started = time.monotonic()
    marks = checkpoints_for(target)
    while len(finished.at) < target and proc.returncode is None:
        done = len(finished.at)
        while marks and marks[0] <= done:
            result.checkpoints.append(sample(proc.pid, marks.pop(0), done, started))
        while len(injected_at) - done < IN_FLIGHT and len(injected_at) < target + IN_FLIGHT:
            await mention(len(injected_at))
        try:
            await discord_fake.wait_for(lambda _, d=done: progressed(d), timeout=STALL, poll=1.0)
        except TimeoutError:
            result.notes.append(f"no reply finished for {STALL:.0f} s after {done} replies")
            break
    done = len(finished.at)
    while marks and marks[0] <= done:
        result.checkpoints.append(sample(proc.pid, marks.pop(0), done, started))
    result.wall = time.monotonic() - started
    result.done = done
    # The replies still in flight finish, then the idle bot is sampled once more.
    with contextlib.suppress(TimeoutError):
        await discord_fake.wait_for(
            lambda _: finished.scan() >= len(injected_at) or proc.returncode is not None,
            timeout=STALL,
            poll=1.0,
        )
    if proc.returncode is None:
        await asyncio.sleep(1.0)
        result.idle = sample(proc.pid, len(finished.at), len(finished.at), started)
    result.injected = len(injected_at)
    result.unfinished = len(injected_at) - len(finished.at)
    result.reply_times = [finished.at[i] - t for i, t in injected_at.items() if i in finished.at]
    result.wrong = wrong_replies(discord_fake, set(finished.at), deltas)
    return finished.at


async def run_soak(target: int = REPLIES, deltas: int = DELTAS) -> SoakResult:
    """Start the fakes here and the bot in its own process; drive ``target`` replies."""
    result = SoakResult(target, 0, 0, math.nan, [], None, 0, 0, [], 0, 0, 0, 0, None)
    discord_fake = FakeDiscord(
        channel_ids=CHANNELS,
        write_limit=CHANNEL_WRITES,
        write_window=CHANNEL_WINDOW,
        global_limit=GLOBAL_REQUESTS,
    )
    model_fake = FakeResponses()
    model_fake.models = [MODEL]  # what the bot's start-up check of the server expects to see

    def script(body: dict[str, Any]) -> Script:
        reply = int(question(body).rsplit(" ", 1)[-1])  # "soak question <reply>"
        return Script(text=reply_text(reply, deltas), rate=RATE)

    model_fake.route(script)
    # Discord's limits lifted in the bot's settings too.
    lifted = {
        "BOT_CHANNEL_WRITES": str(CHANNEL_WRITES),
        "BOT_CHANNEL_WINDOW": str(CHANNEL_WINDOW),
        "BOT_GLOBAL_REQUESTS": str(GLOBAL_REQUESTS),
    }
    async with (
        discord_fake,
        model_fake,
        bot_process(discord_fake, model_fake, "relaybot-soak-", **lifted) as bot,
    ):
        await drive(discord_fake, bot, target, deltas, result)
    result.exit_code = bot.exit_code
    result.fake_429 = discord_fake.count_429
    result.fake_429_global = discord_fake.count_429_global
    log = bot.log()
    result.bot_429, result.log_warnings = len(log.rate_limited), len(log.warnings)
    result.notes += log.notes[:NOTES]
    return result


def measure_soak(target: int = REPLIES, deltas: int = DELTAS) -> SoakResult:
    """Run the soak and return what it measured."""
    return asyncio.run(run_soak(target, deltas))


def soak_table(result: SoakResult) -> list[str]:
    """The markdown lines for the report."""
    times = result.reply_times
    mean_time = sum(times) / len(times) if times else math.nan
    p95_time = sorted(times)[math.ceil(0.95 * len(times)) - 1] if times else math.nan
    lines = [
        (
            f"### Soak: {result.done:,} replies through the bot in its own process "
            f"({DELTAS} deltas at {RATE} tok/s, {IN_FLIGHT} in flight over {len(CHANNELS)} "
            f"channels, Discord's limits lifted)"
        ),
        "",
        (
            "| replies done (mentions) | wall, s | replies/s | reply time, s (mean / p95) "
            "| wrong replies | never finished | 429s: fake (global) / bot | bot log warnings "
            "| bot exit code |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        (
            f"| {result.done:,} ({result.injected:,}) | {result.wall:.1f} "
            f"| {result.done / result.wall:.1f} "
            f"| {mean_time:.2f} / {p95_time:.2f} | {result.wrong} | {result.unfinished} "
            f"| {result.fake_429} ({result.fake_429_global}) / {result.bot_429} "
            f"| {result.log_warnings} | {result.exit_code} |"
        ),
        "",
        "| after replies | at, s | bot RSS, MiB | bot CPU per reply since the previous row, ms |",
        "|---:|---:|---:|---:|",
    ]
    previous: Checkpoint | None = None
    rows = [*result.checkpoints, *([result.idle] if result.idle else [])]
    for point in rows:
        label = f"{point.mark:,}"
        if point is result.idle:
            label += " (all done, idle 1 s)"
        elif point.mark == WARMUP:
            label += " (warm-up)"
        if point.replies != point.mark:
            label += f" ({point.replies:,} exactly)"
        per_reply = "-"
        if previous is not None and point.replies > previous.replies:
            spent = (point.cpu - previous.cpu) / (point.replies - previous.replies)
            per_reply = f"{spent * 1000:.1f}"
        lines.append(f"| {label} | {point.at:.1f} | {point.rss:.1f} | {per_reply} |")
        previous = point
    lines.append("")
    growth = result.growth()
    if growth is not None:
        start, end, percent = growth
        verdict = "PASS" if percent < GROWTH_TARGET else "FAIL"
        lines += [
            (
                f"- bot memory growth {start.mark:,} → {end.mark:,} replies "
                f"< {GROWTH_TARGET:.0f} %: **{verdict}** — {start.rss:.1f} → {end.rss:.1f} MiB "
                f"({percent:+.1f} %)"
            ),
            "",
        ]
    if result.notes:
        lines += [f"- {note[:200]}" for note in result.notes]
        lines.append("")
    return lines
