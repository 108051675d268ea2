"""A burst as an operator sees it: 100 mentions over 20 channels, all within one second.

The real bot runs in this process against the fakes at Discord's limits (5 writes per
5 s per channel, 50 requests per second overall), as ``benchmarks.scenarios`` runs it.
Five replies share each channel, so each reply gets a fifth of the channel's writes: the
staleness a reply can reach is bounded by that, and is reported against the channel's
floor ``n * s / 2`` (n replies in the channel, one write every ``s`` seconds there).
The recording goes through ``benchmarks.analysis`` like the other scenarios; on top come
the 429s by scope, the writes per channel in any 5 s, and the cost of the burst.
"""

from __future__ import annotations

import asyncio
import gc
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from benchmarks.analysis import ScenarioResult, analyse, mean, p95
from benchmarks.replies import reply_text
from benchmarks.scenarios import (
    TTFT,
    WARMUP_DELTAS,
    Scenario,
    discord_pointed_at,
    make_settings,
    question,
    run_scenario,
    running,
    stdlib_warnings,
    wait_finished,
    watch_loop,
    without,
)
from bot.core.pacing import DEFAULT_MARGIN
from bot.discord_front import limits
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.responses_api import FakeResponses, Script

REPLIES = 100
CHANNELS = tuple(range(10, 30))
DELTAS = 240  # ~4 s of streaming at RATE
RATE = 60
BURST = 1.0  # s over which the mentions arrive
FIRST_AUTHOR = 5000  # each mention has its own author: a person may have only so many in flight
# One write every SPACING s in a channel: Discord's 5 per 5 s plus the pacer's margin.
SPACING = (limits.CHANNEL_WINDOW + DEFAULT_MARGIN) / limits.CHANNEL_WRITES
WINDOW = 5.0  # s, the sliding window writes per channel are counted in
NOTES = 8  # anomalies and warnings listed under the table


@dataclass
class LoadResult:
    """What the burst did: the per-reply analysis plus 429s, write density and cost."""

    scenario: ScenarioResult
    channels: int
    fake_429_global: int
    bot_429_by_scope: dict[str, int]
    max_writes_in_window: int  # the most bot writes any channel had in any WINDOW s
    channels_over_limit: int  # channels whose max exceeded Discord's 5 per 5 s
    floor: dict[int, float]  # channel -> n * SPACING / 2
    rss_before: float  # MiB, this whole process (bot and both fakes)
    rss_after: float
    notes: list[str] = field(default_factory=list)

    @property
    def replies(self) -> int:
        """Replies analysed (one per mention that reached the model)."""
        return len(self.scenario.streams)

    @property
    def intact(self) -> int:
        """Replies whose final text holds every word in order, with the footer and no indicator."""
        return sum(
            s.text_intact and s.final_footer and not s.missing for s in self.scenario.streams
        )

    def floor_ratio(self) -> tuple[float, float]:
        """Mean staleness over the channel's floor: over all deltas, and the worst channel."""
        ratios = [x / self.floor[s.channel] for s in self.scenario.streams for x in s.staleness]
        by_channel: dict[int, list[float]] = {}
        for s in self.scenario.streams:
            by_channel.setdefault(s.channel, []).extend(s.staleness)
        worst = max((mean(v) / self.floor[c] for c, v in by_channel.items() if v), default=math.nan)
        return mean(ratios), worst


def rss_mib(pid: int | str = "self") -> float:
    """Resident memory of a process, from ``/proc/<pid>/status`` (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def channel_of(reply: int, channels: tuple[int, ...]) -> int:
    """Mentions go round the channels, so each channel's replies are spread over the burst."""
    return channels[reply % len(channels)]


def max_in_window(times: list[float], window: float) -> int:
    """The most of ``times`` (sorted) inside any ``window`` s: a two-pointer sweep."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def run_load(
    replies: int = REPLIES, channels: tuple[int, ...] = CHANNELS, deltas: int = DELTAS
) -> LoadResult:
    """Inject ``replies`` mentions evenly over BURST s, wait for every reply, analyse."""
    placed = tuple(channel_of(i, channels) for i in range(replies))
    scenario = Scenario("load", placed, f"{replies} mentions over {len(channels)} channels")
    # Channels beyond the fake's default set have to exist in its guild.
    discord_fake = FakeDiscord(channel_ids=tuple(sorted(set(channels))))
    model_fake = FakeResponses()
    await discord_fake.start()
    await model_fake.start()
    scripts = {
        f"load question {i}": Script(text=reply_text(i, deltas), ttft=TTFT, rate=RATE)
        for i in range(replies)
    }
    model_fake.route(lambda body: scripts.get(question(body)))
    settings = make_settings(discord_fake, model_fake)
    lag: list[float] = []
    stop = asyncio.Event()
    per_channel = max(placed.count(c) for c in set(placed))
    # Each channel's replies share its writes; allow twice their serial time, plus slack.
    limit = 2 * per_channel * (TTFT + deltas / RATE) + 120
    try:
        with discord_pointed_at(discord_fake), structlog.testing.capture_logs() as records:
            async with running(settings, discord_fake) as bot:
                gc.collect()  # the setup's garbage is not the burst's
                watcher = asyncio.create_task(watch_loop(lag, stop))
                rss_before = rss_mib()
                wall0, cpu0 = time.monotonic(), time.process_time()
                for i, channel in enumerate(placed):
                    # An absolute schedule: late injections catch up instead of stretching it.
                    await asyncio.sleep(max(0.0, wall0 + i * BURST / replies - time.monotonic()))
                    await discord_fake.inject_message(
                        channel, f"load question {i}", author_id=FIRST_AUTHOR + i
                    )
                await wait_finished(records, replies, limit)
                wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
                rss_after = rss_mib()
                stop.set()
                await watcher
                traffic = bot.monitor.traffic()
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
        RATE,
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
    # Every REST write comes from the bot: the people's messages arrive as injected events.
    densest = {
        channel: max_in_window(
            [c.t for c in discord_fake.writes(channel) if 200 <= c.status < 300], WINDOW
        )
        for channel in sorted(set(placed))
    }
    counts = {c: placed.count(c) for c in set(placed)}
    return LoadResult(
        scenario=result,
        channels=len(counts),
        fake_429_global=discord_fake.count_429_global,
        bot_429_by_scope=dict(traffic.rate_limited),
        max_writes_in_window=max(densest.values(), default=0),
        channels_over_limit=sum(n > limits.CHANNEL_WRITES for n in densest.values()),
        floor={c: n * SPACING / 2 for c, n in counts.items()},
        rss_before=rss_before,
        rss_after=rss_after,
        notes=[*result.anomalies, *result.warnings],
    )


async def _measure(replies: int, channels: tuple[int, ...], deltas: int) -> LoadResult:
    # A process's first request pays the SDK's one-time warm-up: keep it out of the burst.
    await run_scenario(Scenario("warm-up", (10,), "warm-up"), 200, WARMUP_DELTAS)
    stdlib_warnings()  # the warm-up's, not the burst's
    gc.collect()
    return await run_load(replies, channels, deltas)


def measure_load(
    replies: int = REPLIES, channels: tuple[int, ...] = CHANNELS, deltas: int = DELTAS
) -> LoadResult:
    """Run the burst (after one unscored warm-up reply) and return what it did."""
    return asyncio.run(_measure(replies, channels, deltas))


def load_table(result: LoadResult) -> list[str]:
    """The markdown lines for the report."""
    r = result.scenario
    first = [x * 1000 for x in r.first_visible]
    ratio, worst = result.floor_ratio()
    floors = sorted(set(result.floor.values()))
    floor_text = " / ".join(f"{f:.2f}" for f in floors)
    scopes = ", ".join(f"{k} {v}" for k, v in sorted(result.bot_429_by_scope.items())) or "none"
    lag = sorted(r.loop_lag)
    lag_p99 = lag[int(0.99 * (len(lag) - 1))] if lag else math.nan
    bucket_429 = r.fake_429 - result.fake_429_global
    lines = [
        (
            f"### Burst: {len(r.streams)} mentions over {result.channels} channels within "
            f"{BURST:.0f} s ({r.deltas} deltas each at {r.rate} tok/s, Discord's limits)"
        ),
        "",
        "| metric | value |",
        "|---|---:|",
        f"| wall, s (first mention → last reply finished) | {r.wall:.1f} |",
        f"| first visible text, ms (mean / max) | {mean(first):.0f} / {max(first):.0f} |",
        f"| staleness, s (mean / p95) | {mean(r.staleness):.2f} / {p95(r.staleness):.2f} |",
        (
            f"| staleness / channel floor (floor n·s/2 = {floor_text} s, s = {SPACING:.2f} s), "
            f"mean / worst channel | {ratio:.2f} / {worst:.2f} |"
        ),
        (
            f"| completion lag, s (mean / max) "
            f"| {mean(r.completion):.2f} / {max(r.completion):.2f} |"
        ),
        (
            f"| 429s from the fake: total / global / per channel (injected excluded) "
            f"| {r.fake_429} / {result.fake_429_global} / {bucket_429} |"
        ),
        f"| 429s the bot saw: total (by scope) | {r.bot_429} ({scopes}) |",
        (
            f"| bot writes per channel in any {WINDOW:.0f} s: max (channels over "
            f"{limits.CHANNEL_WRITES}) | {result.max_writes_in_window} "
            f"({result.channels_over_limit}) |"
        ),
        (
            f"| replies intact (every word in order, footer, no live indicator) "
            f"| {result.intact} / {len(r.streams)} |"
        ),
        (
            f"| CPU per reply, ms (whole process: bot and fakes) "
            f"| {r.cpu / max(1, len(r.streams)) * 1000:.1f} |"
        ),
        (
            f"| RSS before / after the burst, MiB (whole process) "
            f"| {result.rss_before:.0f} / {result.rss_after:.0f} |"
        ),
        (
            f"| event-loop lag p99 / max, ms "
            f"| {lag_p99 * 1000:.1f} / {max(lag, default=math.nan) * 1000:.1f} |"
        ),
        f"| anomalies / warnings | {len(r.anomalies)} / {len(r.warnings)} |",
        "",
    ]
    if result.notes:
        lines += [f"- {note[:200]}" for note in result.notes[:NOTES]]
        if len(result.notes) > NOTES:
            lines.append(f"- … and {len(result.notes) - NOTES} more")
        lines.append("")
    return lines
