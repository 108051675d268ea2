"""A /chat reply that outlives its interaction token goes on in ordinary messages."""

from __future__ import annotations

import re

from bot.discord_front import handover, limits
from bot.discord_front import layout as render
from tests.fakes.responses_api import Script
from tests.support.harness import CHANNEL

WORD = re.compile(r"\bw(\d+)\b")


def long_reply(n: int = 60) -> Script:
    return Script(text=" ".join(f"w{k}" for k in range(n)), chunk=4, rate=10)  # ~6 s


def word_numbers(messages) -> list[int]:
    """The words of the messages in order; a word cut in two at a message's end counts once."""
    words: list[str] = []
    for message in messages:
        found = WORD.findall(message.content)
        if words and found and found[0] != words[-1] and found[0].startswith(words[-1]):
            words.pop()  # "w2" shown at the end of one message, "w24" at the start of the next
        words += found
    return [int(k) for k in words]


async def test_a_reply_near_the_token_end_moves_below_with_a_note(make_harness, monkeypatch):
    # A token that lasts 4 s (Discord: 15 min), moved 2 s before its end (Discord: 90 s).
    monkeypatch.setattr(limits, "INTERACTION_TOKEN_LIFETIME", 4.0)
    monkeypatch.setattr(handover, "MARGIN", 2.0)
    async with make_harness() as h:
        h.discord.token_lifetime = 4.0
        h.model.queue(long_reply())
        token = await h.discord.inject_interaction(CHANNEL, "chat", {"prompt": "count"})
        [record] = await h.wait_finished(limit=30)
        interaction = h.discord.interaction(token)
    original = h.discord.messages[interaction.original_message_id]
    below = [m for m in h.discord.bot_messages(CHANNEL) if m.interaction_token is None]
    assert original.content.endswith(f"-# {handover.CONTINUED_BELOW}")
    assert below, "the rest of the reply continues in the channel"
    assert below[0].reference_id == original.id
    assert below[-1].content.splitlines()[-1].startswith("-# gpt-test · first token")
    everything = [original, *below]
    assert word_numbers(everything) == list(range(60))  # nothing lost, nothing twice
    # The message was finished between two words, not inside one.
    last, first = int(WORD.findall(original.content)[-1]), int(WORD.findall(below[0].content)[0])
    assert first == last + 1
    assert not any(render.LIVE_INDICATOR in m.content for m in everything)
    assert record["status"] == "completed"
    assert not [c for c in h.discord.calls if c.status == 401]


async def test_a_token_refused_early_still_loses_nothing(make_harness):
    async with make_harness() as h:
        h.discord.token_lifetime = 2.0  # Discord revokes the token long before 15 minutes
        h.model.queue(long_reply())
        token = await h.discord.inject_interaction(CHANNEL, "chat", {"prompt": "count"})
        [record] = await h.wait_finished(limit=30)
        interaction = h.discord.interaction(token)
        refused = [r for r in h.records if r["event"] == "chat.token_refused"]
    original = h.discord.messages[interaction.original_message_id]
    below = [m for m in h.discord.bot_messages(CHANNEL) if m.interaction_token is None]
    assert below
    assert word_numbers([original, *below]) == list(range(60))
    assert below[-1].content.splitlines()[-1].startswith("-# gpt-test · first token")
    assert render.LIVE_INDICATOR not in below[-1].content
    assert len(refused) == 1
    assert record["status"] == "completed"


async def test_a_private_reply_moves_to_a_direct_message(make_harness, monkeypatch):
    monkeypatch.setattr(limits, "INTERACTION_TOKEN_LIFETIME", 4.0)
    monkeypatch.setattr(handover, "MARGIN", 2.0)
    async with make_harness() as h:
        h.discord.token_lifetime = 4.0
        h.model.queue(long_reply())
        token = await h.discord.inject_interaction(
            CHANNEL, "chat", {"prompt": "count", "private": True}
        )
        await h.wait_finished(limit=30)
        interaction = h.discord.interaction(token)
        dm = h.discord.dm_channel_id(h.discord.user_id)
    original = h.discord.messages[interaction.original_message_id]
    in_dm = h.discord.bot_messages(dm)
    public = [m for m in h.discord.bot_messages(CHANNEL) if m.interaction_token is None]
    assert original.content.endswith(f"-# {handover.CONTINUED_IN_DMS}")
    assert public == []  # a private reply never shows in the channel
    assert word_numbers([original, *in_dm]) == list(range(60))
    assert in_dm[-1].content.splitlines()[-1].startswith("-# gpt-test · first token")
