"""Messages meant for the bot: mentions, replies to its messages, its threads and DMs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.discord_front.addressing import addressed
from bot.discord_front.parse import clean_text
from bot.discord_front.sinks import NO_MENTIONS
from bot.logs import get_logger

if TYPE_CHECKING:
    from bot.discord_front.client import RelayBot

log = get_logger(__name__)

USAGE = (
    "Mention me with a question, for example `@{name} explain rate limits`, "
    "or use `/chat` to pick the model and settings. Reply to my answers to continue."
)


class Conversations(commands.Cog):
    """Answers every message that addresses the bot."""

    def __init__(self, bot: RelayBot) -> None:
        self.bot = bot

    @commands.Cog.listener("on_message")
    async def answer(self, message: discord.Message) -> None:
        """Answer a mention, a reply to the bot, a message in its thread, or a DM."""
        me = self.bot.user
        if me is None:
            return
        trigger = addressed(
            message, me.id, allow_dms=self.bot.settings.allow_dms, is_ours=self.bot.is_ours
        )
        if trigger is None:
            return
        bare = not clean_text(message, me.id) and not message.attachments
        if trigger == "mention" and bare and not message.message_snapshots:
            await message.reply(
                USAGE.format(name=me.display_name),
                mention_author=False,
                allowed_mentions=NO_MENTIONS,
            )
            return
        await self.bot.answers.answer(message, trigger)

    @commands.Cog.listener("on_raw_message_edit")
    async def forget_edited(self, payload: discord.RawMessageUpdateEvent) -> None:
        """An edited message is read again next time."""
        self.bot.memory.forget(payload.message_id)

    @commands.Cog.listener("on_raw_message_delete")
    async def forget_deleted(self, payload: discord.RawMessageDeleteEvent) -> None:
        """A deleted message is no longer context."""
        self.bot.memory.forget(payload.message_id)


async def setup(bot: RelayBot) -> None:
    """Load the cog."""
    await bot.add_cog(Conversations(bot))
