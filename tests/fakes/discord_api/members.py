"""Changing the guild: roles, @everyone's permissions, members' names, categories, channels.

Each helper changes what later payloads carry (GUILD_CREATE on the next IDENTIFY, message
``member``/``author``, interaction ``member`` and its computed ``permissions``) and, when
a client is connected, dispatches the event Discord would: GUILD_ROLE_CREATE/UPDATE,
CHANNEL_CREATE/UPDATE (GUILDS intent) and GUILD_MEMBER_ADD/UPDATE (GUILD_MEMBERS intent,
privileged: a bot without it hears nothing). They may be awaited before ``start()``.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.discord_api.constants import INTENT_GUILD_MEMBERS, INTENT_GUILDS
from tests.fakes.discord_api.gateway import Gateway


class GuildEvents(Gateway):
    """Roles, @everyone, members, categories and channels, changed with their events."""

    async def _guild_event(self, event: str, data: dict[str, Any], intent: int) -> None:
        await self._dispatch_event(event, {**data, "guild_id": str(self.guild_id)}, intent=intent)
        await self.notify()

    async def add_role(self, role_id: int, name: str, permissions: int = 0) -> None:
        """A role with these permission bits (GUILD_ROLE_CREATE); give it with ``set_member``."""
        if role_id == self.guild_id or role_id in self._roles:
            raise ValueError(f"role {role_id} exists")
        role = self._new_role(role_id, name, permissions)
        await self._guild_event("GUILD_ROLE_CREATE", {"role": role}, INTENT_GUILDS)

    async def set_everyone_permissions(self, permissions: int) -> None:
        """@everyone's permission bits (default: all); GUILD_ROLE_UPDATE.

        The guild owner (``owner_id``, default the tester ``user_id``) keeps every
        permission, and the bot its managed role's: use another user id for an ordinary
        member.
        """
        self.everyone_permissions = permissions
        role = self._role_json(self.guild_id)
        await self._guild_event("GUILD_ROLE_UPDATE", {"role": role}, INTENT_GUILDS)

    async def set_member(
        self,
        user_id: int,
        *,
        roles: list[int] | None = None,
        nick: str | None = None,
        global_name: str | None = None,
        username: str | None = None,
    ) -> None:
        """Make ``user_id`` a guild member and set what is given (None: unchanged; "" clears).

        Display names follow Discord: nick, else global_name, else username. The user
        becomes one of GUILD_CREATE's members (GUILD_MEMBER_ADD if new, else
        GUILD_MEMBER_UPDATE). ``roles`` replaces the member's roles (ids of ``add_role``).
        """
        user = self._add_user(user_id)
        if username is not None:
            user["username"] = username
        if global_name is not None:
            user["global_name"] = global_name or None
        if nick is not None:
            self._nicks[user_id] = nick or None
        if roles is not None:
            unknown = [r for r in roles if r not in self._roles]
            if unknown:
                raise ValueError(f"unknown roles {unknown}: add_role first")
            self._member_roles[user_id] = list(roles)
        event = "GUILD_MEMBER_UPDATE"
        if user_id not in self._member_ids:
            self._member_ids.append(user_id)
            event = "GUILD_MEMBER_ADD"
        await self._guild_event(event, self._member(user_id), INTENT_GUILD_MEMBERS)

    async def add_category(self, category_id: int, name: str, channel_ids: list[int]) -> None:
        """A category (type 4) holding these text channels (their ``parent_id``).

        CHANNEL_CREATE for the category, CHANNEL_UPDATE for each channel moved into it.
        """
        if self._channel_type(category_id) is not None:
            raise ValueError(f"channel {category_id} exists")
        missing = [c for c in channel_ids if c not in self.channel_ids]
        if missing:
            raise ValueError(f"{missing} are not text channels: add_channel first")
        self._categories[category_id] = name
        await self._guild_event("CHANNEL_CREATE", self._channel_json(category_id), INTENT_GUILDS)
        for cid in channel_ids:
            self._parents[cid] = category_id
            await self._guild_event("CHANNEL_UPDATE", self._channel_json(cid), INTENT_GUILDS)

    async def add_channel(self, channel_id: int, parent_id: int | None = None) -> None:
        """Another text channel (type 0), in category ``parent_id`` if given; CHANNEL_CREATE."""
        if self._channel_type(channel_id) is not None:
            raise ValueError(f"channel {channel_id} exists")
        if parent_id is not None and parent_id not in self._categories:
            raise ValueError(f"{parent_id} is not a category: add_category first")
        self.channel_ids = (*self.channel_ids, channel_id)
        if parent_id is not None:
            self._parents[channel_id] = parent_id
        await self._guild_event("CHANNEL_CREATE", self._channel_json(channel_id), INTENT_GUILDS)
