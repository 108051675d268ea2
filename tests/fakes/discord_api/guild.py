"""The guild model: roles, members and their permissions, channels, threads and DMs.

Which channels exist and what kind each is (a text channel of ``channel_ids``, a
category, a thread of ``threads``, the bot's DM with a user, or a channel the bot cannot
see), and the JSON Discord sends for them, for the guild, its roles and its members.

Permissions are computed like Discord's base permissions: @everyone's, OR every role of
the member; the owner and ADMINISTRATOR get all. There are no channel overwrites. The
bot has a managed role with every permission (as if invited with Administrator), so
``set_everyone_permissions`` restricts members without taking the bot's away.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.discord_api.constants import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    CHANNEL_CATEGORY,
    CHANNEL_DM,
    CHANNEL_TEXT,
)
from tests.fakes.discord_api.state import DiscordState, FakeThread, _iso
from tests.fakes.discord_api.validation import _ApiError

_FORBID_MESSAGES = {
    50001: "Missing Access",
    50007: "Cannot send messages to this user",
    50013: "Missing Permissions",
}


class GuildModel(DiscordState):
    """Roles, members, channels (text, categories, threads, DMs) and access rules."""

    everyone_permissions: int
    bot_role_id: int
    _roles: dict[int, dict[str, Any]]  # added roles and the bot's, by id (not @everyone)
    _member_roles: dict[int, list[int]]
    _nicks: dict[int, str | None]
    _categories: dict[int, str]  # category id -> name
    _parents: dict[int, int]  # text channel -> category
    _dm_channels: dict[int, int]  # user id -> DM channel id
    _foreign: dict[int, int | None]  # channel the bot is not in -> its guild (None: private)
    _forbidden: dict[int, int]  # channel -> error code of forbid()

    # ------------------------------------------------------------------ access

    def forbid(self, channel_id: int, code: int = 50013) -> None:
        """Answer the bot's message create/edit, typing and thread creation there with 403.

        The body is Discord's (``{"message": "Missing Permissions", "code": 50013}``; 50001
        "Missing Access", 50007 "Cannot send messages to this user"). With 50001 reads of
        the channel (GET channel, message, history) fail too. Threads of a forbidden
        channel are forbidden too (they inherit its permissions). Lasts until ``allow``.
        """
        self._forbidden[channel_id] = code

    def allow(self, channel_id: int) -> None:
        """Undo ``forbid``."""
        self._forbidden.pop(channel_id, None)

    def _check_channel_id(self, cid: int, *, write: bool = False) -> int:
        """The channel if the bot may use it (``write``: post in it), else Discord's error."""
        if cid in self._foreign:
            raise _ApiError(403, 50001, "Missing Access")
        if self._channel_type(cid) is None:
            raise _ApiError(404, 10003, "Unknown Channel")
        code = self._forbidden.get(cid)
        if code is None and cid in self.threads:  # a thread has its parent's permissions
            code = self._forbidden.get(self.threads[cid].parent_id)
        if code is not None and (write or code == 50001):
            raise _ApiError(403, code, _FORBID_MESSAGES.get(code, "Missing Permissions"))
        return cid

    # ------------------------------------------------------------------ channels

    def dm_channel_id(self, user_id: int) -> int:
        """The id of the bot's DM channel with ``user_id`` (stable; made on first use)."""
        cid = self._dm_channels.get(user_id)
        if cid is None:
            self._add_user(user_id)
            cid = self.snowflake()
            self._dm_channels[user_id] = cid
        return cid

    def _dm_user(self, cid: int) -> int | None:
        for uid, dm in self._dm_channels.items():
            if dm == cid:
                return uid
        return None

    def _channel_type(self, cid: int) -> int | None:
        if cid in self.channel_ids:
            return CHANNEL_TEXT
        if cid in self.threads:
            return self.threads[cid].type
        if cid in self._categories:
            return CHANNEL_CATEGORY
        if self._dm_user(cid) is not None:
            return CHANNEL_DM
        return None

    def _guild_of(self, cid: int) -> int | None:
        """The guild a channel is in; None for DMs and private channels."""
        if cid in self._foreign:
            return self._foreign[cid]
        if self._channel_type(cid) in {None, CHANNEL_DM}:
            return None
        return self.guild_id

    def _last_message_id(self, cid: int) -> str | None:
        ids = [m.id for m in self.messages.values() if m.channel_id == cid and not m.ephemeral]
        return str(max(ids)) if ids else None

    def _channel_json(self, channel_id: int, position: int | None = None) -> dict[str, Any]:
        kind = self._channel_type(channel_id)
        if kind == CHANNEL_DM:
            return self._dm_json(channel_id)
        if channel_id in self.threads:
            return self._thread_json(self.threads[channel_id])
        if position is None:
            ordered = [*self.channel_ids, *self._categories]
            position = ordered.index(channel_id) if channel_id in ordered else 0
        data: dict[str, Any] = {
            "id": str(channel_id),
            "type": CHANNEL_TEXT,
            "guild_id": str(self.guild_id),
            "name": f"channel-{channel_id}",
            "position": position,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "flags": 0,
        }
        if kind == CHANNEL_CATEGORY:
            data.update(type=CHANNEL_CATEGORY, name=self._categories[channel_id])
            return data
        parent = self._parents.get(channel_id)
        data.update(
            topic=None,
            last_message_id=self._last_message_id(channel_id),
            rate_limit_per_user=0,
            parent_id=None if parent is None else str(parent),
        )
        return data

    def _dm_json(self, channel_id: int) -> dict[str, Any]:
        uid = self._dm_user(channel_id)
        return {
            "id": str(channel_id),
            "type": CHANNEL_DM,
            "last_message_id": self._last_message_id(channel_id),
            "flags": 0,
            "recipients": [self._add_user(uid)] if uid is not None else [],
        }

    def _thread_json(self, thread: FakeThread, *, member_for: int | None = None) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "archived": thread.archived,
            "auto_archive_duration": thread.auto_archive_duration,
            "archive_timestamp": thread.created_timestamp,
            "locked": thread.locked,
            "create_timestamp": thread.created_timestamp,
        }
        if thread.type == 12:
            metadata["invitable"] = True
        data: dict[str, Any] = {
            "id": str(thread.id),
            "type": thread.type,
            "guild_id": str(self.guild_id),
            "parent_id": str(thread.parent_id),
            "owner_id": str(thread.owner_id),
            "name": thread.name,
            "last_message_id": self._last_message_id(thread.id),
            "message_count": thread.message_count,
            "member_count": min(len(thread.member_ids), 50),
            "rate_limit_per_user": thread.rate_limit_per_user,
            "flags": 0,
            "total_message_sent": thread.total_message_sent,
            "thread_metadata": metadata,
        }
        if member_for is not None and member_for in thread.member_ids:
            data["member"] = {
                "id": str(thread.id),
                "user_id": str(member_for),
                "join_timestamp": thread.created_timestamp,
                "flags": 0,
                "muted": False,
                "mute_config": None,
            }
        return data

    # ------------------------------------------------------------------ roles and members

    def _role_json(self, role_id: int) -> dict[str, Any]:
        if role_id == self.guild_id:
            return {
                "id": str(self.guild_id),
                "name": "@everyone",
                "color": 0,
                "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
                "hoist": False,
                "icon": None,
                "unicode_emoji": None,
                "position": 0,
                "permissions": str(self.everyone_permissions),
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        return self._roles[role_id]

    def _new_role(self, role_id: int, name: str, permissions: int) -> dict[str, Any]:
        role = {
            **self._role_json(self.guild_id),
            "id": str(role_id),
            "name": name,
            "position": len(self._roles) + 1,
            "permissions": str(permissions),
        }
        self._roles[role_id] = role
        return role

    def _permissions(self, user_id: int) -> int:
        """Base permissions of a member: @everyone | roles; owner or ADMINISTRATOR: all."""
        everything = int(ALL_PERMISSIONS)
        if user_id == self.owner_id:
            return everything
        perms = self.everyone_permissions
        for role_id in self._member_roles.get(user_id, []):
            role = self._roles.get(role_id)
            if role is not None:
                perms |= int(role["permissions"])
        return everything if perms & ADMINISTRATOR else perms

    def _member(self, user_id: int, *, with_user: bool = True) -> dict[str, Any]:
        member: dict[str, Any] = {
            "nick": self._nicks.get(user_id),
            "avatar": None,
            "banner": None,
            "roles": [str(r) for r in self._member_roles.get(user_id, [])],
            "joined_at": _iso(1_700_000_000),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            member["user"] = self._add_user(user_id)
        return member

    def _guild_json(self) -> dict[str, Any]:
        members = [self._member(uid) for uid in self._member_ids]
        channels = [
            self._channel_json(cid, i)
            for i, cid in enumerate([*self.channel_ids, *self._categories])
        ]
        return {
            "id": str(self.guild_id),
            "name": "Fake Guild",
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "features": [],
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "joined_at": _iso(1_700_000_000),
            "large": False,
            "lazy": True,
            "unavailable": False,
            "member_count": len(members),
            "roles": [self._role_json(self.guild_id), *self._roles.values()],
            "emojis": [],
            "stickers": [],
            "channels": channels,
            "threads": [self._thread_json(t) for t in self.threads.values() if not t.archived],
            "members": members,
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }
