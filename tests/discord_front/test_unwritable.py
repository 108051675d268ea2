"""When the reply cannot be written anywhere, the model stream closes at once, with one warning."""

from __future__ import annotations

from tests.fakes.responses_api import Script
from tests.support.harness import CHANNEL


async def test_no_permission_to_write_closes_the_model_stream_at_once(make_harness):
    async with make_harness() as h:
        h.discord.forbid(CHANNEL, code=50013)
        h.model.queue(Script(text="word " * 400, chunk=5, rate=20))  # 20 s if read to the end
        await h.mention("hello")
        record = await h.model.wait_closed(timeout=5)
        [finished] = await h.wait_finished()
        warnings = [r for r in h.records if r["event"] == "reply.unwritable"]
    assert record.closed_by_client
    assert len(record.delta_times) < 40  # closed within about the first two seconds
    assert finished["status"] == "stopped"
    assert len(warnings) == 1
    assert f"channel:{CHANNEL}" == warnings[0]["bucket"]
    assert "50013" in warnings[0]["cause"]
    assert f"channel {CHANNEL}" in warnings[0]["cause"]
    assert h.discord.bot_messages(CHANNEL) == []


async def test_permission_lost_mid_reply_closes_the_stream_and_keeps_what_was_shown(make_harness):
    async with make_harness() as h:
        h.model.queue(Script(text="word " * 400, chunk=5, rate=20))
        await h.mention("hello")
        await h.discord.wait_for(lambda f: f.bot_messages(CHANNEL), timeout=10)
        h.discord.forbid(CHANNEL, code=50001)
        record = await h.model.wait_closed(timeout=8)
        [finished] = await h.wait_finished()
        warnings = [r for r in h.records if r["event"] == "reply.unwritable"]
    assert record.closed_by_client
    assert finished["status"] == "stopped"
    assert [w["cause"] for w in warnings if "50001" in w["cause"]] == [warnings[0]["cause"]]
    assert len(warnings) == 1


async def test_a_deleted_channel_stops_the_reply_too(make_harness):
    async with make_harness() as h:
        h.model.queue(Script(text="word " * 400, chunk=5, rate=20))
        await h.mention("hello")
        await h.discord.wait_for(lambda f: f.bot_messages(CHANNEL), timeout=10)
        h.discord.fail_next(
            "PATCH",
            rf"/channels/{CHANNEL}/messages/",
            status=404,
            json={"message": "Unknown Channel", "code": 10003},
            count=10,
        )
        record = await h.model.wait_closed(timeout=8)
        [finished] = await h.wait_finished()
    assert record.closed_by_client
    assert finished["status"] == "stopped"
    assert "10003" in finished["detail"]
