"""Echo, intents, members/roles/permissions, categories, channels and forbid() on the fake."""

from __future__ import annotations

import asyncio

import discord
import pytest
from discord.ext import commands

from tests.fakes.discord_api import FakeDiscord

CHANNEL = 10
MANAGE_MESSAGES = 1 << 13
MANAGE_GUILD = 1 << 5
BASIC = (1 << 10) | (1 << 11) | (1 << 16)  # view channel, send messages, read history


def make_bot(**flags: bool) -> commands.Bot:
    intents = discord.Intents.default()
    intents.message_content = True
    for name, value in flags.items():
        setattr(intents, name, value)
    return commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05)


@pytest.fixture
async def fake(monkeypatch):
    server = FakeDiscord(write_window=1.0, webhook_window=1.0)
    await server.start()
    server.patch_discord(monkeypatch)
    yield server
    await server.stop()


async def test_the_bots_own_messages_are_echoed(fake):
    bot = make_bot()
    events: asyncio.Queue[tuple[str, int]] = asyncio.Queue()

    @bot.event
    async def on_message(message: discord.Message) -> None:
        await events.put(("create", message.id))

    @bot.event
    async def on_message_edit(_before: discord.Message, after: discord.Message) -> None:
        await events.put(("edit", after.id))

    @bot.event
    async def on_raw_message_delete(payload: discord.RawMessageDeleteEvent) -> None:
        await events.put(("delete", payload.message_id))

    async with fake.running(bot):
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("mine")
        assert await asyncio.wait_for(events.get(), 5) == ("create", sent.id)
        assert fake.gateway_events[-1]["d"]["member"]["roles"] == [str(fake.bot_role_id)]
        await sent.edit(content="edited")
        assert await asyncio.wait_for(events.get(), 5) == ("edit", sent.id)
        await sent.delete()
        assert await asyncio.wait_for(events.get(), 5) == ("delete", sent.id)

        # Users' edits and deletes.
        mid = await fake.inject_message(CHANNEL, "typo")
        assert await asyncio.wait_for(events.get(), 5) == ("create", mid)
        await fake.inject_edit(mid, "fixed")
        assert await asyncio.wait_for(events.get(), 5) == ("edit", mid)
        assert fake.messages[mid].content == "fixed"
        await fake.inject_delete(mid)
        assert await asyncio.wait_for(events.get(), 5) == ("delete", mid)
        assert fake.messages[mid].deleted


async def test_echo_off_and_intents(monkeypatch):
    async with FakeDiscord(echo=False) as fake:
        fake.patch_discord(monkeypatch)
        bot = make_bot(message_content=False)
        seen: asyncio.Queue[discord.Message] = asyncio.Queue()

        @bot.event
        async def on_message(message: discord.Message) -> None:
            await seen.put(message)

        async with fake.running(bot):
            channel = bot.get_channel(CHANNEL)
            assert isinstance(channel, discord.TextChannel)
            await channel.send("no echo")
            # Without MESSAGE_CONTENT: empty content unless the bot is mentioned.
            await fake.inject_message(CHANNEL, "secret", mention_bot=False)
            assert (await asyncio.wait_for(seen.get(), 5)).content == ""
            await fake.inject_message(CHANNEL, "for you")
            assert (await asyncio.wait_for(seen.get(), 5)).content.endswith("for you")
            assert seen.empty()  # the bot's own message was not echoed
        assert sum(e.get("t") == "MESSAGE_CREATE" for e in fake.gateway_events) == 2


async def test_roles_permissions_and_names(fake):
    await fake.add_role(500, "mods", MANAGE_MESSAGES | MANAGE_GUILD)
    await fake.set_everyone_permissions(BASIC)
    await fake.set_member(43, roles=[500], nick="Nicky", global_name="Glob", username="mod43")
    await fake.set_member(44, global_name="Plain")
    await fake.set_member(45, username="just45")
    bot = make_bot()
    got: asyncio.Queue[discord.Interaction] = asyncio.Queue()
    names: asyncio.Queue[str] = asyncio.Queue()

    @bot.tree.command(name="perm", description="permissions")
    async def perm(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok")
        await got.put(interaction)

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if not message.author.bot:
            await names.put(message.author.display_name)

    async with fake.running(bot):
        guild = bot.get_guild(fake.guild_id)
        assert guild is not None
        assert guild.get_role(500) is not None
        assert guild.default_role.permissions.value == BASIC
        assert guild.me.guild_permissions.administrator  # the bot's managed role

        perms = {}
        for uid in (43, 44, fake.user_id):
            await fake.inject_interaction(CHANNEL, "perm", {}, user_id=uid)
            interaction = await asyncio.wait_for(got.get(), 5)
            perms[uid] = interaction.permissions
            assert interaction.app_permissions.administrator
        assert perms[43].manage_messages
        assert perms[43].manage_guild
        assert not perms[43].administrator
        assert not perms[44].manage_messages
        assert not perms[44].manage_guild
        assert perms[44].send_messages
        assert perms[fake.user_id].administrator  # the owner has every permission

        for uid in (43, 44, 45):
            await fake.inject_message(CHANNEL, "hi", author_id=uid)
        assert [await asyncio.wait_for(names.get(), 5) for _ in range(3)] == [
            "Nicky",
            "Plain",
            "just45",
        ]
        # Changes after connect are events.
        await fake.add_role(600, "admins", 1 << 3)
        await fake.set_member(44, roles=[600])
        await fake.wait_for(lambda _: guild.get_role(600), timeout=5, poll=0.02)
        await fake.inject_interaction(CHANNEL, "perm", {}, user_id=44)
        assert (await asyncio.wait_for(got.get(), 5)).permissions.administrator
        with pytest.raises(ValueError, match="unknown roles"):
            await fake.set_member(46, roles=[999])


async def test_categories_and_channels(fake):
    await fake.add_category(300, "Chat", [10, 11])
    bot = make_bot()
    async with fake.running(bot):
        category = bot.get_channel(300)
        assert isinstance(category, discord.CategoryChannel)
        assert category.name == "Chat"
        ten = bot.get_channel(10)
        assert isinstance(ten, discord.TextChannel)
        assert ten.category_id == 300
        assert bot.get_channel(12).category is None  # type: ignore[union-attr]

        await fake.add_category(301, "More", [12])
        await fake.add_channel(20, parent_id=301)
        await fake.add_channel(40)
        await fake.wait_for(lambda _: bot.get_channel(40), timeout=5, poll=0.02)
        twenty = bot.get_channel(20)
        assert isinstance(twenty, discord.TextChannel)
        assert twenty.category_id == 301
        assert bot.get_channel(12).category_id == 301  # type: ignore[union-attr]
        await twenty.send("works")
        assert fake.bot_messages(20)[0].content == "works"
        assert 40 in fake.channel_ids
        with pytest.raises(ValueError, match="exists"):
            await fake.add_channel(40)


async def test_forbid_and_allow(fake):
    bot = make_bot()
    async with fake.running(bot):
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("before")
        mid = await fake.inject_message(CHANNEL, "start a thread here")
        fake.forbid(CHANNEL)
        with pytest.raises(discord.Forbidden) as send:
            await channel.send("blocked")
        assert send.value.code == 50013
        assert fake.calls[-1].response == {"message": "Missing Permissions", "code": 50013}
        with pytest.raises(discord.Forbidden):
            await sent.edit(content="blocked")
        with pytest.raises(discord.Forbidden):
            await channel.typing()
        with pytest.raises(discord.Forbidden):
            await channel.get_partial_message(mid).create_thread(name="no")
        assert (await channel.fetch_message(sent.id)).content == "before"  # reads still work
        fake.allow(CHANNEL)
        await channel.send("after")

        fake.forbid(11, code=50001)
        other = bot.get_channel(11)
        assert isinstance(other, discord.TextChannel)
        with pytest.raises(discord.Forbidden) as hidden:
            await other.history(limit=1).__anext__()
        assert hidden.value.code == 50001
        assert hidden.value.text == "Missing Access"
