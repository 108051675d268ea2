"""Answers mentions and ``/chat`` with streamed model replies."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import errors
from bot.core.reply import Origin
from bot.core.request import Options, RequestRejectedError
from bot.discord_front.layout import MessageLayout
from bot.discord_front.sinks import NO_MENTIONS, ChannelSink, InteractionSink
from bot.logs import get_logger

if TYPE_CHECKING:
    from bot.discord_front.client import RelayBot

log = get_logger(__name__)

USAGE = (
    "Mention me with a question, for example `@{name} explain rate limits`, "
    "or use `/chat` to pick the model and settings."
)
LAYOUT = MessageLayout()


def mention_prompt(message: discord.Message, bot_id: int) -> str:
    """The message text without the bot's mention; other mentions become @names."""
    text = re.sub(rf"<@!?{bot_id}>", "", message.content)
    for user in message.mentions:
        if user.id != bot_id:
            text = re.sub(rf"<@!?{user.id}>", f"@{user.display_name}", text)
    return text.strip()


class Chat(commands.Cog):
    """Mentions and the /chat command."""

    def __init__(self, bot: RelayBot) -> None:
        self.bot = bot

    @commands.Cog.listener("on_message")
    async def answer_mention(self, message: discord.Message) -> None:
        """Reply to a message that mentions the bot."""
        me = self.bot.user
        if message.author.bot or me is None:
            return
        if not any(user.id == me.id for user in message.mentions):
            return
        prompt = mention_prompt(message, me.id)
        if not prompt:
            await message.reply(
                USAGE.format(name=me.display_name),
                mention_author=False,
                allowed_mentions=NO_MENTIONS,
            )
            return
        if not self.bot.replies.accepting:
            await message.reply(errors.BUSY, mention_author=False, allowed_mentions=NO_MENTIONS)
            return
        request = self.bot.app.requests.build(prompt)
        origin = Origin(
            trigger="mention",
            user_id=message.author.id,
            where={
                "guild_id": message.guild.id if message.guild else None,
                "channel_id": message.channel.id,
            },
        )
        try:
            await message.channel.typing()
        except discord.HTTPException:
            log.debug("typing.failed")
        sink = ChannelSink(message, self.bot.monitor)
        await self.bot.replies.spawn(request, sink, LAYOUT, origin).task

    @app_commands.command(name="chat")
    @app_commands.describe(
        prompt="What to ask",
        model="Which model answers (from the configured list)",
        system="System prompt for this reply (replaces the default)",
        temperature="Sampling temperature, 0 to 2",
        top_p="Nucleus sampling, 0 to 1",
        max_output_tokens="Upper bound on the reply's tokens",
        private="Only you can see the reply",
    )
    async def chat(
        self,
        interaction: discord.Interaction,
        prompt: app_commands.Range[str, 1, 6000],
        model: str | None = None,
        system: app_commands.Range[str, 1, 6000] | None = None,
        temperature: app_commands.Range[float, 0.0, 2.0] | None = None,
        top_p: app_commands.Range[float, 0.0, 1.0] | None = None,
        max_output_tokens: app_commands.Range[int, 16, 128000] | None = None,
        private: bool = False,
    ) -> None:
        """Ask the model; the reply streams into this channel."""
        options = Options(
            model=model,
            system=system,
            temperature=temperature,
            top_p=top_p,
            max_output_tokens=max_output_tokens,
        )
        try:
            request = self.bot.app.requests.build(prompt, options)
        except RequestRejectedError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        if not self.bot.replies.accepting:
            await interaction.response.send_message(errors.BUSY, ephemeral=True)
            return
        await interaction.response.defer(ephemeral=private, thinking=True)
        origin = Origin(
            trigger="slash",
            user_id=interaction.user.id,
            where={"guild_id": interaction.guild_id, "channel_id": interaction.channel_id},
        )
        sink = InteractionSink(interaction, ephemeral=private, monitor=self.bot.monitor)
        await self.bot.replies.spawn(request, sink, LAYOUT, origin).task

    @chat.autocomplete("model")
    async def model_choices(
        self, _interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer the configured models that match what was typed."""
        needle = current.lower()
        return [
            app_commands.Choice(name=name, value=name)
            for name in self.bot.app.requests.defaults.models
            if needle in name.lower()
        ][:25]

    async def cog_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Tell the user briefly; log everything unexpected."""
        log.error("command.failed", command="chat", error_type=type(error).__name__, exc_info=error)
        text = errors.COMMAND_FAILED
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException:
            log.warning("command.error_reply_failed")


async def setup(bot: RelayBot) -> None:
    """Load the cog."""
    await bot.add_cog(Chat(bot))
