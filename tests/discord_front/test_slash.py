"""/chat: options reach the API, the reply streams into the interaction's response."""

from __future__ import annotations

from bot.discord_front import layout as render
from tests.fakes.responses_api import Script
from tests.support.harness import CHANNEL, OTHER_MODEL


async def test_chat_passes_model_system_and_sampling_options(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text="Sampled answer.", ttft=0.3, rate=10)
        token = await h.discord.inject_interaction(
            CHANNEL,
            "chat",
            {
                "prompt": "explain pacing",
                "model": OTHER_MODEL,
                "system": "You are terse.",
                "temperature": 0.3,
                "top_p": 0.9,
                "max_output_tokens": 256,
            },
        )
        [record] = await h.wait_finished()
    body = h.model.requests[0].body
    assert body["model"] == OTHER_MODEL
    assert h.model.requests[0].prompt == "explain pacing"
    assert body["instructions"] == "You are terse."
    assert body["temperature"] == 0.3
    assert body["top_p"] == 0.9
    assert body["max_output_tokens"] == 256
    interaction = h.discord.interaction(token)
    assert interaction.deferred
    assert not interaction.ephemeral
    assert interaction.deferred_at - interaction.created_at < 1.0
    original = h.discord.messages[interaction.original_message_id]
    assert original.content.startswith("Sampled answer.\n-# gpt-other · first token ")
    assert render.LIVE_INDICATOR not in original.content
    assert record["trigger"] == "slash"
    assert record["model"] == OTHER_MODEL
    assert record["status"] == "completed"


async def test_chat_defaults_and_private_reply(make_harness):
    async with make_harness() as h:
        token = await h.discord.inject_interaction(
            CHANNEL, "chat", {"prompt": "hi", "private": True}
        )
        await h.wait_finished()
    body = h.model.requests[0].body
    assert body["model"] == "gpt-test"
    assert body["instructions"] == "Default system prompt."
    assert "temperature" not in body
    assert "top_p" not in body
    interaction = h.discord.interaction(token)
    assert interaction.ephemeral
    assert h.discord.messages[interaction.original_message_id].flags & 64


async def test_chat_refuses_model_outside_the_list(make_harness):
    async with make_harness() as h:
        token = await h.discord.inject_interaction(
            CHANNEL, "chat", {"prompt": "hi", "model": "gpt-unlisted"}
        )
        await h.discord.wait_for(lambda f: f.interaction(token).responded)
    interaction = h.discord.interaction(token)
    [callback] = interaction.callbacks
    assert callback["type"] == 4
    assert callback["data"]["flags"] & 64
    assert "gpt-unlisted" in callback["data"]["content"]
    assert "gpt-other" in callback["data"]["content"]
    assert h.model.requests == []


async def test_model_autocomplete_offers_configured_models(make_harness):
    async with make_harness() as h:
        token = await h.discord.inject_autocomplete(
            CHANNEL, "chat", {"prompt": "x", "model": "oth"}, "model"
        )
        await h.discord.wait_for(lambda f: f.autocomplete_choices(token) is not None)
    assert h.discord.autocomplete_choices(token) == [{"name": OTHER_MODEL, "value": OTHER_MODEL}]


async def test_chat_command_schema(make_harness, discord_fake):
    async with make_harness():
        pass
    assert discord_fake.commands_scope == "global"
    commands = {c["name"]: c for c in discord_fake.commands}
    assert set(commands) == {"chat", "reset", "settings", "usage"}
    # /chat can be installed on a user's account and used in servers, DMs and group DMs.
    assert sorted(commands["chat"]["integration_types"]) == [0, 1]
    assert sorted(commands["chat"]["contexts"]) == [0, 1, 2]
    # /settings is for admins (Manage Server) and only in servers.
    assert int(commands["settings"]["default_member_permissions"]) == 1 << 5
    assert commands["settings"]["contexts"] == [0]
    options = {o["name"]: o for o in commands["chat"]["options"]}
    assert set(options) == {
        "prompt",
        "model",
        "system",
        "temperature",
        "top_p",
        "max_output_tokens",
        "private",
        "thread",
    }
    assert options["prompt"]["required"] is True
    assert options["model"]["autocomplete"] is True
    assert (options["temperature"]["min_value"], options["temperature"]["max_value"]) == (0, 2)
    assert (options["top_p"]["min_value"], options["top_p"]["max_value"]) == (0, 1)


async def test_guild_sync_when_configured(make_harness, discord_fake):
    async with make_harness(guild_id=discord_fake.guild_id):
        pass
    assert discord_fake.commands_scope == discord_fake.guild_id
    assert sorted(c["name"] for c in discord_fake.commands) == [
        "chat",
        "reset",
        "settings",
        "usage",
    ]


async def test_failed_command_sync_is_logged_and_mentions_still_work(make_harness, discord_fake):
    # What Discord answers when the invite lacked the applications.commands scope.
    discord_fake.fail_next(
        "PUT", r"/commands$", status=403, json={"message": "Missing Access", "code": 50001}
    )
    async with make_harness() as h:
        await h.mention("still there?")
        [record] = await h.wait_finished()
    assert record["status"] == "completed"
    assert any(r["event"] == "commands.sync_failed" for r in h.records)
