"""GET /api/live: a snapshot of the replies in flight, then their text as it grows."""

from __future__ import annotations

from tests.fakes.responses_api import Script
from tests.web.sse_client import events


async def test_a_viewer_sees_a_discord_reply_start_grow_and_finish(make_web):
    async with make_web() as web, web.session.get(f"{web.url}/api/live") as response:
        stream = events(response)
        name, snapshot = await anext(stream)
        assert name == "snapshot"
        assert snapshot == {"in_flight": [], "recent": []}
        web.h.model.queue(Script(text="one two three four five six seven eight", chunk=4, rate=8))
        await web.h.mention("count for me")
        name, started = await anext(stream)
        assert name == "started"
        assert started["trigger"] == "mention"
        assert started["prompt"] == "count for me"
        assert started["where"]["channel_id"] == 10
        pieces = []
        async for name, data in stream:
            if name == "text":
                assert data["id"] == started["id"]
                pieces.append(data["text"])
                # The text grows while the model is still streaming.
                if len(pieces) == 1:
                    assert web.h.model.streams[-1].ended is None
            elif name == "finished":
                finished = data
                break
    assert len(pieces) >= 2
    assert "".join(pieces) == finished["text"] == "one two three four five six seven eight"
    assert finished["final"]["ending"] == "completed"
    assert finished["final"]["total_s"] > 0


async def test_a_late_viewer_gets_the_reply_so_far_in_its_snapshot(make_web):
    async with make_web() as web:
        web.h.model.queue(Script(text="word " * 30, chunk=5, rate=6), Script(text="done quickly"))
        await web.h.mention("long one")
        await web.h.model.wait_for(
            lambda: web.h.model.streams and len(web.h.model.streams[-1].delta_times) >= 6
        )
        async with web.session.get(f"{web.url}/api/live") as response:
            stream = events(response)
            name, snapshot = await anext(stream)
            [reply] = snapshot["in_flight"]
            assert reply["prompt"] == "long one"
            assert reply["text"].startswith("word word")
            so_far = reply["text"]
            async for name, data in stream:
                if name == "text":
                    so_far += data["text"]
                elif name == "finished":
                    assert data["text"] == so_far  # nothing lost or doubled at the seam
                    break
        async with web.session.get(f"{web.url}/api/live") as response:
            name, snapshot = await anext(events(response))
    assert snapshot["in_flight"] == []
    assert [r["prompt"] for r in snapshot["recent"]] == ["long one"]
    assert snapshot["recent"][0]["final"]["ending"] == "completed"
