"""Long replies split correctly; many replies share Discord's buckets without a 429."""

from __future__ import annotations

import asyncio
import itertools

from bot.discord_front import layout as render
from bot.discord_front.split import open_fence
from tests.fakes.responses_api import Script
from tests.support.harness import CHANNEL


def long_reply_with_code() -> str:
    parts = []
    for section in range(6):
        parts.append(f"## Part {section}\n\n" + "Some prose about the code below. " * 12)
        lines = "\n".join(f"    total += compute({section}, {i})  # step {i}" for i in range(22))
        parts.append(
            f"```python\ndef part_{section}():\n    total = 0\n{lines}\n    return total\n```"
        )
    return "\n\n".join(parts)


async def test_7000_character_reply_with_code_blocks_splits_correctly(make_harness):
    text = long_reply_with_code()
    assert 6500 < len(text) < 9000
    async with make_harness() as h:
        h.model.default = Script(text=text, chunk=40, rate=400)
        asked = await h.mention("write a lot of code")
        [record] = await h.wait_finished(limit=60)
        messages = h.replies_to(asked)
    assert len(messages) >= 4
    assert record["messages"] == len(messages)
    for message in messages:
        assert len(message.content) <= 2000
        assert open_fence(message.content) is None  # every fence closed in its own message
        assert render.LIVE_INDICATOR not in message.content
        assert all(c.status != 400 for c in h.discord.writes(CHANNEL))
    # Continuations of a code block reopen it with the same language.
    for before, after in itertools.pairwise(messages):
        if open_fence(before.content.removesuffix("\n```")) is not None:
            assert after.content.startswith("```python\n")
    # Joined back (minus the fences the split added, the footer and whitespace), nothing is lost.
    bodies = [m.content for m in messages]
    bodies[-1] = bodies[-1].rsplit("\n-# ", 1)[0]
    code_lines = [line for b in bodies for line in b.split("\n") if "total += compute" in line]
    assert code_lines == [line for line in text.split("\n") if "total += compute" in line]
    assert "".join("".join(bodies).split()).replace("```python", "").replace("```", "") == "".join(
        text.split()
    ).replace("```python", "").replace("```", "")


async def test_many_replies_share_buckets_fairly_with_zero_429s(make_harness):
    text = " ".join(f"t{i}" for i in range(90))
    async with make_harness() as h:
        h.model.default = Script(text=text, ttft=0.1, rate=30)  # ~3 s each
        # Five people (one reply in flight each): two in one channel, three elsewhere.
        asked = [await h.mention(f"q{i}", channel=CHANNEL, author_id=50 + i) for i in range(2)]
        asked += [await h.mention(f"other {c}", channel=c, author_id=c) for c in (11, 12, 13)]
        records = await h.wait_finished(count=5, limit=60)
        replies = [h.replies_to(a) for a in asked]
    assert h.discord.count_429 == 0
    assert all(r["status"] == "completed" for r in records)
    assert all(r["rate_limited"] == 0 for r in records)
    for [reply] in replies:
        assert reply.content.rsplit("\n", 1)[0] == text
    # No channel ever took more than 5 writes in any 5 s window.
    for channel in (CHANNEL, 11, 12, 13):
        times = [c.t for c in h.discord.writes(channel)]
        assert all(b - a >= 5.0 for a, b in zip(times, times[5:], strict=False))
    # The two replies in one channel got a fair share of its writes.
    shared = [len(r[0].history) for r in replies[:2]]
    assert abs(shared[0] - shared[1]) <= 1
    # Other channels were not slowed: each got about one write per second.
    for [reply] in replies[2:]:
        assert len(reply.history) >= 3


async def test_injected_429_on_an_edit_is_survived_and_counted(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text=" ".join(["word"] * 60), rate=20)
        h.discord.fail_next("PATCH", r"^/channels/10/messages/\d+$", status=429, retry_after=0.3)
        await h.mention("q")
        [record] = await h.wait_finished()
    [reply] = h.discord.bot_messages()
    assert reply.content.startswith("word word")
    assert render.LIVE_INDICATOR not in reply.content
    assert h.discord.count_429_injected == 1
    assert record["rate_limited"] == 1
    assert record["status"] == "completed"


async def test_deleting_the_reply_stops_the_stream(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text=" ".join(["word"] * 400), rate=40)
        await h.mention("q")
        await h.discord.wait_for(lambda f: len(f.bot_messages()) == 1 and f.bot_messages()[0].edits)
        [reply] = h.discord.bot_messages()
        h.discord.messages[reply.id].deleted = True
        [record] = await h.wait_finished()
        await h.model.wait_ended()
    assert record["status"] == "stopped"
    assert h.model.streams[0].closed_by_client
    await asyncio.sleep(0)
