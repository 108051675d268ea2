"""The Stop button: who may press it, what a press does, and a button from before a restart."""

from __future__ import annotations

import asyncio

from tests.fakes.discord_api import EPHEMERAL
from tests.fakes.responses_api import Script
from tests.support.harness import CHANNEL

VIEW, SEND, HISTORY, MANAGE_MESSAGES = 1 << 10, 1 << 11, 1 << 16, 1 << 13
MEMBER = VIEW | SEND | HISTORY
STRANGER, MODERATOR, MODS_ROLE = 77, 78, 500
LONG = " ".join(f"w{i}" for i in range(400))  # 20 s at 20/s: still running when pressed


def stop_button(message) -> str:
    [row] = message.components
    [button] = row["components"]
    assert button["label"] == "Stop"
    return button["custom_id"]


async def live_reply(h, asked: int):
    """The reply's live message, once it shows a few words."""
    return await h.discord.wait_for(
        lambda f: next(
            (
                m
                for m in f.bot_messages()
                if m.reference_id == asked and m.components and "w2 " in m.content
            ),
            None,
        ),
        timeout=10,
    )


async def test_the_asker_stops_a_reply_in_one_press_without_a_channel_write(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text=LONG, rate=20)
        asked = await h.mention("talk for a while")
        live = await live_reply(h, asked)
        assert "⏳" in live.content
        writes_before = len(h.discord.writes(CHANNEL))
        token = await h.discord.inject_component(live.id, stop_button(live))
        [record] = await h.wait_finished()
        closed = await h.model.wait_closed(0, timeout=2)
        await asyncio.sleep(1.2)  # nothing more is written after the stop
    stopped = h.discord.messages[live.id]
    body, notice, footer = stopped.content.rsplit("\n", 2)
    assert body.startswith("w0 w1 w2")
    assert notice == "⏹️ Stopped by tester."
    assert footer.startswith("-# gpt-test · ")
    assert "⏳" not in stopped.content
    assert stopped.components == []
    interaction = h.discord.interaction(token)
    assert interaction.response_type == 7  # the press's own response carried the final text
    assert len(h.discord.writes(CHANNEL)) == writes_before  # no channel write for the stop
    assert closed.closed_by_client
    assert record["status"] == "stopped"
    assert record["detail"] == "by tester"


async def test_a_stranger_is_refused_and_a_moderator_may_stop(make_harness):
    async with make_harness() as h:
        await h.discord.set_everyone_permissions(MEMBER)
        await h.discord.add_role(MODS_ROLE, "mods", permissions=MEMBER | MANAGE_MESSAGES)
        await h.discord.set_member(MODERATOR, roles=[MODS_ROLE], nick="Mod")
        await h.discord.set_member(STRANGER, nick="Stranger")
        h.model.default = Script(text=LONG, rate=20)
        asked = await h.mention("talk for a while")
        live = await live_reply(h, asked)
        refused = await h.discord.inject_component(live.id, stop_button(live), user_id=STRANGER)
        await h.discord.wait_for(lambda f: f.interaction(refused).responded, timeout=5)
        assert h.finished() == []  # still running
        await h.discord.inject_component(live.id, stop_button(live), user_id=MODERATOR)
        [record] = await h.wait_finished()
    [callback] = h.discord.interaction(refused).callbacks
    assert callback["type"] == 4
    assert callback["data"]["flags"] & EPHEMERAL
    assert "who asked, or someone who can manage messages" in callback["data"]["content"]
    assert record["status"] == "stopped"
    assert "⏹️ Stopped by Mod." in h.discord.messages[live.id].content


async def test_only_the_current_message_of_a_long_reply_has_the_button(make_harness):
    text = "\n\n".join(" ".join(f"p{i}w{j}" for j in range(150)) for i in range(6))
    async with make_harness() as h:
        h.model.default = Script(text=text, rate=400)
        asked = await h.mention("a long one")
        await h.wait_finished()
        parts = h.replies_to(asked)
    assert len(parts) >= 3
    assert all(part.components == [] for part in parts)  # sealed and final: no button left
    # While it streamed, each sealed part lost its button in the write that sealed it.
    sealed = parts[0]
    assert any("⏳" in content for _, content in sealed.history)


async def test_a_button_from_before_a_restart_answers_politely(make_harness):
    async with make_harness() as h:
        old = h.discord.add_message(CHANNEL, "Half an answer\n-# ⏳ writing…")
        old.components = [  # a live message of a reply that a restart ended
            {
                "type": 1,
                "components": [
                    {
                        "type": 2,
                        "style": 2,
                        "label": "Stop",
                        "custom_id": "relaybot:stop:0123456789abcdef",
                    }
                ],
            }
        ]
        token = await h.discord.inject_component(old.id, "relaybot:stop:0123456789abcdef")
        await h.discord.wait_for(lambda f: f.interaction(token).responded, timeout=5)
    [callback] = h.discord.interaction(token).callbacks
    assert callback["type"] == 4
    assert callback["data"]["content"] == "This reply is no longer running."
    assert callback["data"]["flags"] & EPHEMERAL
