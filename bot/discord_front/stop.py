"""The Stop button on a reply's live message.

The button's ``custom_id`` carries the reply id (``relaybot:stop:<id>``) and is
registered as a dynamic item, so a press is understood even for a message
written before a restart ("no longer running"). The person who asked, or anyone
with Manage Messages there, may stop a reply; the model stream is closed, the
text so far stays, and the message says who stopped it. The press is answered
with the message's final content where possible (the interaction's own
response, outside the channel's rate-limit bucket), or acknowledged otherwise.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol

import discord

from bot.core.replies import ReplyService
from bot.discord_front.parse import display_name
from bot.logs import get_logger

if TYPE_CHECKING:
    from bot.discord_front.sinks import PressResponder

log = get_logger(__name__)

CUSTOM_ID = "relaybot:stop:{reply_id}"
NOT_RUNNING = "This reply is no longer running."


class _HasReplies(Protocol):
    replies: ReplyService


def controls(reply_id: str) -> discord.ui.View:
    """The live message's components: one Stop button for this reply."""
    view = discord.ui.View(timeout=None)
    view.add_item(StopButton(reply_id))
    return view


class StopButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(r"relaybot:stop:(?P<reply_id>[0-9a-f]{1,32})"),
):
    """A Stop button for one reply."""

    def __init__(self, reply_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Stop",
                emoji="⏹️",
                style=discord.ButtonStyle.secondary,
                custom_id=CUSTOM_ID.format(reply_id=reply_id),
            )
        )
        self.reply_id = reply_id

    @classmethod
    async def from_custom_id(
        cls,
        _interaction: discord.Interaction[Any],
        _item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> StopButton:
        """Rebuild the button from a press (also for messages from before a restart)."""
        return cls(match["reply_id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Stop the reply, if this person may."""
        client: _HasReplies = interaction.client
        await press(interaction, self.reply_id, client.replies)


def _may_stop(interaction: discord.Interaction[Any], asker_id: int | str) -> bool:
    if interaction.user.id == asker_id:
        return True
    permissions = interaction.permissions
    return permissions.manage_messages or permissions.administrator


async def press(
    interaction: discord.Interaction[Any], reply_id: str, replies: ReplyService
) -> None:
    """Handle a press of the Stop button of ``reply_id``."""
    reply = replies.get(reply_id)
    if reply is None:
        await interaction.response.send_message(NOT_RUNNING, ephemeral=True)
        return
    if not _may_stop(interaction, reply.origin.user_id):
        await interaction.response.send_message(
            f"Only <@{reply.origin.user_id}>, who asked, or someone who can manage messages "
            "here can stop this reply.",
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        return
    responder: PressResponder | None = getattr(reply.sink, "responder", None)
    message = interaction.message
    if responder is not None and message is not None:
        responder.take(interaction, message.id)
    else:
        await interaction.response.defer()
    by = display_name(interaction.user)
    replies.stop(reply_id, detail=f"by {by}")
    reply.relay.wake()
    log.info("reply.stop_pressed", session_id=reply_id, by_user_id=interaction.user.id)
