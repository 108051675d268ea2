"""Threads and channel history on the fake Discord, driven by a real discord.py Bot."""

from __future__ import annotations

import asyncio

import aiohttp
import discord
import pytest
from discord.ext import commands

from tests.fakes.discord_api import FakeDiscord

CHANNEL = 10


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


@pytest.fixture
async def http(fake):
    headers = {"Authorization": f"Bot {fake.token}"}
    async with aiohttp.ClientSession(base_url=fake.base_url + "/", headers=headers) as session:
        yield session


async def test_thread_from_a_message(fake):
    bot = make_bot()
    created: asyncio.Queue[discord.Thread] = asyncio.Queue()
    edits: asyncio.Queue[discord.RawMessageUpdateEvent] = asyncio.Queue()

    @bot.event
    async def on_thread_create(thread: discord.Thread) -> None:
        await created.put(thread)

    @bot.event
    async def on_raw_message_edit(payload: discord.RawMessageUpdateEvent) -> None:
        await edits.put(payload)

    async with fake.running(bot):
        mid = await fake.inject_message(CHANNEL, "let's talk")
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        starter = await channel.fetch_message(mid)
        thread = await starter.create_thread(name="a talk", auto_archive_duration=60)

        assert thread.id == mid
        assert thread.parent_id == CHANNEL
        assert thread.owner_id == fake.bot_user_id
        assert thread.type is discord.ChannelType.public_thread
        assert thread.auto_archive_duration == 60
        assert thread.me is not None  # the creator's thread member came back
        assert fake.calls[-1].status == 201
        assert fake.calls[-1].bucket == f"threads:{CHANNEL}"
        assert fake.calls[-1].response["thread_metadata"]["archived"] is False
        record = fake.threads[mid]
        assert (record.parent_id, record.owner_id, record.name) == (CHANNEL, 1000, "a talk")

        event = await asyncio.wait_for(created.get(), 5)
        assert event.id == mid
        assert bot.get_channel(mid) is not None  # THREAD_CREATE put it in the guild
        # The starter message now carries the thread (MESSAGE_UPDATE and REST).
        update = await asyncio.wait_for(edits.get(), 5)
        assert update.message_id == mid
        assert update.data["thread"]["id"] == str(mid)
        fetched = await channel.fetch_message(mid)
        assert fetched.flags.has_thread
        assert fetched.thread is not None
        assert fetched.thread.id == mid

        with pytest.raises(discord.HTTPException) as twice:
            await starter.create_thread(name="again")
        assert twice.value.status == 400
        assert twice.value.code == 160004
        other = await fake.inject_message(CHANNEL, "another")
        with pytest.raises(discord.HTTPException) as long_name:
            await channel.get_partial_message(other).create_thread(name="n" * 101)
        assert long_name.value.code == 50035
        assert "name" in fake.calls[-1].response["errors"]

        # A thread is a channel: its own bucket, positions, fetch.
        first = await thread.send("in the thread")
        second = await thread.send("again")
        assert fake.writes(mid)[-1].bucket == f"channel:{mid}"
        assert (first.position, second.position) == (1, 2)  # the starter is position 0
        assert fake.threads[mid].message_count == 2
        assert isinstance(await bot.fetch_channel(mid), discord.Thread)


async def test_thread_without_message_and_users_threads(fake, http):
    bot = make_bot()
    received: asyncio.Queue[discord.Message] = asyncio.Queue()

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if message.author.id != fake.bot_user_id:
            await received.put(message)

    async with fake.running(bot):
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        thread = await channel.create_thread(name="side", type=discord.ChannelType.public_thread)
        assert fake.threads[thread.id].starter_message_id is None
        notice = fake.channel_messages(CHANNEL)[-1]
        assert notice.message_type == 18  # THREAD_CREATED in the parent
        assert notice.reference_channel_id == thread.id
        assert fake.bot_messages(CHANNEL) == []  # a system message, not something it said

        # API v10 requires the type of a thread without a starter message.
        async with http.post(f"channels/{CHANNEL}/threads", json={"name": "x"}) as resp:
            assert resp.status == 400
            assert (await resp.json())["errors"]["type"]["_errors"][0]["code"] == (
                "BASE_TYPE_REQUIRED"
            )
        async with http.post(f"channels/{thread.id}/threads", json={"name": "x", "type": 11}):
            assert fake.calls[-1].response["code"] == 50024  # no threads in threads

        # A thread a user started, and a message in it.
        user_thread = await fake.create_thread(CHANNEL, "theirs", owner_id=77)
        await fake.wait_for(lambda _: bot.get_channel(user_thread), timeout=5, poll=0.02)
        theirs = bot.get_channel(user_thread)
        assert isinstance(theirs, discord.Thread)
        assert theirs.owner_id == 77
        notice_event = await asyncio.wait_for(received.get(), 5)  # "77 started a thread"
        assert notice_event.type is discord.MessageType.thread_created
        assert notice_event.channel.id == CHANNEL
        mid = await fake.inject_message(user_thread, "hello in here")
        message = await asyncio.wait_for(received.get(), 5)
        assert message.id == mid
        assert message.channel == theirs
        assert message.guild is not None
        reply = await message.reply("answer")
        assert reply.channel.id == user_thread
        assert fake.messages[reply.id].channel_id == user_thread


async def test_history_is_discords(fake, http):
    ids = [fake.add_message(CHANNEL, f"m{i}", author_id=42).id for i in range(8)]
    fake.messages[ids[3]].deleted = True
    live = [i for i in ids if i != ids[3]]
    bot = make_bot()
    async with fake.running(bot):
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        newest = [m.id async for m in channel.history(limit=3)]
        assert newest == live[::-1][:3]
        before = [m.id async for m in channel.history(limit=2, before=discord.Object(ids[5]))]
        assert before == [ids[4], ids[2]]  # skips the deleted one
        after = [m.id async for m in channel.history(limit=2, after=discord.Object(ids[0]))]
        assert after == [ids[1], ids[2]]  # discord.py reverses Discord's newest-first page
        around = [m.id async for m in channel.history(limit=3, around=discord.Object(ids[5]))]
        assert sorted(around) == [ids[4], ids[5], ids[6]]
        everything = [m.content async for m in channel.history(limit=None, oldest_first=True)]
        assert everything == [f"m{i}" for i in range(8) if i != 3]

        history_calls = [
            c for c in fake.calls if c.method == "GET" and c.path == f"/channels/{CHANNEL}/messages"
        ]
        assert history_calls
        assert all(c.bucket is None for c in history_calls)  # the global limit only

        async with http.get(f"channels/{CHANNEL}/messages", params={"limit": "101"}) as resp:
            assert resp.status == 400
            assert (await resp.json())["errors"]["limit"]["_errors"][0]["code"] == (
                "NUMBER_TYPE_MAX"
            )
        async with http.get(f"channels/{CHANNEL}/messages", params={"limit": "0"}) as resp:
            assert resp.status == 400
        for i in range(60):
            fake.add_message(11, f"n{i}")
        async with http.get("channels/11/messages") as resp:
            page = await resp.json()
            assert len(page) == 50  # the default limit
            assert page[0]["content"] == "n59"
            assert "guild_id" not in page[0]  # REST messages carry neither
            assert "member" not in page[0]

        # Replies, forwards and attachments render like everywhere else.
        question = await fake.inject_message(CHANNEL, "question")
        sent = await channel.get_partial_message(question).reply(
            "answer", file=discord.File(__file__, "proof.py")
        )
        forward = await fake.inject_forward(CHANNEL, question, author_id=55)
        page = [m async for m in channel.history(limit=3)]
        assert [m.id for m in page] == [forward, sent.id, question]
        assert page[0].message_snapshots[0].content == f"<@{fake.bot_user_id}> question"
        assert page[1].reference is not None
        assert isinstance(page[1].reference.resolved, discord.Message)
        assert page[1].reference.resolved.id == question
        assert page[1].attachments[0].filename == "proof.py"
        fetched = await channel.fetch_message(sent.id)
        assert fetched.reference is not None
        assert isinstance(fetched.reference.resolved, discord.Message)
        assert fake.calls[-1].path == f"/channels/{CHANNEL}/messages/{sent.id}"

        # Threads have their own history.
        thread = await channel.create_thread(name="t", type=discord.ChannelType.public_thread)
        await thread.send("only here", file=discord.File(__file__, "f.py"))
        assert [m.content async for m in thread.history()] == ["only here"]
