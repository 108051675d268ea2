"""/settings: layered per server, channel and thread, kept across restarts, admins only."""

from __future__ import annotations

from tests.fakes.responses_api import Script
from tests.support.harness import CHANNEL, OTHER_MODEL, command

VIEW, SEND, HISTORY = 1 << 10, 1 << 11, 1 << 16
MEMBER = VIEW | SEND | HISTORY
PERSON, OPERATOR = 77, 78


async def test_settings_layer_server_channel_thread_chat_and_survive_a_restart(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text="ok")
        set_ = "settings set"
        answer = await command(h, CHANNEL, set_, {"key": "temperature", "value": "0.7"})
        assert answer == "✅ `temperature` for this server: default → `0.7`"
        await command(h, CHANNEL, set_, {"key": "system_prompt", "value": "Server prompt."})
        await command(h, CHANNEL, set_, {"key": "model", "value": OTHER_MODEL, "scope": "channel"})
        answer = await command(
            h, CHANNEL, set_, {"key": "temperature", "value": "0.2", "scope": "channel"}
        )
        assert answer == "✅ `temperature` for this channel: default → `0.2`"
        thread = await h.discord.create_thread(CHANNEL, "a thread", owner_id=PERSON)
        await h.mention("in another channel", channel=11, author_id=1)
        await h.mention("in the channel", author_id=2)
        await h.mention("in its thread", channel=thread, author_id=3)
        await h.wait_finished(3)
        await h.discord.inject_interaction(
            CHANNEL, "chat", {"prompt": "with options", "temperature": 1.5}
        )
        await h.wait_finished(4)
        shown = await command(h, CHANNEL, "settings show", {})
    bodies = {r.prompt: r.body for r in h.model.requests}
    assert bodies["in another channel"]["temperature"] == 0.7
    assert bodies["in another channel"]["model"] != OTHER_MODEL
    assert bodies["in another channel"]["instructions"] == "Server prompt."
    assert bodies["in the channel"]["temperature"] == 0.2
    assert bodies["in the channel"]["model"] == OTHER_MODEL
    assert bodies["in its thread"]["temperature"] == 0.2  # a thread takes its channel's
    assert bodies["in its thread"]["model"] == OTHER_MODEL
    assert bodies["with options"]["temperature"] == 1.5  # /chat options win
    assert bodies["with options"]["instructions"] == "Server prompt."
    assert "- temperature: `0.2` · set here" in shown
    assert "- system_prompt: `Server prompt.` · set for this server" in shown
    assert "- top_p: not set (the model's own default) · default" in shown

    async with make_harness() as h:  # a new process with the same data directory
        h.model.default = Script(text="ok")
        await h.mention("after the restart")
        await h.wait_finished(1)
        history = await command(h, CHANNEL, "settings history", {})
    assert h.model.requests[-1].body["temperature"] == 0.2
    assert "<@42>" in history
    assert "temperature: default → `0.7`" in history
    assert f"model: default → `{OTHER_MODEL}`" in history


async def test_only_admins_change_settings_and_values_are_checked(make_harness):
    async with make_harness(admin_ids=(str(OPERATOR),)) as h:
        await h.discord.set_everyone_permissions(MEMBER)
        await h.discord.set_member(PERSON)
        await h.discord.set_member(OPERATOR)
        refused = await command(
            h, CHANNEL, "settings set", {"key": "top_p", "value": "0.5"}, user_id=PERSON
        )
        allowed = await command(
            h, CHANNEL, "settings set", {"key": "top_p", "value": "0.5"}, user_id=OPERATOR
        )
        too_hot = await command(h, CHANNEL, "settings set", {"key": "temperature", "value": "5"})
        unknown = await command(h, CHANNEL, "settings set", {"key": "model", "value": "gpt-9"})
        reset = await command(h, CHANNEL, "settings reset", {"key": "all"})
        stored = await h.bot.app.store.settings("guild", str(h.discord.guild_id))
    assert refused.startswith("Only members with Manage Server")
    assert allowed == "✅ `top_p` for this server: default → `0.5`"
    assert too_hot == "❌ `temperature` must be between 0 and 2, got 5"
    assert unknown.startswith("❌ `gpt-9` is not offered here")
    assert reset == "✅ Back to the default for this server: `top_p`."
    assert stored == {}
