"""Under load: the bot-wide budget, limits learned from Discord's headers, first texts at
once in a busy channel, and typing that lasts through a long wait."""

from __future__ import annotations

import itertools

import pytest

from bot.core.pacing import Rate
from bot.discord_front import typing_indicator
from tests.fakes.responses_api import Script
from tests.support.harness import CHANNEL


def words(i: int, n: int) -> str:
    return "".join(f"r{i}w{k} " for k in range(n)).strip()


def question_number(body) -> int:
    """The ``i`` of a "question i" mention, from the model request's newest input."""
    return int(body["input"][-1]["content"][0]["text"][-1])


async def ask_at_once(h, n: int, *, first_author: int, deltas: int, chunk: int, rate: int):
    """Ask ``n`` questions in the default channel at once; reply ``i`` is made of ``ri`` words."""
    h.model.route(
        lambda body: Script(text=words(question_number(body), deltas), chunk=chunk, rate=rate)
    )
    for i in range(n):
        await h.mention(f"question {i}", author_id=first_author + i)
    return await h.wait_finished(n, limit=60)


def writes(fake, channel: int):
    return [c for c in fake.calls if c.write and c.channel_id == channel and c.status < 300]


async def test_a_burst_over_many_channels_stays_inside_the_global_limit(make_harness, discord_fake):
    # A global limit of 10 requests/s: 12 mentions in 12 channels at once need ~24 sends and
    # edits plus typing, well over it.
    discord_fake.limit_global(10)
    channels = list(range(10, 22))
    for channel in channels:
        if channel not in discord_fake.channel_ids:
            await discord_fake.add_channel(channel)
    async with make_harness(global_requests=10, user_concurrency=20) as h:
        h.model.default = Script(text=words(0, 12), chunk=8, rate=20)
        for i, channel in enumerate(channels):
            await h.mention(f"question {i}", channel=channel, author_id=100 + i)
        records = await h.wait_finished(len(channels), limit=60)
    assert discord_fake.count_429 == 0
    assert discord_fake.count_429_global == 0
    assert all(r["status"] == "completed" for r in records)
    for channel in channels:
        [reply] = discord_fake.bot_messages(channel)
        assert reply.content.startswith(words(0, 12))
    # Every counted request, in any 1 s, stayed within the limit (the fake's own clock).
    counted = sorted(c.t for c in discord_fake.calls if "/interactions/" not in c.path)
    assert max(sum(1 for t in counted if a <= t < a + 1.0) for a in counted) <= 10


@pytest.mark.parametrize(("limit", "window"), [(3, 5.0), (10, 10.0)])
async def test_the_pacer_follows_the_limits_discord_states(
    make_harness, discord_fake, limit, window
):
    discord_fake.write_limit, discord_fake.write_window = limit, window
    async with make_harness() as h:
        h.model.queue(Script(text=words(0, 48), chunk=6, rate=8))  # ~6 s of streaming
        await h.mention("count")
        await h.wait_finished(limit=60)
        learned = h.bot.app.pacer.rate("channel:999")
    assert discord_fake.count_429 == 0
    assert learned == Rate(limit, window)
    times = [c.t for c in writes(discord_fake, CHANNEL)]
    assert len(times) >= 4
    # After the first write told the bot the limit, writes keep the learned spacing
    # (the final write may go early when the window has room).
    spacing = (window + 0.25) / limit
    gaps = [b - a for a, b in itertools.pairwise(times[1:-1])]
    assert min(gaps) >= spacing - 0.05, (gaps, spacing)
    # ... and no window ever holds more than the limit.
    assert max(sum(1 for t in times if a <= t < a + window) for a in times) <= limit


async def test_a_channel_has_one_write_out_at_a_time(make_harness, discord_fake):
    # Discord counts a write when it arrives: two writes waiting for their answers against one
    # remaining slot would get a 429. With slow answers, three replies in one channel never
    # have two writes out in the channel's bucket at once.
    discord_fake.write_latency = 0.3
    async with make_harness(user_concurrency=5) as h:
        records = await ask_at_once(h, 3, first_author=300, deltas=40, chunk=4, rate=40)
    assert all(r["status"] == "completed" for r in records)
    assert discord_fake.max_writes_out == 1
    assert discord_fake.count_429 == 0


async def test_four_questions_at_once_in_one_channel_all_show_text_at_once(make_harness):
    async with make_harness(user_concurrency=5) as h:
        await ask_at_once(h, 4, first_author=200, deltas=30, chunk=6, rate=10)
    first_token = {}
    for stream in h.model.streams:
        first_token[stream.text.split()[0][:2]] = stream.delta_times[0][0]
    first_shown = {}
    for message in h.discord.bot_messages(CHANNEL):
        reply = message.content.split()[0][:2]
        first_shown[reply] = min(first_shown.get(reply, 1e9), message.history[0][0])
    delays = [first_shown[r] - first_token[r] for r in first_token]
    assert len(delays) == 4
    # Before: 0, 1, 2 and 3 s (mean 1.5 s). The 0.3 s target is measured by the benchmark
    # (docs/performance.md); here the bound leaves room for a test machine under load.
    assert sum(delays) / 4 < 0.75, delays
    assert max(delays) - min(delays) < 0.5, delays
    assert h.discord.count_429 == 0


async def test_typing_lasts_through_a_long_wait_for_the_first_token(make_harness, monkeypatch):
    monkeypatch.setattr(typing_indicator, "EVERY", 0.4)
    async with make_harness() as h:
        h.model.queue(Script(text="finally here", ttft=2.0))
        await h.mention("slow one")
        await h.wait_finished()
        await_typing = [c.t for c in h.discord.calls if c.path.endswith("/typing")]
        [reply] = h.discord.bot_messages(CHANNEL)
    shown = reply.history[0][0]
    before = [t for t in await_typing if t < shown]
    # Renewed through the whole 2 s wait (every 0.4 s here; every 8 s in production, inside
    # the ~10 s Discord shows it), and never after the text showed.
    assert len(before) >= 4
    assert max(b - a for a, b in itertools.pairwise([*before, shown])) < 0.9
    assert all(t < shown for t in await_typing)


async def test_one_indicator_per_channel_shown_again_after_each_post(make_harness, monkeypatch):
    monkeypatch.setattr(typing_indicator, "EVERY", 5.0)

    def script(body) -> Script:
        fast = "fast" in body["input"][-1]["content"][0]["text"]
        return Script(text="quick answer" if fast else "slow answer", ttft=0.3 if fast else 2.5)

    async with make_harness(user_concurrency=5) as h:
        h.model.route(script)
        await h.mention("fast one", author_id=401)
        await h.mention("slow one", author_id=402)
        await h.wait_finished(2)
        typing = [c.t for c in h.discord.calls if c.path.endswith("/typing")]
        messages = h.discord.bot_messages(CHANNEL)
    fast = min(m.history[0][0] for m in messages if m.content.startswith("quick"))
    slow = min(m.history[0][0] for m in messages if m.content.startswith("slow"))
    # Both replies wait under one indicator (typing is per channel on Discord) ...
    assert len([t for t in typing if t < fast]) == 1
    # ... which the first post clears: it is sent again at once for the one still waiting,
    # not after the 5 s renewal, and never after the last reply showed its text.
    again = [t for t in typing if fast < t < slow]
    assert again
    assert again[0] - fast < 1.0
    assert all(t < slow for t in typing)
