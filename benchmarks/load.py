"""A burst as an operator sees it: 100 mentions over 20 channels, all within one second.

The fakes run in this process at Discord's limits (5 writes per 5 s per channel, 50
requests per second overall); the real bot runs in its own process (``python -m
tests.fakes.launch``, configured only through its environment, see
``benchmarks.process``), so the two do not fight over one event loop and what is measured
is the bot, not the benchmark. One warm-up reply, in a channel of its own, goes first.
Five replies share each channel, so each reply gets a fifth of the channel's writes: the
staleness a reply can reach is bounded by that, and is reported against the channel's
floor ``n * s / 2`` (n replies in the channel, one write every ``s`` seconds there).
The recording goes through ``benchmarks.analysis`` like the other scenarios; on top come
the 429s by scope (the fake's) and by bucket (the bot's log), the writes per channel in
any 5 s, the requests in any 1 s, the typing requests, and the bot process's cost.
"""

from __future__ import annotations

import asyncio
import gc
import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field

from benchmarks.analysis import ScenarioResult, analyse, mean, p95
from benchmarks.process import BotProcess, Finished, bot_process, cpu_seconds, level, rss_mib
from benchmarks.replies import MODEL, reply_text
from benchmarks.scenarios import (
    TTFT,
    WARMUP_DELTAS,
    Scenario,
    question,
    stdlib_warnings,
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
REQUEST_WINDOW = 1.0  # s, the window of the fake's global limit
NOTES = 8  # anomalies and warnings listed under the table
START = 60.0  # s for the bot to log in (heartbeat) and answer the warm-up mention
SETTLE = 1.0  # s between the warm-up reply's last write and the burst
TYPING = re.compile(r"/channels/\d+/typing")
TYPING_SHOWS = 10.0  # seconds Discord shows a typing indicator


@dataclass
class LoadResult:
    """What the burst did: the per-reply analysis plus 429s, request density and cost."""

    scenario: ScenarioResult
    channels: int
    fake_429_global: int
    bot_429_by_bucket: dict[str, int]  # bucket kind ("channel", "other") -> 429s in the log
    bot_429_buckets: int  # distinct buckets the bot logged a 429 for
    max_writes_in_window: int  # the most bot writes any channel had in any WINDOW s
    channels_over_limit: int  # channels whose max exceeded Discord's 5 per 5 s
    max_requests: int  # the most requests the fake received in any REQUEST_WINDOW s
    max_accepted: int  # the same, counting only requests not answered 429
    global_limit: int  # the fake's requests per second
    typing: int  # POST /channels/<id>/typing during the burst
    uncovered: list[float]  # per reply: seconds of its wait with no typing indicator showing
    floor: dict[int, float]  # channel -> n * SPACING / 2
    rss_before: float  # MiB, the bot process
    rss_after: float
    bench_cpu: float  # s of this process's CPU time (the fakes) during the burst
    exit_code: int | None  # the bot's, after SIGTERM
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


def uncovered_waits(
    discord_fake: FakeDiscord, placed: tuple[int, ...], asked: list[float]
) -> list[float]:
    """Per reply, the seconds between its mention and its first message with no typing showing.

    A typing call shows the indicator for TYPING_SHOWS s, or until the bot posts in that
    channel (Discord clears it then).
    """
    typing: dict[int | None, list[float]] = {}
    for c in discord_fake.calls:
        if c.method == "POST" and TYPING.fullmatch(c.path) and c.status < 300:
            typing.setdefault(c.channel_id, []).append(c.t)
    out: list[float] = []
    for i, (channel, t0) in enumerate(zip(placed, asked, strict=False)):
        messages = discord_fake.bot_messages(channel)
        posts = sorted(m.history[0][0] for m in messages)
        mine = [m.history[0][0] for m in messages if m.content.startswith(f"r{i}w")]
        if not mine:
            continue
        shown = min(mine)
        spans = [
            (t, min([t + TYPING_SHOWS, *(p for p in posts if p > t)]))
            for t in typing.get(channel, [])
        ]
        covered, at = 0.0, t0
        for span_start, span_end in sorted(spans):
            start, end = max(span_start, at), min(span_end, shown)
            if end > start:
                covered += end - start
                at = end
        out.append(max(0.0, shown - t0 - covered))
    return out


def bucket_kind(bucket: object) -> str:
    """``channel:12`` -> ``channel``: what the bot's 429 log records are grouped by."""
    return str(bucket).split(":", 1)[0]


@dataclass
class Burst:
    """What is known only while the bot runs: when the burst started and what it cost."""

    wall0: float  # monotonic, the first mention
    wall: float = math.nan  # s, first mention -> the last reply's final write landed
    log_offset: int = 0  # bytes the bot had logged before the burst
    fake_429: int = 0  # the fake's 429 counts before the burst (log-in, warm-up)
    fake_429_global: int = 0
    bot_cpu: float = math.nan  # s, the bot process during the burst
    bench_cpu: float = math.nan  # s, this process during the burst
    rss_before: float = math.nan  # MiB, the bot process
    rss_after: float = math.nan
    asked: list[float] = field(default_factory=list)  # monotonic, when each mention was sent
    notes: list[str] = field(default_factory=list)


async def warm_up(
    discord_fake: FakeDiscord, bot: BotProcess, finished: Finished, channel: int, reply: int
) -> None:
    """Wait until the bot is ready, then have it answer one mention in ``channel``.

    A process's first request pays the SDK's one-time warm-up: it stays out of the burst.
    """

    def answered() -> bool:
        finished.scan()
        return reply in finished.at or bot.proc.returncode is not None

    try:
        await bot.wait_ready(START)
        if bot.proc.returncode is None:
            await discord_fake.inject_message(
                channel, f"load warm-up {reply}", author_id=FIRST_AUTHOR - 1
            )
            await discord_fake.wait_for(lambda _: answered(), timeout=START, poll=0.5)
    except TimeoutError:
        raise RuntimeError(
            f"the bot did not answer a warm-up mention within {START:.0f} s; its log:\n"
            + bot.log_path.read_text(errors="replace")[-2000:]
        ) from None
    if bot.proc.returncode is not None:
        raise RuntimeError(
            f"the bot exited with code {bot.proc.returncode}; its log:\n"
            + bot.log_path.read_text(errors="replace")[-2000:]
        )


async def burst(
    discord_fake: FakeDiscord,
    bot: BotProcess,
    finished: Finished,
    placed: tuple[int, ...],
    limit: float,
    lag: list[float],
) -> Burst:
    """Inject one mention per entry of ``placed`` evenly over BURST s; wait for every reply."""
    replies = len(placed)
    gc.collect()  # the setup's garbage is not the burst's (this process: the fakes)
    stdlib_warnings()  # the warm-up's, not the burst's
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch_loop(lag, stop))
    log_offset, rss_before = bot.log_offset(), rss_mib(bot.pid)
    bot_cpu0, bench_cpu0 = cpu_seconds(bot.pid), time.process_time()
    result = Burst(
        wall0=time.monotonic(),
        log_offset=log_offset,
        fake_429=discord_fake.count_429,
        fake_429_global=discord_fake.count_429_global,
        rss_before=rss_before,
    )
    for i, channel in enumerate(placed):
        # An absolute schedule: late injections catch up instead of stretching it.
        await asyncio.sleep(max(0.0, result.wall0 + i * BURST / replies - time.monotonic()))
        result.asked.append(time.monotonic())
        await discord_fake.inject_message(channel, f"load question {i}", author_id=FIRST_AUTHOR + i)

    def done() -> int:
        finished.scan()
        return sum(r < replies for r in finished.at)

    try:
        await discord_fake.wait_for(
            lambda _: done() >= replies or bot.proc.returncode is not None,
            timeout=limit,
            poll=0.5,
        )
    except TimeoutError:
        result.notes.append(f"only {done()} of {replies} replies finished within {limit:.0f} s")
    if bot.proc.returncode is None:
        result.bot_cpu = cpu_seconds(bot.pid) - bot_cpu0
        result.rss_after = rss_mib(bot.pid)
    else:
        result.notes.append(f"the bot exited with code {bot.proc.returncode} during the burst")
    result.bench_cpu = time.process_time() - bench_cpu0
    stop.set()
    await watcher
    ends = [t for r, t in finished.at.items() if r < replies]
    result.wall = (max(ends) if ends else time.monotonic()) - result.wall0
    return result


async def run_load(
    replies: int = REPLIES, channels: tuple[int, ...] = CHANNELS, deltas: int = DELTAS
) -> LoadResult:
    """Warm the bot up, inject ``replies`` mentions evenly over BURST s, wait, analyse."""
    placed = tuple(channel_of(i, channels) for i in range(replies))
    scenario = Scenario("load", placed, f"{replies} mentions over {len(channels)} channels")
    # Channels beyond the fake's default set have to exist in its guild; the warm-up reply
    # gets a channel of its own so that its writes count against none of the burst's.
    warmup_channel = max(channels) + 1
    discord_fake = FakeDiscord(channel_ids=tuple(sorted({*channels, warmup_channel})))
    model_fake = FakeResponses()
    model_fake.models = [MODEL]  # what the bot's start-up check of the server expects to see
    scripts = {
        f"load question {i}": Script(text=reply_text(i, deltas), ttft=TTFT, rate=RATE)
        for i in range(replies)
    }
    # The warm-up is reply number ``replies``: past the burst's, so no analysis counts it.
    scripts[f"load warm-up {replies}"] = Script(
        text=reply_text(replies, WARMUP_DELTAS), ttft=TTFT, rate=RATE
    )
    model_fake.route(lambda body: scripts.get(question(body)))
    lag: list[float] = []
    per_channel = max(placed.count(c) for c in set(placed))
    # Each channel's replies share its writes; allow twice their serial time, plus slack.
    limit = 2 * per_channel * (TTFT + deltas / RATE) + 120
    async with (
        discord_fake,
        model_fake,
        bot_process(discord_fake, model_fake, "relaybot-load-") as bot,
    ):
        finished = Finished(discord_fake)
        await warm_up(discord_fake, bot, finished, warmup_channel, replies)
        await asyncio.sleep(SETTLE)
        run = await burst(discord_fake, bot, finished, placed, limit, lag)
    log = bot.log(run.log_offset)
    warnings = [
        f"{level(r)}: {r.get('event')} "
        f"{without(r, 'event', 'level', 'log_level', 'logger', 'timestamp')}"
        for r in log.warnings
    ]
    warnings += log.other  # lines that were not JSON: a traceback, say
    warnings += stdlib_warnings()
    if bot.exit_code != 0:
        warnings.append(f"the bot exited with code {bot.exit_code} after SIGTERM")
    result = analyse(
        scenario,
        RATE,
        deltas,
        discord_fake,
        model_fake,
        bot_429=len(log.rate_limited),
        wall=run.wall,
        cpu=run.bot_cpu,
        lag=lag,
        records=[],  # the bot logs at WARNING: no reply.finished records
        warnings=warnings,
    )
    # The fake counts from the bot's log-in on: only the burst's 429s are reported.
    result.fake_429 -= run.fake_429
    fake_429_global = discord_fake.count_429_global - run.fake_429_global
    result.anomalies[:0] = run.notes
    # Every REST request comes from the bot: the people's messages arrive as injected events.
    densest = {
        channel: max_in_window(
            [c.t for c in discord_fake.writes(channel) if 200 <= c.status < 300], WINDOW
        )
        for channel in sorted(set(placed))
    }
    # Requests the global limit applies to (interaction routes are exempt), from the burst.
    requests = sorted(
        (c.t, c.status)
        for c in discord_fake.calls
        if c.t >= run.wall0 and not c.path.startswith(("/interactions/", "/webhooks/"))
    )
    typing = sum(
        c.t >= run.wall0 and c.method == "POST" and TYPING.fullmatch(c.path) is not None
        for c in discord_fake.calls
    )
    by_bucket = Counter(bucket_kind(r.get("bucket")) for r in log.rate_limited)
    counts = {c: placed.count(c) for c in set(placed)}
    return LoadResult(
        scenario=result,
        channels=len(counts),
        fake_429_global=fake_429_global,
        bot_429_by_bucket=dict(by_bucket),
        bot_429_buckets=len({r.get("bucket") for r in log.rate_limited}),
        max_writes_in_window=max(densest.values(), default=0),
        channels_over_limit=sum(n > limits.CHANNEL_WRITES for n in densest.values()),
        max_requests=max_in_window([t for t, _ in requests], REQUEST_WINDOW),
        max_accepted=max_in_window([t for t, s in requests if s != 429], REQUEST_WINDOW),
        global_limit=discord_fake.global_limit,
        typing=typing,
        uncovered=uncovered_waits(discord_fake, placed, run.asked),
        floor={c: n * SPACING / 2 for c, n in counts.items()},
        rss_before=run.rss_before,
        rss_after=run.rss_after,
        bench_cpu=run.bench_cpu,
        exit_code=bot.exit_code,
        notes=[*result.anomalies, *result.warnings],
    )


def measure_load(
    replies: int = REPLIES, channels: tuple[int, ...] = CHANNELS, deltas: int = DELTAS
) -> LoadResult:
    """Run the burst (after one unscored warm-up reply) and return what it did."""
    return asyncio.run(run_load(replies, channels, deltas))


def load_table(result: LoadResult) -> list[str]:
    """The markdown lines for the report."""
    r = result.scenario
    first = [x * 1000 for x in r.first_visible]
    ratio, worst = result.floor_ratio()
    floors = sorted(set(result.floor.values()))
    floor_text = " / ".join(f"{f:.2f}" for f in floors)
    by_bucket = sorted(result.bot_429_by_bucket.items())
    buckets = ", ".join(f"{k} {v}" for k, v in by_bucket) or "none"
    lag = sorted(r.loop_lag)
    lag_p99 = lag[int(0.99 * (len(lag) - 1))] if lag else math.nan
    bucket_429 = r.fake_429 - result.fake_429_global
    replies = max(1, len(r.streams))
    lines = [
        (
            f"### Burst: {len(r.streams)} mentions over {result.channels} channels within "
            f"{BURST:.0f} s ({r.deltas} deltas each at {r.rate} tok/s, Discord's limits, "
            f"the bot in its own process)"
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
        (
            f"| 429s the bot saw (its log): total (by bucket; distinct buckets) "
            f"| {r.bot_429} ({buckets}; {result.bot_429_buckets}) |"
        ),
        (
            f"| requests to the fake in any {REQUEST_WINDOW:.0f} s (interactions exempt): "
            f"max received / max accepted (fake's global limit) "
            f"| {result.max_requests} / {result.max_accepted} ({result.global_limit}) |"
        ),
        (
            f"| typing requests (POST /channels/…/typing): total (per reply) "
            f"| {result.typing} ({result.typing / replies:.1f}) |"
        ),
        (
            f"| waits with no typing showing (mention → first message): replies / "
            f"longest, s | {sum(u > 0.5 for u in result.uncovered)} of "
            f"{len(result.uncovered)} / {max(result.uncovered, default=math.nan):.2f} |"
        ),
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
            f"| CPU per reply, ms: bot process / benchmark process (the fakes) "
            f"| {r.cpu / replies * 1000:.1f} / {result.bench_cpu / replies * 1000:.1f} |"
        ),
        (
            f"| RSS before / after the burst, MiB (bot process) "
            f"| {result.rss_before:.0f} / {result.rss_after:.0f} |"
        ),
        (
            f"| event-loop lag of the benchmark process (the fakes), p99 / max, ms "
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
