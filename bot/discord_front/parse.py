"""One Discord message as the conversation needs it: who, what, and what it replies to.

A user's text gets other people's mentions as ``@names`` and loses the bot's
own mention; a forwarded message brings the text it forwards; the bot's own
messages are read back into the model's text (without its decorations) and
sorted into reply parts and everything else (hints, notices, reset markers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import discord

from bot.discord_front import readback

#: The first words of the message that `/reset` posts; history is never read past it.
RESET_MARKER = "🔄 Conversation reset"

Kind = Literal["user", "reply", "other"]


@dataclass(frozen=True)
class Seen:
    """A parsed message.

    ``kind``: a person's message, a part of one of the bot's replies, or another bot
    message (not context). ``parent_id`` is the message it replies to; ``last_part``
    marks the message of a reply that carries the footer or the live indicator.
    """

    id: int
    channel_id: int
    author_id: int
    author: str
    kind: Kind
    text: str
    parent_id: int | None = None
    attachments: tuple[discord.Attachment, ...] = ()
    last_part: bool = False
    reset: bool = False


def display_name(user: discord.abc.User) -> str:
    """How a person is called in the conversation (nickname, global name or username)."""
    return user.display_name


def clean_text(message: discord.Message, bot_id: int) -> str:
    """The text without the bot's mention; people, roles and channels by name."""
    text = re.sub(rf"<@!?{bot_id}>", "", message.content)
    for user in message.mentions:
        if user.id != bot_id:
            text = re.sub(rf"<@!?{user.id}>", f"@{display_name(user)}", text)
    for role in message.role_mentions:
        text = text.replace(f"<@&{role.id}>", f"@{role.name}")
    for channel in message.channel_mentions:
        text = text.replace(f"<#{channel.id}>", f"#{getattr(channel, 'name', channel.id)}")
    return text.strip()


def _forwarded(message: discord.Message) -> str:
    parts = [snap.content.strip() for snap in message.message_snapshots if snap.content.strip()]
    return "\n\n".join(f"[Forwarded message]\n{part}" for part in parts)


def _parent(message: discord.Message) -> int | None:
    reference = message.reference
    if reference is None or reference.type == discord.MessageReferenceType.forward:
        return None
    if reference.channel_id != message.channel.id:
        return None  # a reply across channels is not a conversation here
    return reference.message_id


def parse(message: discord.Message, bot_id: int) -> Seen:
    """Parse one message (the bot's own, or anyone else's)."""
    base: dict[str, Any] = {
        "id": message.id,
        "channel_id": message.channel.id,
        "author_id": message.author.id,
        "author": display_name(message.author),
        "parent_id": _parent(message),
    }
    if message.author.id != bot_id:
        text = clean_text(message, bot_id)
        forwarded = _forwarded(message)
        attachments = list(message.attachments)
        for snapshot in message.message_snapshots:
            attachments.extend(snapshot.attachments)
        return Seen(
            **base,
            kind="user",
            text="\n\n".join(t for t in (text, forwarded) if t),
            attachments=tuple(attachments),
        )
    if message.content.startswith(RESET_MARKER):
        return Seen(**base, kind="other", text="", reset=True)
    text, decorated = readback.body(message.content)
    # A reply part is a message with the indicator or footer (the last part), or a
    # continuation of an earlier part; anything else the bot wrote is not context.
    parent = message.reference.resolved if message.reference else None
    continues = isinstance(parent, discord.Message) and parent.author.id == bot_id
    kind: Kind = "reply" if decorated or continues else "other"
    return Seen(**base, kind=kind, text=text, last_part=decorated)
