"""The invite link an operator opens to add the bot to a server, with what it needs."""

from __future__ import annotations

import discord

SCOPES = ("bot", "applications.commands")


def permissions() -> discord.Permissions:
    """What the bot needs in a channel: read a question, stream its reply, open threads."""
    return discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        create_public_threads=True,
        read_message_history=True,
    )


def invite_url(application_id: int) -> str:
    """The OAuth2 URL that adds the bot with :func:`permissions` and slash commands."""
    return discord.utils.oauth_url(application_id, permissions=permissions(), scopes=SCOPES)
