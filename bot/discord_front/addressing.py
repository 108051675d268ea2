"""Which messages are meant for the bot, and how: a mention, a reply, a thread, a DM.

* a DM is always meant for the bot (unless DMs are off);
* in a thread the bot started, every message continues that conversation;
* a reply to one of the bot's messages continues the conversation it belongs to,
  with or without a ping;
* a mention elsewhere asks a question (and brings the message it replies to, if any).

Messages from bots (this one included), system messages and webhooks never are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import discord

Trigger = Literal["mention", "reply", "thread", "dm"]
_CONVERSATION_TYPES = (discord.MessageType.default, discord.MessageType.reply)


def _replies_to_bot(
    message: discord.Message, bot_id: int, is_ours: Callable[[int], bool] | None
) -> bool:
    reference = message.reference
    if reference is None or reference.message_id is None:
        return False
    parent = reference.resolved
    if isinstance(parent, discord.Message):
        return parent.author.id == bot_id
    # Discord normally sends the replied-to message along; without it, ask what we know.
    return is_ours is not None and is_ours(reference.message_id)


def addressed(
    message: discord.Message,
    bot_id: int,
    *,
    allow_dms: bool,
    is_ours: Callable[[int], bool] | None = None,
) -> Trigger | None:
    """How ``message`` addresses the bot, or ``None`` when it does not.

    ``is_ours`` tells whether a message id is one of the bot's (for a reply whose
    parent Discord did not send along).
    """
    from_a_person = not message.author.bot and message.webhook_id is None
    if not from_a_person or message.type not in _CONVERSATION_TYPES:
        return None
    if message.guild is None:
        return "dm" if allow_dms else None
    channel = message.channel
    trigger: Trigger | None = None
    if isinstance(channel, discord.Thread) and channel.owner_id == bot_id:
        trigger = "thread"
    elif _replies_to_bot(message, bot_id, is_ours):
        trigger = "reply"
    elif any(user.id == bot_id for user in message.mentions):
        trigger = "mention"
    return trigger
