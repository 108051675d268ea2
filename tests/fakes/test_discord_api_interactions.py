"""Components, interaction contexts, user installs and token expiry on the fake Discord."""

from __future__ import annotations

import asyncio
import contextlib

import discord
import pytest
from discord.ext import commands

from tests.fakes.discord_api import EPHEMERAL, FakeDiscord

CHANNEL = 10
BASIC = (1 << 10) | (1 << 11) | (1 << 16)


def make_bot() -> commands.Bot:
    intents = discord.Intents.default()
    intents.message_content = True
    return commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05)


@pytest.fixture
async def fake(monkeypatch):
    server = FakeDiscord(write_window=1.0, webhook_window=1.0)
    await server.start()
    server.patch_discord(monkeypatch)
    yield server
    await server.stop()


class Buttons(discord.ui.View):
    def __init__(self, seen: asyncio.Queue[discord.Interaction]) -> None:
        super().__init__(timeout=None)
        self.seen = seen

    @discord.ui.button(label="Ack", custom_id="ack")
    async def ack(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await interaction.response.defer()  # DEFERRED_UPDATE_MESSAGE (6) on a component
        await interaction.edit_original_response(content="acked")
        await self.seen.put(interaction)

    @discord.ui.button(label="Edit", custom_id="edit")
    async def edit(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        with contextlib.suppress(discord.NotFound):  # the late click
            await interaction.response.edit_message(content="edited", view=None)  # type 7
        await self.seen.put(interaction)


async def test_buttons_carry_message_and_permissions(fake):
    await fake.set_everyone_permissions(BASIC)
    bot = make_bot()
    seen: asyncio.Queue[discord.Interaction] = asyncio.Queue()

    @bot.tree.command(name="menu", description="buttons")
    async def menu(interaction: discord.Interaction, private: bool = False) -> None:
        await interaction.response.send_message("menu", view=Buttons(seen), ephemeral=private)
        await interaction.followup.send("more buttons", view=Buttons(seen), wait=True)

    async with fake.running(bot):
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("pick", view=Buttons(seen))
        writes_before = len(fake.writes(CHANNEL))

        token = await fake.inject_component(sent.id, "ack", user_id=43)
        clicked = await asyncio.wait_for(seen.get(), 5)
        assert clicked.user.id == 43
        assert not clicked.permissions.manage_messages  # computed, not everything
        assert clicked.permissions.send_messages
        assert clicked.message is not None
        assert clicked.message.id == sent.id
        assert clicked.message.components  # the buttons came along
        state = fake.interaction(token)
        assert state.response_type == 6
        assert [c["type"] for c in state.callbacks] == [6]
        assert fake.messages[sent.id].content == "acked"
        assert {c.bucket for c in fake.writes(CHANNEL)[writes_before:]} == {f"webhook:{token}"}

        token = await fake.inject_component(sent.id, "edit")
        await asyncio.wait_for(seen.get(), 5)
        assert fake.interaction(token).response_type == 7
        assert fake.messages[sent.id].content == "edited"
        assert fake.messages[sent.id].components == []
        assert len(fake.writes(CHANNEL)) == writes_before + 1  # the callback is no write
        update = next(e for e in reversed(fake.gateway_events) if e.get("t") == "MESSAGE_UPDATE")
        assert update["d"]["content"] == "edited"

        # A click answered too late.
        fake.interaction_deadline = 0.0
        again = await channel.send("late", view=Buttons(seen))
        late = await fake.inject_component(again.id, "edit")
        await asyncio.wait_for(seen.get(), 5)
        assert fake.interaction(late).callback_errors[-1]["code"] == 10062
        fake.interaction_deadline = 3.0

        # Buttons on an ephemeral response and on a webhook (followup) message.
        command = await fake.inject_interaction(CHANNEL, "menu", {"private": True})
        await fake.wait_for(lambda f: f.interaction(command).followup_ids)
        original_id = fake.interaction(command).original_message_id
        assert fake.messages[original_id].flags & EPHEMERAL
        with pytest.raises(discord.NotFound):  # not in the channel for anyone else
            await channel.fetch_message(original_id)
        events_before = len(fake.gateway_events)
        await fake.inject_component(original_id, "edit")
        await asyncio.wait_for(seen.get(), 5)
        assert fake.messages[original_id].content == "edited"
        assert fake.messages[original_id].flags & EPHEMERAL
        assert not any(  # ephemeral messages never reach the gateway
            e.get("t") == "MESSAGE_UPDATE" for e in fake.gateway_events[events_before:]
        )
        (followup_id,) = fake.interaction(command).followup_ids
        assert fake.messages[followup_id].webhook_id == fake.application_id
        await fake.inject_component(followup_id, "ack")
        await asyncio.wait_for(seen.get(), 5)
        assert fake.messages[followup_id].content == "acked"


async def test_response_messages_carry_interaction_metadata(fake):
    bot = make_bot()
    done: asyncio.Queue[int] = asyncio.Queue()

    @bot.tree.command(name="ask", description="ask")
    async def ask(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("answer")
        followup = await interaction.followup.send("more", wait=True)
        await done.put(followup.id)

    async with fake.running(bot):
        token = await fake.inject_interaction(CHANNEL, "ask", {})
        followup_id = await asyncio.wait_for(done.get(), 5)
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        state = fake.interaction(token)
        original = await channel.fetch_message(state.original_message_id)
        assert original.type is discord.MessageType.chat_input_command
        assert original.interaction_metadata is not None
        assert original.interaction_metadata.id == state.id
        assert original.interaction_metadata.user.id == fake.user_id
        followup = await channel.fetch_message(followup_id)
        assert followup.interaction_metadata is not None
        assert followup.interaction_metadata.original_response_message_id == original.id


async def test_contexts_and_user_installs(fake):
    bot = make_bot()
    seen: asyncio.Queue[tuple[discord.Interaction, list[object]]] = asyncio.Queue()

    @bot.tree.command(name="chat", description="chat")
    async def chat(interaction: discord.Interaction) -> None:
        outcomes: list[object] = []
        await interaction.response.defer()
        await interaction.edit_original_response(content="original")
        for i in range(6):
            try:
                await interaction.followup.send(f"followup {i}")
                outcomes.append("ok")
            except discord.HTTPException as exc:
                outcomes.append(exc.code)
        try:
            await interaction.channel.send("direct")  # type: ignore[union-attr]
            outcomes.append("sent")
        except discord.HTTPException as exc:
            outcomes.append(exc.code)
        await seen.put((interaction, outcomes))

    fake.webhook_window = 0.1  # 7 webhook requests per interaction, without waiting long
    async with fake.running(bot):
        # Guild install, in the guild.
        token = await fake.inject_interaction(CHANNEL, "chat", {})
        interaction, outcomes = await asyncio.wait_for(seen.get(), 5)
        assert interaction.context.guild
        assert interaction.is_guild_integration()
        assert isinstance(interaction.user, discord.Member)
        assert outcomes == ["ok"] * 6 + ["sent"]
        assert fake.interaction(token).context == 0

        # The bot's DM.
        dm = fake.dm_channel_id(fake.user_id)
        await fake.inject_interaction(dm, "chat", {}, context=1)
        interaction, outcomes = await asyncio.wait_for(seen.get(), 5)
        assert interaction.context.dm_channel
        assert interaction.guild is None
        assert isinstance(interaction.user, discord.User)
        assert isinstance(interaction.channel, discord.DMChannel)
        assert outcomes == ["ok"] * 6 + ["sent"]
        assert fake.bot_messages(dm)[-1].content == "direct"
        with pytest.raises(ValueError, match="dm_channel_id"):
            await fake.inject_interaction(CHANNEL, "chat", {}, context=1)

        # A group DM through a user install: the bot is not there.
        token = await fake.inject_interaction(777, "chat", {}, context=2)
        interaction, outcomes = await asyncio.wait_for(seen.get(), 5)
        assert interaction.context.private_channel
        assert interaction.is_user_integration()
        assert not interaction.is_guild_integration()
        assert outcomes == ["ok"] * 5 + [40094, 50001]
        assert interaction.app_permissions.attach_files
        assert not interaction.app_permissions.manage_messages
        original = fake.messages[fake.interaction(token).original_message_id]
        assert original.content == "original"
        assert fake.calls[-1].response == {"message": "Missing Access", "code": 50001}

        # A guild the bot is not in, through a user install.
        token = await fake.inject_interaction(888, "chat", {}, user_installed_only=True)
        interaction, outcomes = await asyncio.wait_for(seen.get(), 5)
        assert interaction.guild_id == fake.external_guild_id
        assert interaction.context.guild
        assert interaction.is_user_integration()
        assert outcomes == ["ok"] * 5 + [40094, 50001]
        assert not any(  # nothing from channels the bot is not in
            str(e.get("t")).startswith("MESSAGE_") and e["d"]["channel_id"] in {"777", "888"}
            for e in fake.gateway_events
        )


async def test_expired_token_answers_401_50027(fake):
    bot = make_bot()
    ready: asyncio.Queue[discord.Interaction] = asyncio.Queue()

    @bot.tree.command(name="slow", description="slow")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await ready.put(interaction)

    async with fake.running(bot):
        await fake.inject_interaction(CHANNEL, "slow", {})
        interaction = await asyncio.wait_for(ready.get(), 5)
        fake.token_lifetime = 0.0  # 15 minutes have passed
        with pytest.raises(discord.HTTPException) as expired:
            await interaction.edit_original_response(content="too late")
        assert expired.value.status == 401
        assert expired.value.code == 50027
        assert fake.calls[-1].response == {"message": "Invalid Webhook Token", "code": 50027}
        with pytest.raises(discord.HTTPException) as followup:
            await interaction.followup.send("too late")
        assert followup.value.code == 50027
