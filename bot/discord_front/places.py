"""Who asks and where, in the core's terms: for access lists and per-place settings.

A thread counts as its parent channel (settings, allow and block lists), and a
channel's category is where it is filed; in a DM there is no server.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.core.access import Asker
from bot.core.server_settings import Place


def _channel_ids(channel: object) -> tuple[str, ...]:
    """The channel, and for a thread its parent too."""
    ids = []
    channel_id = getattr(channel, "id", None)
    if channel_id is not None:
        ids.append(str(channel_id))
    parent_id = getattr(channel, "parent_id", None)
    if isinstance(channel, discord.Thread) and parent_id is not None:
        ids.append(str(parent_id))
    return tuple(ids)


def _category_id(channel: object) -> str | None:
    if isinstance(channel, discord.Thread):
        channel = channel.parent
    category_id = getattr(channel, "category_id", None)
    return None if category_id is None else str(category_id)


def place(channel: object, guild_id: int | None) -> Place:
    """The settings place of a channel: a thread takes its parent's settings."""
    ids = _channel_ids(channel)
    return Place(
        guild_id=None if guild_id is None else str(guild_id),
        channel_id=ids[-1] if ids else None,
    )


def asker(user: discord.abc.User, channel: object, guild_id: int | None) -> Asker:
    """Who asks (with their roles, in a server) and where."""
    roles = getattr(user, "roles", None) or []
    return Asker(
        user_id=str(user.id),
        guild_id=None if guild_id is None else str(guild_id),
        channel_ids=_channel_ids(channel),
        category_id=_category_id(channel),
        role_ids=tuple(str(r.id) for r in roles if not r.is_default()),
    )


def message_asker(message: discord.Message) -> Asker:
    """The asker of a message."""
    return asker(message.author, message.channel, message.guild.id if message.guild else None)


def interaction_asker(interaction: discord.Interaction[Any]) -> Asker:
    """The asker of an interaction."""
    return asker(interaction.user, interaction.channel, interaction.guild_id)
