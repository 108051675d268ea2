"""/chat installed on a user's account: only the interaction to write with, at most 5 followups."""

from __future__ import annotations

from tests.fakes.responses_api import Script

ELSEWHERE = 5555  # a channel of a server the bot is not in


async def test_a_reply_too_long_for_the_followups_ends_as_a_markdown_file(make_harness):
    text = "\n\n".join(
        f"Section {i}. " + " ".join(f"s{i}w{j}" for j in range(150)) for i in range(14)
    )
    async with make_harness() as h:
        h.model.default = Script(text=text, rate=4000)
        token = await h.discord.inject_interaction(
            ELSEWHERE, "chat", {"prompt": "write a book"}, user_installed_only=True
        )
        [record] = await h.wait_finished()
    interaction = h.discord.interaction(token)
    assert interaction.user_installed
    assert len(interaction.followup_ids) == 5  # Discord's cap for this case
    last = h.discord.messages[interaction.followup_ids[-1]]
    assert "📎 The whole reply is in the attached reply.md." in last.content
    assert last.content.splitlines()[-1].startswith("-# gpt-test · ")
    [attached] = last.attachments
    assert attached["filename"] == "reply.md"
    assert h.discord._cdn[int(attached["id"])].data.decode() == text
    assert record["status"] == "completed"
    assert record["write_errors"] == 0
    assert not [c for c in h.discord.calls if c.path.startswith(f"/channels/{ELSEWHERE}")]


async def test_a_short_reply_in_a_dm_works_through_the_interaction(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text="Hello from your own install.")
        dm = h.discord.dm_channel_id(h.discord.user_id)
        token = await h.discord.inject_interaction(dm, "chat", {"prompt": "hi"}, context=1)
        [record] = await h.wait_finished()
    original = h.discord.messages[h.discord.interaction(token).original_message_id]
    assert original.content.startswith("Hello from your own install.\n-# ")
    assert record["guild_id"] is None
