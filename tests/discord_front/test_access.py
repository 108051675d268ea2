"""Who may use the bot: blocked people and roles are told (once), blocked places stay silent."""

from __future__ import annotations

import asyncio

from tests.fakes.discord_api import EPHEMERAL
from tests.fakes.responses_api import Script
from tests.support.harness import CHANNEL, command

PERSON, MEMBER_OF_ROLE, ROLE = 77, 78, 600


def bot_replies_in(h, channel: int) -> list[str]:
    """What the bot wrote in a channel for everyone to see (private answers aside)."""
    return [m.content for m in h.discord.bot_messages(channel) if not m.flags & EPHEMERAL]


async def test_a_blocked_person_is_told_once_and_never_reaches_the_model(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text="ok")
        await command(h, CHANNEL, "settings access add", {"rule": "block", "who": PERSON})
        await h.mention("hello?", author_id=PERSON)
        await h.mention("hello??", author_id=PERSON)
        await h.discord.inject_interaction(CHANNEL, "chat", {"prompt": "hi"}, user_id=PERSON)
        await asyncio.sleep(1.0)
        await h.mention("and me?", author_id=1)
        await h.wait_finished(1)
        shown = await command(h, CHANNEL, "settings access show", {})
    refusals = [c for c in bot_replies_in(h, CHANNEL) if c.startswith("You can't use this bot")]
    assert len(refusals) == 1  # once, not for every message
    assert [r.prompt for r in h.model.requests] == ["and me?"]
    assert f"- block: <@{PERSON}> (user)" in shown


async def test_a_blocked_role_and_the_environments_block_list_refuse(make_harness):
    async with make_harness(access=(("block", "user", ("79",)),)) as h:
        await h.discord.add_role(ROLE, "noisy")
        await h.discord.set_member(MEMBER_OF_ROLE, roles=[ROLE])
        await command(h, CHANNEL, "settings access add", {"rule": "block", "who": ROLE})
        await h.mention("hi", author_id=MEMBER_OF_ROLE)
        await h.mention("hi", author_id=79)
        await asyncio.sleep(1.0)
    assert h.model.requests == []
    assert len(bot_replies_in(h, CHANNEL)) == 2


async def test_a_blocked_channel_is_silent_and_an_allow_list_limits_the_places(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text="ok")
        await command(h, CHANNEL, "settings access add", {"rule": "block", "where": 12})
        await h.mention("anyone here?", channel=12, author_id=1)
        await command(h, CHANNEL, "settings access add", {"rule": "allow", "where": 13})
        await h.mention("not on the allow list", channel=11, author_id=2)
        await h.mention("on the allow list", channel=13, author_id=3)
        await h.wait_finished(1)
        await asyncio.sleep(0.5)
        refused = [r for r in h.records if r["event"] == "access.refused"]
        [record] = h.finished()
    assert bot_replies_in(h, 12) == []
    assert bot_replies_in(h, 11) == []
    assert record["channel_id"] == 13
    assert [r.prompt for r in h.model.requests] == ["on the allow list"]
    assert {r["reason"] for r in refused} == {"channel_blocked", "channel_not_allowed"}


async def test_a_category_on_the_allow_list_admits_its_channels(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text="ok")
        await h.discord.add_category(900, "bots", [11])
        await command(h, CHANNEL, "settings access add", {"rule": "allow", "where": 900})
        await h.mention("in the category", channel=11, author_id=1)
        await h.mention("outside it", channel=12, author_id=2)
        await h.wait_finished(1)
        await asyncio.sleep(0.5)
    assert [r.prompt for r in h.model.requests] == ["in the category"]
