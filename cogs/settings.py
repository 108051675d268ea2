"""``/settings``: per-server and per-channel settings, their history, and access lists.

Visible by default to members with Manage Server (a server can change that under
Integrations); the bot also checks Manage Server, or the operator's
``BOT_ADMIN_IDS``, before any change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.server_settings import KEYS, SettingRejectedError
from bot.core.storage import AccessEntry, Target
from bot.discord_front import admin
from bot.discord_front.places import place
from bot.logs import get_logger

if TYPE_CHECKING:
    from bot.discord_front.client import RelayBot

log = get_logger(__name__)

Key = Literal["model", "system_prompt", "temperature", "top_p", "max_output_tokens"]
Scope = Literal["server", "channel"]
NOT_ADMIN = "Only members with Manage Server (or the bot's operators) can change settings."


class Settings(commands.Cog):
    """The /settings command group."""

    settings = app_commands.Group(
        name="settings",
        description="Settings and access for this server and its channels",
        default_permissions=discord.Permissions(manage_guild=True),
        allowed_contexts=app_commands.AppCommandContext(guild=True),
        allowed_installs=app_commands.AppInstallationType(guild=True),
    )
    access = app_commands.Group(
        name="access", description="Who may use the bot here", parent=settings
    )

    def __init__(self, bot: RelayBot) -> None:
        self.bot = bot

    def _scope(self, interaction: discord.Interaction[Any], scope: Scope) -> tuple[str, str]:
        if scope == "server":
            return "guild", str(interaction.guild_id)
        channel_id = place(interaction.channel, interaction.guild_id).channel_id
        return "channel", str(channel_id)

    async def _refuse_non_admin(self, interaction: discord.Interaction[Any]) -> bool:
        if admin.is_admin(interaction, self.bot.settings.admin_ids):
            return False
        await interaction.response.send_message(NOT_ADMIN, ephemeral=True)
        return True

    @settings.command(name="show")
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        """Show the settings that apply in this channel, and where each comes from."""
        here = place(interaction.channel, interaction.guild_id)
        effective = await self.bot.app.server_settings.effective(here)
        where = f"<#{here.channel_id}>" if here.channel_id else "this server"
        await interaction.response.send_message(
            admin.settings_text(effective, where), ephemeral=True
        )

    @settings.command(name="set")
    @app_commands.describe(
        key="The setting", value="Its new value", scope="This server, or only this channel"
    )
    async def set_(
        self,
        interaction: discord.Interaction[Any],
        key: Key,
        value: app_commands.Range[str, 1, 6000],
        scope: Scope = "server",
    ) -> None:
        """Set a setting for this server or this channel."""
        if await self._refuse_non_admin(interaction):
            return
        kind, scope_id = self._scope(interaction, scope)
        try:
            old, new = await self.bot.app.server_settings.change(
                kind, scope_id, key, value, by=str(interaction.user.id)
            )
        except SettingRejectedError as exc:
            await interaction.response.send_message(f"❌ {exc}", ephemeral=True)
            return
        where = "this server" if scope == "server" else "this channel"
        await interaction.response.send_message(
            f"✅ `{key}` for {where}: {admin.shown(old) if old else 'default'} → "
            f"{admin.shown(new)}",
            ephemeral=True,
        )

    @settings.command(name="reset")
    @app_commands.describe(key="The setting, or all of them", scope="This server, or this channel")
    async def reset(
        self,
        interaction: discord.Interaction[Any],
        key: Literal["all", "model", "system_prompt", "temperature", "top_p", "max_output_tokens"],
        scope: Scope = "server",
    ) -> None:
        """Go back to the default (the server's, for a channel; the environment's, for a server)."""
        if await self._refuse_non_admin(interaction):
            return
        kind, scope_id = self._scope(interaction, scope)
        keys = KEYS if key == "all" else (key,)
        changed = []
        for name in keys:
            old, _ = await self.bot.app.server_settings.change(
                kind, scope_id, name, None, by=str(interaction.user.id)
            )
            if old is not None:
                changed.append(name)
        where = "this server" if scope == "server" else "this channel"
        text = (
            f"✅ Back to the default for {where}: {', '.join(f'`{k}`' for k in changed)}."
            if changed
            else f"Nothing to reset: {where} had no such setting."
        )
        await interaction.response.send_message(text, ephemeral=True)

    @settings.command(name="history")
    async def history(self, interaction: discord.Interaction[Any]) -> None:
        """Recent changes to the settings of this server and this channel."""
        here = place(interaction.channel, interaction.guild_id)
        changes = await self.bot.app.server_settings.history(here, limit=15)
        await interaction.response.send_message(admin.history_text(changes), ephemeral=True)

    async def _change_access(
        self,
        interaction: discord.Interaction[Any],
        rule: Literal["allow", "block"],
        who: discord.Member | discord.User | discord.Role | None,
        where: discord.abc.GuildChannel | None,
        *,
        add: bool,
    ) -> None:
        if await self._refuse_non_admin(interaction):
            return
        if (who is None) == (where is None):
            await interaction.response.send_message(
                "Give exactly one of `who` (a person or a role) and `where` (a channel or a "
                "category).",
                ephemeral=True,
            )
            return
        target: Target
        if isinstance(who, discord.Role):
            target, target_id = "role", who.id
        elif who is not None:
            target, target_id = "user", who.id
        elif where is not None and where.type == discord.ChannelType.category:
            target, target_id = "category", where.id
        elif where is not None:
            target, target_id = "channel", where.id
        entry = AccessEntry(
            str(interaction.guild_id), rule, target, str(target_id), by=str(interaction.user.id)
        )
        changed = await self.bot.app.access.change(entry, add=add)
        if changed:
            verb = "added to" if add else "removed from"
        else:
            verb = "already on" if add else "already not on"
        await interaction.response.send_message(
            f"✅ {admin.mention(entry)} {verb} the {rule} list.",
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @access.command(name="add")
    @app_commands.describe(
        rule="Allow or block", who="A person or a role", where="A channel or a category"
    )
    async def access_add(
        self,
        interaction: discord.Interaction[Any],
        rule: Literal["allow", "block"],
        who: discord.Member | discord.Role | None = None,
        where: discord.TextChannel | discord.CategoryChannel | None = None,
    ) -> None:
        """Put a person, role, channel or category on the allow or block list."""
        await self._change_access(interaction, rule, who, where, add=True)

    @access.command(name="remove")
    @app_commands.describe(
        rule="Allow or block", who="A person or a role", where="A channel or a category"
    )
    async def access_remove(
        self,
        interaction: discord.Interaction[Any],
        rule: Literal["allow", "block"],
        who: discord.Member | discord.Role | None = None,
        where: discord.TextChannel | discord.CategoryChannel | None = None,
    ) -> None:
        """Take a person, role, channel or category off the allow or block list."""
        await self._change_access(interaction, rule, who, where, add=False)

    @access.command(name="show")
    async def access_show(self, interaction: discord.Interaction[Any]) -> None:
        """Show this server's allow and block lists."""
        entries = await self.bot.app.access.entries(str(interaction.guild_id))
        text = admin.access_text(entries, env_lists=bool(self.bot.settings.access))
        await interaction.response.send_message(
            text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )


async def setup(bot: RelayBot) -> None:
    """Load the cog."""
    await bot.add_cog(Settings(bot))
