"""``/reset``: start a fresh conversation in a thread the bot started, or in a DM."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_front.parse import RESET_MARKER

if TYPE_CHECKING:
    from bot.discord_front.client import RelayBot

MARKER = f"{RESET_MARKER}. I won't read the messages above this one."
NOTHING_TO_RESET = (
    "Nothing to reset here: in a channel, every mention starts a new conversation, and a reply "
    "to one of my messages continues that one. `/reset` works in my threads and in DMs."
)


class Reset(commands.Cog):
    """The /reset command."""

    def __init__(self, bot: RelayBot) -> None:
        self.bot = bot

    @app_commands.command(name="reset")
    async def reset(self, interaction: discord.Interaction[Any]) -> None:
        """Start a fresh conversation here (in my threads and in DMs)."""
        channel = interaction.channel
        me = self.bot.user
        mine = isinstance(channel, discord.Thread) and me is not None and channel.owner_id == me.id
        if interaction.guild_id is None or mine:
            await interaction.response.send_message(MARKER)
        else:
            await interaction.response.send_message(NOTHING_TO_RESET, ephemeral=True)


async def setup(bot: RelayBot) -> None:
    """Load the cog."""
    await bot.add_cog(Reset(bot))
