"""DMs, attachments on the fake CDN and forwards, driven by a real discord.py Bot."""

from __future__ import annotations

import asyncio
import io
import struct

import aiohttp
import discord
import pytest
from discord.ext import commands

from tests.fakes.discord_api import FakeDiscord, FakeFile
from tests.fakes.discord_api.cdn import image_size

CHANNEL = 10
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", 3, 2) + b"\x08\x02\x00\x00\x00"


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


def inbox(bot: commands.Bot) -> asyncio.Queue[discord.Message]:
    """Messages from users (the bot's own echoes left out)."""
    queue: asyncio.Queue[discord.Message] = asyncio.Queue()

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if bot.user is None or message.author.id != bot.user.id:
            await queue.put(message)

    return queue


async def test_dm_in_and_reply_out(fake):
    bot = make_bot()
    received = inbox(bot)
    async with fake.running(bot):
        mid = await fake.inject_dm("hi bot", author_id=77)
        message = await asyncio.wait_for(received.get(), 5)
        assert message.id == mid
        assert isinstance(message.channel, discord.DMChannel)
        assert message.channel.id == fake.dm_channel_id(77)
        assert message.guild is None
        assert isinstance(message.author, discord.User)  # no member in a DM
        assert message.content == "hi bot"  # no mention prepended in a DM
        sent_event = fake.gateway_events[-1]["d"]
        assert "guild_id" not in sent_event
        assert "member" not in sent_event
        assert sent_event["channel_type"] == 1

        reply = await message.reply("hello")
        dm = fake.dm_channel_id(77)
        assert fake.writes(dm)[-1].bucket == f"channel:{dm}"
        assert fake.messages[reply.id].reference_id == mid
        assert fake.writes(dm)[-1].response["message_reference"] == {
            "type": 0,
            "message_id": str(mid),
            "channel_id": str(dm),
        }
        follow = await fake.inject_dm("thanks", author_id=77, reference_id=reply.id)
        answer = await asyncio.wait_for(received.get(), 5)
        assert answer.id == follow
        assert answer.reference is not None
        assert answer.reference.message_id == reply.id

        # Opening a DM: POST /users/@me/channels answers the same stable channel.
        user = await bot.fetch_user(77)
        channel = await user.create_dm()
        assert channel.id == dm
        assert fake.calls[-1].json == {"recipient_id": 77}
        assert fake.calls[-1].response["recipients"][0]["id"] == "77"
        await channel.send("a DM from the bot")
        assert fake.bot_messages(dm)[-1].content == "a DM from the bot"
        assert [m.content async for m in channel.history(limit=2)] == [
            "a DM from the bot",
            "thanks",
        ]


async def test_dm_events_need_the_intent(fake):
    bot = make_bot(dm_messages=False)
    received = inbox(bot)
    async with fake.running(bot):
        await fake.inject_dm("unheard")
        await fake.inject_message(CHANNEL, "heard")
        assert (await asyncio.wait_for(received.get(), 5)).channel.id == CHANNEL
        assert received.empty()


async def test_attachments_are_served_by_the_cdn(fake):
    bot = make_bot()
    received = inbox(bot)
    async with fake.running(bot):
        files = [
            FakeFile("photo one.png", PNG),
            FakeFile("notes.txt", b"hello notes"),
            FakeFile("data.bin", b"\x00\x01", content_type="application/x-thing"),
        ]
        await fake.inject_message(CHANNEL, "look", attachments=files)
        message = await asyncio.wait_for(received.get(), 5)
        photo, notes, blob = message.attachments
        assert photo.filename == "photo_one.png"  # Discord's sanitising
        assert (photo.width, photo.height, photo.size) == (3, 2, len(PNG))
        assert photo.content_type == "image/png"
        assert notes.content_type == "text/plain; charset=utf-8"
        assert notes.width is None
        assert blob.content_type == "application/x-thing"
        assert await photo.read() == PNG
        assert await notes.read(use_cached=True) == b"hello notes"  # proxy_url
        assert fake.cdn_downloads == [str(photo.id), str(notes.id)]

        # In a DM too; and the bot's own uploads are downloadable.
        await fake.inject_dm("file", attachments=[FakeFile("a.txt", b"dm bytes")])
        dm_message = await asyncio.wait_for(received.get(), 5)
        assert await dm_message.attachments[0].read() == b"dm bytes"
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("here", file=discord.File(io.BytesIO(b"uploaded"), "up.txt"))
        assert await sent.attachments[0].read() == b"uploaded"
        edited = await sent.edit(
            attachments=[*sent.attachments, discord.File(io.BytesIO(PNG), "more.png")]
        )
        assert [a.filename for a in edited.attachments] == ["up.txt", "more.png"]
        assert edited.attachments[1].width == 3

        # The URL is signed, and a deleted message's files are gone.
        async with aiohttp.ClientSession() as session:
            unsigned = photo.url.split("?")[0]
            async with session.get(unsigned) as resp:
                assert resp.status == 404
            await sent.delete()
            async with session.get(sent.attachments[0].url) as resp:
                assert resp.status == 404
        with pytest.raises(discord.NotFound):
            await sent.attachments[0].read()


async def test_forwards_carry_a_snapshot(fake):
    bot = make_bot()
    received = inbox(bot)
    async with fake.running(bot):
        original = await fake.inject_message(
            11, "the original", mention_bot=False, attachments=[FakeFile("o.png", PNG)]
        )
        await asyncio.wait_for(received.get(), 5)
        forward_id = await fake.inject_forward(CHANNEL, original, author_id=55)
        forward = await asyncio.wait_for(received.get(), 5)
        assert forward.id == forward_id
        assert forward.content == ""
        assert forward.flags.forwarded
        assert forward.type is discord.MessageType.default
        assert forward.reference is not None
        assert forward.reference.type is discord.MessageReferenceType.forward
        assert (forward.reference.message_id, forward.reference.channel_id) == (original, 11)
        assert forward.reference.guild_id == fake.guild_id
        assert forward.reference.resolved is None  # no referenced_message for forwards
        (snapshot,) = forward.message_snapshots
        assert snapshot.content == "the original"
        assert snapshot.attachments[0].filename == "o.png"
        assert await snapshot.attachments[0].read() == PNG

        # The snapshot is a copy: editing the original later does not change it.
        await fake.inject_edit(original, "changed")
        channel = bot.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        again = await channel.fetch_message(forward_id)
        assert again.message_snapshots[0].content == "the original"

        # The bot can forward too (message_reference type 1 on create).
        source = await bot.get_channel(11).fetch_message(original)  # type: ignore[union-attr]
        ours = await source.forward(channel)
        assert fake.messages[ours.id].snapshot is not None
        assert ours.message_snapshots[0].content == "changed"
        with pytest.raises(ValueError, match="no content"):
            await fake.inject_message(CHANNEL, "text", forward_of=original)


def test_image_sizes_from_headers():
    jpeg = (
        b"\xff\xd8\xff\xe0"
        + struct.pack(">H", 16)
        + b"JFIF\x00" * 2
        + b"\x00\x00\x00\x00"
        + b"\xff\xc0"
        + struct.pack(">HBHH", 17, 8, 480, 640)
        + b"\x00" * 8
    )
    gif = b"GIF89a" + struct.pack("<HH", 7, 9) + b"\x00" * 4
    vp8x = b"RIFF\x00\x00\x00\x00WEBPVP8X" + b"\x00" * 8 + (99).to_bytes(3, "little")
    vp8x += (49).to_bytes(3, "little")
    vp8l = b"RIFF\x00\x00\x00\x00WEBPVP8L\x00\x00\x00\x00\x2f"
    vp8l += ((20 - 1) | ((10 - 1) << 14)).to_bytes(4, "little")
    assert image_size(PNG) == (3, 2)
    assert image_size(jpeg) == (640, 480)
    assert image_size(gif) == (7, 9)
    assert image_size(vp8x) == (100, 50)
    assert image_size(vp8l) == (20, 10)
    assert image_size(b"not an image") is None
