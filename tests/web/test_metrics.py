"""GET /metrics: the numbers follow the replies, and staleness matches what Discord saw."""

from __future__ import annotations

import statistics

from prometheus_client.parser import text_string_to_metric_families

from tests.fakes.responses_api import Script
from tests.support.harness import CHANNEL, MODEL


def sample(text: str, name: str, **labels: str) -> float:
    """The value of the one sample ``name`` with exactly these labels (0 when absent)."""
    found = [
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and s.labels == labels
    ]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else 0.0


def total(text: str, name: str, **labels: str) -> float:
    """The sum of the samples ``name`` whose labels include ``labels``."""
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and labels.items() <= s.labels.items()
    )


async def test_metrics_follow_scripted_replies(make_web):
    async with make_web() as web:
        before = await web.metrics()
        assert sample(before, "relaybot_replies_in_flight") == 0
        assert sample(before, "relaybot_gateway_connected", front="discord") == 1
        assert sample(before, "relaybot_gateway_latency_seconds", front="discord") >= 0
        assert total(before, "relaybot_replies_total") == 0

        web.h.model.queue(
            Script(text="alpha beta gamma delta", chunk=6, usage={"output_tokens": 7}),
            Script(text="half", ending="failed", error_code="server_error"),
        )
        await web.h.mention("first")
        await web.h.wait_finished(1)
        await web.h.mention("second", author_id=43)
        await web.h.wait_finished(2)
        async with web.session.post(f"{web.url}/api/chat", json={"prompt": "third"}) as response:
            await response.read()
        await web.h.wait_finished(3)
        after = await web.metrics()

    assert sample(after, "relaybot_replies_total", trigger="mention", status="completed") == 1
    assert sample(after, "relaybot_replies_total", trigger="mention", status="failed") == 1
    assert sample(after, "relaybot_replies_total", trigger="http", status="completed") == 1
    assert sample(after, "relaybot_model_errors_total", code="server_error") == 1
    assert sample(after, "relaybot_reply_first_token_seconds_count", trigger="mention") == 2
    assert sample(after, "relaybot_reply_total_seconds_count", trigger="mention") == 2
    assert sample(after, "relaybot_reply_total_seconds_count", trigger="http") == 1
    # The server's usage (7) for the first; the failed one has no usage: estimated.
    assert sample(after, "relaybot_output_tokens_total", model=MODEL) >= 7 + 1
    # Every delta of the Discord replies became visible exactly once.
    deltas = sum(len(s.delta_times) for s in web.h.model.streams[:2])
    assert sample(after, "relaybot_reply_staleness_seconds_count", front="discord") == deltas
    assert sample(after, "relaybot_reply_staleness_seconds_count", front="http") == len(
        web.h.model.streams[2].delta_times
    )
    # Discord traffic: the replies' sends and edits, all answered 200.
    writes = [c for c in web.h.discord.calls if c.write and c.channel_id == CHANNEL]
    counted = total(after, "relaybot_discord_requests_total", kind="send") + total(
        after, "relaybot_discord_requests_total", kind="edit"
    )
    assert counted == len(writes)
    assert sample(after, "relaybot_replies_in_flight") == 0


async def test_429s_are_counted_by_kind_and_scope(make_web):
    async with make_web() as web:
        web.h.discord.fail_next("PATCH", r"/channels/\d+/messages/\d+", status=429)
        web.h.model.queue(Script(text="one two three four five six seven", chunk=4, rate=10))
        await web.h.mention("q")
        await web.h.wait_finished()
        text = await web.metrics()
    assert sample(text, "relaybot_discord_requests_total", kind="edit", status="429") == 1
    assert total(text, "relaybot_discord_rate_limited_total") == 1


async def test_staleness_is_what_discord_saw(make_web):
    """The bot's own staleness figures agree with the fakes' clocks: delta sent -> edit received.

    A tight bucket (2 writes per 2 s) makes discord.py sleep out the exhausted bucket
    inside an edit call: the text was visible when Discord answered, not when the call
    returned, and the figures must say so.
    """
    async with make_web(channel_writes=2, channel_window=2.0) as web:
        web.h.discord.write_limit, web.h.discord.write_window = 2, 2.0
        web.h.model.queue(Script(deltas=[f"w{i} " for i in range(40)], rate=15))
        await web.h.mention("count")
        await web.h.wait_finished()
        text = await web.metrics()
        stream = web.h.model.streams[-1]
        messages = [m for m in web.h.discord.bot_messages() if m.channel_id == CHANNEL]
    versions = sorted((t, content) for m in messages for t, content in m.history)
    seen: list[float] = []
    for sent_at, length in stream.delta_times:
        word = stream.text[:length].split()[-1]
        seen.append(next(t for t, content in versions if word in content.split()) - sent_at)
    reported_count = sample(text, "relaybot_reply_staleness_seconds_count", front="discord")
    reported_sum = sample(text, "relaybot_reply_staleness_seconds_sum", front="discord")
    reported_mean = reported_sum / reported_count
    assert reported_count == len(stream.delta_times)
    # Both clocks are this machine's monotonic clock; the bot counts until Discord's answer
    # reached it, the fake until the request reached it: a few milliseconds apart.
    assert abs(reported_mean - statistics.mean(seen)) < 0.05, (reported_mean, seen)
    assert reported_mean > 0.2  # 15 deltas/s against 5 writes per 5 s: it is not trivially zero
