"""``/chat``: ask the model with a choice of model, system prompt, sampling and a thread."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import errors
from bot.core.request import Options
from bot.logs import get_logger

if TYPE_CHECKING:
    from bot.discord_front.client import RelayBot

log = get_logger(__name__)

NO_THREAD_PRIVATE = "A reply can be private or in a new thread, not both."
NO_THREAD_HERE = "I can only open a thread in a server's text channel."


class Chat(commands.Cog):
    """The /chat command."""

    def __init__(self, bot: RelayBot) -> None:
        self.bot = bot

    @app_commands.command(name="chat")
    # Usable from a user's own install too: in servers without the bot, DMs, group DMs.
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.describe(
        prompt="What to ask",
        model="Which model answers",
        system="System prompt for this reply (replaces the default)",
        temperature="Sampling temperature, 0 to 2",
        top_p="Nucleus sampling, 0 to 1",
        max_output_tokens="Upper bound on the reply's tokens",
        private="Only you can see the reply",
        thread="Open a thread for the conversation (follow-ups need no mention there)",
    )
    async def chat(  # noqa: PLR0913, PLR0917 - one parameter per /chat option
        self,
        interaction: discord.Interaction[Any],
        prompt: app_commands.Range[str, 1, 6000],
        model: str | None = None,
        system: app_commands.Range[str, 1, 6000] | None = None,
        temperature: app_commands.Range[float, 0.0, 2.0] | None = None,
        top_p: app_commands.Range[float, 0.0, 1.0] | None = None,
        max_output_tokens: app_commands.Range[int, 16, 128000] | None = None,
        private: bool = False,
        thread: bool = False,
    ) -> None:
        """Ask the model; the reply streams into this channel (or into a new thread)."""
        options = Options(
            model=model,
            system=system,
            temperature=temperature,
            top_p=top_p,
            max_output_tokens=max_output_tokens,
        )
        refusal = None
        if not self.bot.replies.accepting:
            refusal = errors.BUSY
        elif thread and private:
            refusal = NO_THREAD_PRIVATE
        elif thread and not (
            isinstance(interaction.channel, discord.TextChannel)
            and interaction.is_guild_integration()
        ):
            refusal = NO_THREAD_HERE
        if refusal is not None:
            await interaction.response.send_message(refusal, ephemeral=True)
            return
        await self.bot.answers.chat(interaction, prompt, options, private=private, thread=thread)

    @chat.autocomplete("model")
    async def model_choices(
        self, _interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer the models on offer that match what was typed (at most 25)."""
        return [
            app_commands.Choice(name=name, value=name)
            for name in self.bot.app.models.choices(current)
        ]

    async def cog_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Tell the user briefly; log everything unexpected."""
        log.error("command.failed", command="chat", error_type=type(error).__name__, exc_info=error)
        try:
            if interaction.response.is_done():
                await interaction.followup.send(errors.COMMAND_FAILED, ephemeral=True)
            else:
                await interaction.response.send_message(errors.COMMAND_FAILED, ephemeral=True)
        except discord.HTTPException:
            log.warning("command.error_reply_failed")


async def setup(bot: RelayBot) -> None:
    """Load the cog."""
    await bot.add_cog(Chat(bot))
