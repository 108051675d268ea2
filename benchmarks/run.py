"""End-to-end latency of the real bot against the fakes, plus the relay's CPU cost per delta.

    uv run python -m benchmarks.run                        # full run, rewrites docs/performance.md
    uv run python -m benchmarks.run --quick                # ~4 s replies, prints only
    uv run python -m benchmarks.run --scenario 1-stream    # one scenario (both rates)
    uv run python -m benchmarks.run --scenario relay-cpu   # only the CPU measurement

The bot is the real one (``bot.discord_front.client.RelayBot``: discord.py, AsyncOpenAI,
the pacer, the relay), run in this process against ``tests.fakes.discord_server.FakeDiscord``
(5 writes per 5 s per channel, sliding window) and ``tests.fakes.responses_server.FakeResponses``,
both on 127.0.0.1. See docs/performance.md for what each number means.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import io
import itertools
import json
import math
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import discord.gateway
import discord.http
import structlog
import yarl

from bot.config import Settings
from bot.core.llm import Finished, Started, TextDelta, Usage
from bot.core.pacing import Pacer
from bot.core.relay.relay import Relay
from bot.discord_front import layout as render
from bot.discord_front.client import RelayBot
from bot.logs import configure_logging
from tests.fakes.discord_server import FakeDiscord, FakeMessage
from tests.fakes.responses_server import FakeResponses, Script, StreamRecord, split_words
from tests.support.clock import FakeClock
from tests.support.sinks import RecordingSink

MODEL = "bench-model"
FOOTER = f"-# {MODEL} · "
TTFT = 0.3
RATES = (60, 200)
FULL_DELTAS = 720  # ~12 s of streaming at 60 tok/s
QUICK_DELTAS = 240  # ~4 s at 60 tok/s
WARMUP_DELTAS = 40
CPU_SIZES = (1_000, 10_000, 100_000)
QUICK_CPU_SIZES = (1_000, 10_000)
CPU_RATE = 200.0  # virtual tokens per second fed to the relay in the CPU measurement
# One word per delta; "r<reply>w<k>" is word (and delta) k of reply <reply>.
WORD = re.compile(r"\br(\d+)w(\d+)\b")
DOCS = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
BEGIN = "<!-- results:begin (written by benchmarks/run.py) -->"
END = "<!-- results:end -->"

# Targets.
FIRST_VISIBLE_MS = 50.0
STALENESS_S = 0.65
COMPLETION_S = 1.1
WRITE_RATE = (0.8, 1.05)  # "about one write per second" per channel while streaming
WRITE_GAP = 1.5  # s, and never much longer than that without a write
CPU_GROWTH = 1.5  # per-delta CPU at the largest N may be at most this times that at N=1000


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
CPU_SCENARIO = "relay-cpu"


# --------------------------------------------------------------------------- the reply text


def reply_text(reply: int, deltas: int) -> str:
    """``deltas`` unique words ``r<reply>w<k>``: sentences of 12 words, paragraphs of 60."""
    out = []
    for k in range(deltas):
        word = f"r{reply}w{k}"
        if k == deltas - 1:
            out.append(word + ".")
        elif k % 60 == 59:
            out.append(word + ".\n\n")
        elif k % 12 == 11:
            out.append(word + ". ")
        else:
            out.append(word + " ")
    text = "".join(out)
    assert len(split_words(text)) == deltas  # the fake sends exactly one word per delta
    return text


# --------------------------------------------------------------------------- results


@dataclass
class StreamResult:
    reply: int
    channel: int
    deltas: int
    first_visible: float  # s, first delta written -> first write showing text landed
    staleness: list[float]  # s, per delta shown
    missing: int  # deltas never shown by any write
    completion: float  # s, last delta written -> the reply's last write landed
    writes: int
    messages: int
    shrinks: int  # writes after which the reply showed fewer words than just before
    hidden_words: int  # words that were visible, then vanished for a while
    longest_hidden: float  # s, the longest such absence
    final_footer: bool  # the last message ends with the footer, no live indicator left
    text_intact: bool  # the final messages hold every word, in order


@dataclass
class ScenarioResult:
    name: str
    rate: int
    deltas: int
    streams: list[StreamResult]
    fake_429: int
    bot_429: int
    write_rate: dict[int, float]  # channel -> successful writes per second while streaming
    write_gap: dict[int, float]  # channel -> longest time without a write while streaming
    max_in_window: dict[int, int]  # channel -> most writes in any 5 s
    failed_writes: int  # writes the fake answered with a non-2xx status
    wall: float
    cpu: float
    loop_lag: list[float]
    records: list[dict[str, Any]]  # reply.finished
    warnings: list[str]
    anomalies: list[str] = field(default_factory=list)

    @property
    def first_visible(self) -> list[float]:
        return [s.first_visible for s in self.streams]

    @property
    def staleness(self) -> list[float]:
        return [x for s in self.streams for x in s.staleness]

    @property
    def completion(self) -> list[float]:
        return [s.completion for s in self.streams]


@dataclass
class CpuResult:
    mode: str
    deltas: int
    kilobytes: float
    writes: int
    messages: int
    cpu: float  # s, relay run including the driver
    driver: float  # s, the driver alone (same generator, no relay)
    intact: bool

    def per_1000(self, seconds: float) -> float:
        return seconds / self.deltas * 1000 * 1000  # ms per 1000 deltas


def p95(values: list[float]) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else math.nan


# --------------------------------------------------------------------------- running the bot


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


async def run_scenario(scenario: Scenario, rate: int, deltas: int) -> ScenarioResult:
    discord_fake = FakeDiscord()
    model_fake = FakeResponses()
    await discord_fake.start()
    await model_fake.start()
    scripts = {
        f"bench question {i}": Script(text=reply_text(i, deltas), ttft=TTFT, rate=rate)
        for i in range(len(scenario.channels))
    }
    model_fake.route(lambda body: scripts.get(body.get("input")))
    settings = Settings(
        discord_token=discord_fake.token,
        openai_api_key="test-key",
        openai_base_url=model_fake.base_url,
        model=MODEL,
        models=(MODEL,),
    )
    lag: list[float] = []
    stop = asyncio.Event()
    expected = TTFT + deltas / rate
    try:
        with discord_pointed_at(discord_fake), structlog.testing.capture_logs() as records:
            bot = RelayBot(settings, guild_ready_timeout=0.1)
            async with discord_fake.running(bot):
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
    return analyse(
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


def attribute(messages: list[FakeMessage], anomalies: list[str]) -> dict[int, list[FakeMessage]]:
    """Which reply each bot message belongs to, from the unique words it ever showed."""
    by_reply: dict[int, list[FakeMessage]] = {}
    for message in messages:
        replies = {int(r) for _, content in message.history for r, _ in WORD.findall(content)}
        if len(replies) != 1:
            anomalies.append(
                f"message {message.id} in channel {message.channel_id} shows words of "
                f"replies {sorted(replies)}: {message.content[:80]!r}"
            )
            continue
        by_reply.setdefault(replies.pop(), []).append(message)
    return by_reply


def text_regressions(messages: list[FakeMessage]) -> tuple[int, int, float]:
    """Writes that made shown words vanish (all messages of the reply together)."""
    versions = sorted((t, i, content) for i, m in enumerate(messages) for t, content in m.history)
    current: dict[int, set[int]] = {}
    visible: set[int] = set()
    lost_at: dict[int, float] = {}
    shrinks, hidden, longest = 0, 0, 0.0
    for t, i, content in versions:
        current[i] = {int(k) for _, k in WORD.findall(content)}
        now = set().union(*current.values())
        lost = visible - now
        if lost:
            shrinks += 1
            hidden += len(lost)
            lost_at.update(dict.fromkeys(lost, t))
        for k in [k for k in lost_at if k in now]:
            longest = max(longest, t - lost_at.pop(k))
        visible = now
    return shrinks, hidden, longest


def analyse_stream(
    reply: int, channel: int, stream: StreamRecord, messages: list[FakeMessage]
) -> StreamResult:
    delta_at = [t for t, _ in stream.delta_times]
    versions = sorted((t, content) for m in messages for t, content in m.history)
    shrinks, hidden, longest = text_regressions(messages)
    first_seen: dict[int, float] = {}
    for t, content in versions:
        for _, k in WORD.findall(content):
            first_seen.setdefault(int(k), t)
    shown = [t for t, content in versions if WORD.search(content)]
    staleness = [first_seen[k] - t for k, t in enumerate(delta_at) if k in first_seen]
    final = [m.content for m in messages]  # creation order
    words = [int(k) for content in final for _, k in WORD.findall(content)]
    return StreamResult(
        reply=reply,
        channel=channel,
        deltas=len(delta_at),
        first_visible=(shown[0] - delta_at[0]) if shown and delta_at else math.nan,
        staleness=staleness,
        missing=len(delta_at) - len(staleness),
        completion=(versions[-1][0] - delta_at[-1]) if versions and delta_at else math.nan,
        writes=len(versions),
        messages=len(messages),
        shrinks=shrinks,
        hidden_words=hidden,
        longest_hidden=longest,
        final_footer=bool(final)
        and FOOTER in final[-1].rsplit("\n", 1)[-1]
        and not any(render.LIVE_INDICATOR in c for c in final),
        text_intact=words == list(range(len(delta_at))),
    )


def analyse(
    scenario: Scenario,
    rate: int,
    deltas: int,
    discord_fake: FakeDiscord,
    model_fake: FakeResponses,
    *,
    bot_429: int,
    wall: float,
    cpu: float,
    lag: list[float],
    records: list[dict[str, Any]],
    warnings: list[str],
) -> ScenarioResult:
    anomalies: list[str] = []
    by_reply = attribute(discord_fake.bot_messages(), anomalies)
    streams: dict[int, StreamRecord] = {}
    for stream in model_fake.streams:
        reply = int(stream.request.prompt.rsplit(" ", 1)[-1])
        streams[reply] = stream
    results = []
    for reply, channel in enumerate(scenario.channels):
        stream = streams.get(reply)
        if stream is None:
            anomalies.append(f"reply {reply}: the model server never saw its request")
            continue
        if stream.ended_how != "completed":
            anomalies.append(f"reply {reply}: model stream ended {stream.ended_how}")
        results.append(analyse_stream(reply, channel, stream, by_reply.get(reply, [])))

    write_rate: dict[int, float] = {}
    write_gap: dict[int, float] = {}
    max_in_window: dict[int, int] = {}
    for channel in sorted(set(scenario.channels)):
        mine = [
            streams[r] for r, c in enumerate(scenario.channels) if c == channel and r in streams
        ]
        start = min(s.delta_times[0][0] for s in mine)
        end = max(s.delta_times[-1][0] for s in mine)
        ok = [c.t for c in discord_fake.writes(channel) if 200 <= c.status < 300]
        during = [t for t in ok if start <= t <= end]
        # Writes are evenly spaced, so the rate is (n - 1) over the first-to-last span; the
        # longest gap (from the first delta, between writes, to the last delta) catches stalls.
        span = during[-1] - during[0] if len(during) >= 2 else 0.0
        write_rate[channel] = (len(during) - 1) / span if span > 0 else math.nan
        edges = [start, *during, end]
        write_gap[channel] = max(b - a for a, b in itertools.pairwise(edges))
        max_in_window[channel] = max(
            (sum(1 for u in ok if t <= u < t + discord_fake.write_window) for t in ok), default=0
        )
    failed = [c for c in discord_fake.writes() if not 200 <= c.status < 300]
    anomalies.extend(f"write {c.method} {c.path} answered {c.status}" for c in failed)
    for result in results:
        if result.missing:
            anomalies.append(f"reply {result.reply}: {result.missing} deltas never shown")
        if not result.final_footer:
            anomalies.append(f"reply {result.reply}: last message has no footer / live indicator")
        if not result.text_intact:
            anomalies.append(f"reply {result.reply}: final messages do not hold the exact text")
    anomalies.extend(
        f"reply.finished: {record}"
        for record in records
        if record.get("status") != "completed" or not record.get("final_written")
    )
    return ScenarioResult(
        name=scenario.name,
        rate=rate,
        deltas=deltas,
        streams=results,
        fake_429=discord_fake.count_429,
        bot_429=bot_429,
        write_rate=write_rate,
        write_gap=write_gap,
        max_in_window=max_in_window,
        failed_writes=len(failed),
        wall=wall,
        cpu=cpu,
        loop_lag=lag,
        records=records,
        warnings=warnings,
        anomalies=anomalies,
    )


# --------------------------------------------------------------------------- relay CPU


async def feed(
    pieces: list[str], clock: FakeClock, fed: asyncio.Event
) -> AsyncIterator[Started | TextDelta | Finished]:
    """The model stream: one delta per 1/CPU_RATE virtual seconds, yielding the loop each time."""
    step = 1 / CPU_RATE
    yield Started("resp_bench", MODEL)
    for piece in pieces:
        clock.tick(step)
        yield TextDelta(piece)
        await asyncio.sleep(0)
    fed.set()
    yield Finished("completed", usage=Usage(input_tokens=1, output_tokens=len(pieces)))


async def relay_cpu(pieces: list[str], mode: str) -> tuple[float, RecordingSink, int]:
    clock = FakeClock(0.0)
    if mode == "paced":
        pacer = Pacer(clock=clock)  # Discord's budget: 5 writes per 5 s (+0.25 s margin)
    else:
        pacer = Pacer(channel_writes=1000, channel_window=1.0, clock=clock)
    sink = RecordingSink()
    relay = Relay(sink, pacer, model=MODEL, clock=clock)
    fed = asyncio.Event()
    gc.collect()
    start = time.process_time()
    task = asyncio.create_task(relay.run(feed(pieces, clock, fed)))
    await fed.wait()
    while not task.done():  # let virtual time pass until the final write got its slot
        clock.tick(0.01)
        await asyncio.sleep(0)
    outcome = task.result()
    return time.process_time() - start, sink, outcome.messages


async def driver_cpu(pieces: list[str]) -> float:
    clock = FakeClock(0.0)
    fed = asyncio.Event()
    gc.collect()
    start = time.process_time()
    async for _ in feed(pieces, clock, fed):
        pass
    return time.process_time() - start


def measure_cpu(sizes: tuple[int, ...]) -> list[CpuResult]:
    results = []
    for mode in ("paced", "unthrottled"):
        for n in sizes:
            text = reply_text(0, n)
            pieces = split_words(text)
            repeats = 5 if n <= 10_000 else 2
            best: tuple[float, RecordingSink, int] | None = None
            for _ in range(repeats):
                run = asyncio.run(relay_cpu(pieces, mode))
                if best is None or run[0] < best[0]:
                    best = run
            assert best is not None
            driver = min(asyncio.run(driver_cpu(pieces)) for _ in range(repeats))
            cpu, sink, messages = best
            words = [int(k) for content in sink.messages for _, k in WORD.findall(content)]
            intact = (
                words == list(range(n))
                and FOOTER in sink.messages[-1]
                and not any(render.LIVE_INDICATOR in c for c in sink.messages)
            )
            results.append(
                CpuResult(
                    mode=mode,
                    deltas=n,
                    kilobytes=len(text.encode()) / 1000,
                    writes=sink.writes,
                    messages=messages,
                    cpu=cpu,
                    driver=driver,
                    intact=intact,
                )
            )
            print(
                f"  relay CPU {mode:<11} N={n:>7,}: "
                f"{results[-1].per_1000(cpu):7.1f} ms/1000 deltas "
                f"(driver alone {results[-1].per_1000(driver):.1f}), {sink.writes} writes, "
                f"{messages} messages",
                flush=True,
            )
    return results


# --------------------------------------------------------------------------- reporting


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def results_table(results: list[ScenarioResult]) -> list[str]:
    lines = [
        (
            "| scenario | tok/s | deltas/reply | first visible text, ms (mean / max) "
            "| staleness, s (mean / p95) | completion lag, s (mean / max) | writes/reply "
            "| messages/reply | 429s (fake / bot) | writes/s per channel while streaming |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rates = list(r.write_rate.values())
        rate_text = f"{rates[0]:.2f}" if len(rates) == 1 else f"{min(rates):.2f} - {max(rates):.2f}"
        rate_text += f" (longest gap {max(r.write_gap.values()):.2f} s)"
        lines.append(
            f"| {r.name} | {r.rate} | {r.deltas} "
            f"| {mean(r.first_visible) * 1000:.0f} / {max(r.first_visible) * 1000:.0f} "
            f"| {mean(r.staleness):.2f} / {p95(r.staleness):.2f} "
            f"| {mean(r.completion):.2f} / {max(r.completion):.2f} "
            f"| {mean([s.writes for s in r.streams]):.1f} "
            f"| {mean([s.messages for s in r.streams]):.1f} "
            f"| {r.fake_429} / {r.bot_429} | {rate_text} |"
        )
    return lines


def targets_table(results: list[ScenarioResult]) -> list[str]:
    lines = [
        (
            f"| scenario | tok/s | first visible ≤ {FIRST_VISIBLE_MS:.0f} ms (max) "
            f"| mean staleness ≤ {STALENESS_S} s | completion lag ≤ {COMPLETION_S} s (max) "
            f"| zero 429s | ~1 write/s per channel ({WRITE_RATE[0]}-{WRITE_RATE[1]}/s, "
            f"no gap > {WRITE_GAP} s) |"
        ),
        "|---|---:|---|---|---|---|---|",
    ]
    for r in results:
        first = max(r.first_visible) * 1000
        stale = mean(r.staleness)
        done = max(r.completion)
        zero = r.fake_429 == 0 and r.bot_429 == 0
        rates = list(r.write_rate.values())
        gap = max(r.write_gap.values())
        steady = all(WRITE_RATE[0] <= x <= WRITE_RATE[1] for x in rates) and gap <= WRITE_GAP
        lines.append(
            f"| {r.name} | {r.rate} "
            f"| {verdict(first <= FIRST_VISIBLE_MS)} ({first:.0f} ms) "
            f"| {verdict(stale <= STALENESS_S)} ({stale:.2f} s) "
            f"| {verdict(done <= COMPLETION_S)} ({done:.2f} s) "
            f"| {verdict(zero)} ({r.fake_429 + r.bot_429}) "
            f"| {verdict(steady)} ({min(rates):.2f}-{max(rates):.2f}/s, gap {gap:.2f} s) |"
        )
    return lines


def per_stream_table(results: list[ScenarioResult]) -> list[str]:
    lines = [
        (
            "| scenario | tok/s | reply | channel | first visible, ms "
            "| staleness mean / p95 / max, s | completion lag, s | writes | messages |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if len(r.streams) == 1:
            continue
        lines.extend(
            f"| {r.name} | {r.rate} | {s.reply} | {s.channel} | {s.first_visible * 1000:.0f} "
            f"| {mean(s.staleness):.2f} / {p95(s.staleness):.2f} / {max(s.staleness):.2f} "
            f"| {s.completion:.2f} | {s.writes} | {s.messages} |"
            for s in r.streams
        )
    return lines


def diagnostics_table(results: list[ScenarioResult]) -> list[str]:
    lines = [
        (
            "| scenario | tok/s | wall, s | process CPU, % of one core "
            "| event-loop lag p99 / max, ms | max writes in any 5 s per channel "
            "| shown text shrank: writes / words / longest, s "
            "| failed writes | text intact + footer | warnings |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lag_p99 = sorted(r.loop_lag)[int(0.99 * (len(r.loop_lag) - 1))] if r.loop_lag else math.nan
        intact = all(s.text_intact and s.final_footer and not s.missing for s in r.streams)
        lines.append(
            f"| {r.name} | {r.rate} | {r.wall:.1f} | {r.cpu / r.wall * 100:.0f} "
            f"| {lag_p99 * 1000:.1f} / {max(r.loop_lag, default=math.nan) * 1000:.1f} "
            f"| {max(r.max_in_window.values())} "
            f"| {sum(s.shrinks for s in r.streams)} / {sum(s.hidden_words for s in r.streams)} "
            f"/ {max(s.longest_hidden for s in r.streams):.2f} | {r.failed_writes} "
            f"| {'yes' if intact else 'NO'} | {len(r.warnings)} |"
        )
    return lines


def cpu_table(results: list[CpuResult]) -> list[str]:
    lines = [
        (
            "| pacing | deltas | reply size | writes | messages | CPU per 1000 deltas, ms "
            "| driver alone, ms | relay net, ms | output intact |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines.extend(
        f"| {c.mode} | {c.deltas:,} | {c.kilobytes:,.0f} KB | {c.writes:,} | {c.messages} "
        f"| {c.per_1000(c.cpu):.1f} | {c.per_1000(c.driver):.1f} "
        f"| {c.per_1000(c.cpu - c.driver):.1f} | {'yes' if c.intact else 'NO'} |"
        for c in results
    )
    return lines


def cpu_verdicts(results: list[CpuResult]) -> list[str]:
    lines = []
    for mode in ("paced", "unthrottled"):
        mine = sorted((c for c in results if c.mode == mode), key=lambda c: c.deltas)
        if len(mine) < 2:
            continue
        small, large = mine[0], mine[-1]
        growth = large.per_1000(large.cpu) / small.per_1000(small.cpu)
        lines.append(
            f"- relay CPU per delta does not grow with reply length ({mode}): "
            f"**{verdict(growth <= CPU_GROWTH)}** — {large.per_1000(large.cpu):.1f} ms per 1000 "
            f"deltas at N={large.deltas:,} vs {small.per_1000(small.cpu):.1f} at "
            f"N={small.deltas:,} (x{growth:.2f}; target ≤ x{CPU_GROWTH})"
        )
    return lines


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("discord.py", "openai", "aiohttp")
    )
    return (
        f"{os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {versions}"
    )


def report(
    results: list[ScenarioResult],
    cpu: list[CpuResult],
    warmup: ScenarioResult | None,
    *,
    quick: bool,
) -> list[str]:
    out = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
        f"Command: `uv run python -m benchmarks.run{' --quick' if quick else ''}`.",
        "",
    ]
    if results:
        out += ["### Results", "", *results_table(results), ""]
        out += ["### Against the targets", "", *targets_table(results), ""]
        if cpu:
            out += [*cpu_verdicts(cpu), ""]
        streams = per_stream_table(results)
        if len(streams) > 2:
            out += ["### Per reply (multi-stream scenarios)", "", *streams, ""]
        out += ["### Diagnostics", "", *diagnostics_table(results), ""]
        if warmup is not None:
            out += [
                (
                    f"Warm-up reply (not scored, first request of the process): first visible text "
                    f"{warmup.first_visible[0] * 1000:.0f} ms, completion lag "
                    f"{warmup.completion[0]:.2f} s."
                ),
                "",
            ]
    if cpu:
        out += [
            f"### Relay CPU (no network, virtual clock at {CPU_RATE:.0f} tok/s)",
            "",
            *cpu_table(cpu),
            "",
        ]
        if not results:
            out += [*cpu_verdicts(cpu), ""]
    notes = [
        f"- {r.name} @ {r.rate}: {note}"
        for r in results
        for note in [*r.anomalies, *r.warnings][:12]
    ]
    out += ["### Anomalies and warnings", "", *(notes or ["None."]), ""]
    return out


def write_docs(lines: list[str]) -> None:
    block = "\n".join([BEGIN, *lines, END])
    if DOCS.exists() and BEGIN in (text := DOCS.read_text()) and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        DOCS.write_text(head + block + tail)
    else:
        DOCS.parent.mkdir(parents=True, exist_ok=True)
        DOCS.write_text(f"# Performance\n\n{block}\n")
    print(f"\nwrote {DOCS}")


# --------------------------------------------------------------------------- main


async def run_all(chosen: list[Scenario], deltas: int) -> tuple[list[ScenarioResult], Any]:
    results = []
    warmup = None
    if chosen:
        # The first request of a process pays the SDK's one-time warm-up (~0.1 s): keep it
        # out of the scored scenarios, like a bot that has been running for a while.
        warmup = await run_scenario(Scenario("warm-up", (10,), "warm-up"), 200, WARMUP_DELTAS)
    for scenario in chosen:
        for rate in RATES:
            print(f"running {scenario.name} at {rate} tok/s ({deltas} deltas/reply)…", flush=True)
            gc.collect()  # don't charge this scenario with collecting the previous one's garbage
            result = await run_scenario(scenario, rate, deltas)
            print(
                f"  first visible {mean(result.first_visible) * 1000:.0f}/"
                f"{max(result.first_visible) * 1000:.0f} ms, staleness "
                f"{mean(result.staleness):.2f}/{p95(result.staleness):.2f} s, completion "
                f"{mean(result.completion):.2f}/{max(result.completion):.2f} s, 429s "
                f"{result.fake_429}/{result.bot_429}, wall {result.wall:.1f} s",
                flush=True,
            )
            results.append(result)
    return results, warmup


def main(argv: list[str] | None = None) -> int:
    names = [s.name for s in SCENARIOS]
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="~4 s replies (smoke run)")
    parser.add_argument(
        "--scenario", choices=[*names, CPU_SCENARIO], help="run only this scenario (both rates)"
    )
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/performance.md")
    args = parser.parse_args(argv)

    logging_stream = LOG_STREAM
    configure_logging(log_format="json", level="WARNING", stream=logging_stream)

    chosen = [s for s in SCENARIOS if args.scenario in {None, s.name}]
    deltas = QUICK_DELTAS if args.quick else FULL_DELTAS
    started = time.monotonic()
    results, warmup = asyncio.run(run_all(chosen, deltas))
    cpu: list[CpuResult] = []
    if args.scenario in {None, CPU_SCENARIO}:
        print("measuring relay CPU…", flush=True)
        cpu = measure_cpu(QUICK_CPU_SIZES if args.quick else CPU_SIZES)
    lines = report(results, cpu, warmup, quick=args.quick)
    print()
    print("\n".join(lines))
    print(f"total time {time.monotonic() - started:.0f} s")
    if not (args.quick or args.scenario or args.no_docs):
        write_docs(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
