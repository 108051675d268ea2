"""Turning what the fakes recorded into numbers.

Which reply each bot message belongs to (from its unique words), when each delta first became
visible, how long each reply took to settle, whether shown text ever vanished, and the write
rate per channel; the definitions are in docs/performance.md.
"""

from __future__ import annotations

import itertools
import math
import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from benchmarks.replies import FOOTER, LIVE_INDICATOR, WORD
from tests.fakes.discord_api import FakeDiscord, FakeMessage
from tests.fakes.responses_api import FakeResponses, StreamRecord

if TYPE_CHECKING:
    from benchmarks.scenarios import Scenario


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
    observed: Any = None  # benchmarks.observers.Observed with --http

    @property
    def first_visible(self) -> list[float]:
        return [s.first_visible for s in self.streams]

    @property
    def staleness(self) -> list[float]:
        return [x for s in self.streams for x in s.staleness]

    @property
    def completion(self) -> list[float]:
        return [s.completion for s in self.streams]


def p95(values: list[float]) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else math.nan


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
        and not any(LIVE_INDICATOR in c for c in final),
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
