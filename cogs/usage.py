"""``/usage``: what you used today and your limits; for admins, the server's too."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_front import admin

if TYPE_CHECKING:
    from bot.discord_front.client import RelayBot


class Usage(commands.Cog):
    """The /usage command."""

    def __init__(self, bot: RelayBot) -> None:
        self.bot = bot

    @app_commands.command(name="usage")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def usage(self, interaction: discord.Interaction[Any]) -> None:
        """Your usage today and your limits (admins also see the server's)."""
        guard = self.bot.app.guard
        mine = await guard.usage(user_id=str(interaction.user.id))
        server = top = None
        guild_id = interaction.guild_id
        if guild_id is not None and admin.is_admin(interaction, self.bot.settings.admin_ids):
            server = await guard.usage(guild_id=str(guild_id))
            top = await guard.top_users(str(guild_id))
        await interaction.response.send_message(
            admin.usage_text(mine, guard.limits, server=server, top=top),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )


async def setup(bot: RelayBot) -> None:
    """Load the cog."""
    await bot.add_cog(Usage(bot))
