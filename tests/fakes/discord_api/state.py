"""What the fake records, and the state every part of ``FakeDiscord`` shares.

``Call``, ``FakeMessage`` and ``FakeInteraction`` are what tests read. ``DiscordState``
is the base of every part (the parts are mixins on one object): it declares the
configuration and records that ``FakeDiscord.__init__`` (server.py) sets, answers the
queries tests make over them, and builds the user, member, channel and guild JSON
that READY, GUILD_CREATE, messages and interactions carry.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.fakes.discord_api.constants import ALL_PERMISSIONS, DISCORD_EPOCH_MS

JsonBody = dict[str, Any] | list[Any] | None


def _iso(ts: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if ts is None else ts, UTC).isoformat()


# --------------------------------------------------------------------------- records


@dataclass
class Call:
    """One REST request as the fake received it."""

    t: float  # time.monotonic() when received
    method: str
    path: str  # without the /api/v10 prefix
    json: JsonBody  # parsed JSON body (or multipart payload_json); a list for command syncs
    status: int  # status the fake answered with
    bucket: str | None  # rate-limit bucket key it counted against ("channel:10", "webhook:<token>")
    query: dict[str, str] = field(default_factory=dict)
    response: Any = None  # the JSON body the fake answered with
    channel_id: int | None = None  # channel the request writes to (also for webhook routes)
    message_id: int | None = None  # message created/edited/deleted, when known
    files: list[str] = field(default_factory=list)  # filenames of multipart attachments
    injected: bool = False  # answered by fail_next()
    write: bool = False  # a message create/edit (channel or webhook route)


@dataclass
class FakeMessage:
    """A message as the fake stores it; ``history`` holds every version."""

    id: int
    channel_id: int
    content: str
    embeds: list[Any]
    flags: int
    author_id: int
    reference_id: int | None  # message_reference.message_id
    history: list[tuple[float, str]]  # (monotonic time, content) for every create/edit
    allowed_mentions: list[dict[str, Any] | None]  # allowed_mentions of each create/edit
    interaction_token: str | None  # set for interaction original responses / followups
    components: list[Any] = field(default_factory=list)
    attachments: list[Any] = field(default_factory=list)
    mention_ids: list[int] = field(default_factory=list)  # users actually pinged (last version)
    mention_everyone: bool = False
    deleted: bool = False
    created_at: float = 0.0  # monotonic
    edited_at: float | None = None  # monotonic, last edit
    timestamp: str = ""
    edited_timestamp: str | None = None
    webhook_id: int | None = None
    reactions: list[str] = field(default_factory=list)  # emoji the bot added
    loading: bool = False  # a deferred response not yet edited ("is thinking...")

    @property
    def edits(self) -> int:
        """Number of edits after the create."""
        return len(self.history) - 1


@dataclass
class FakeInteraction:
    """State of one injected interaction, as the fake sees it."""

    id: int
    token: str
    type: int  # 2 command, 3 component, 4 autocomplete
    name: str
    channel_id: int
    user_id: int
    options: dict[str, object]
    created_at: float  # monotonic time the INTERACTION_CREATE was sent
    focused: str | None = None
    custom_id: str | None = None
    responded: bool = False
    response_type: int | None = None
    responded_at: float | None = None
    deferred: bool = False
    deferred_at: float | None = None
    ephemeral: bool = False
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    callbacks: list[dict[str, Any]] = field(default_factory=list)  # callback bodies received
    callback_errors: list[dict[str, Any]] = field(default_factory=list)  # error bodies answered
    autocomplete_choices: list[dict[str, Any]] | None = None


# --------------------------------------------------------------------------- shared state


class DiscordState:
    """Configuration, records and users, shared by every part of ``FakeDiscord``.

    Everything declared here is set in ``FakeDiscord.__init__``; the comments there say
    what each record holds. Parts declare their own private state in their class body.
    """

    # Configuration (the FakeDiscord keywords; tests may change them, e.g. the deadline).
    token: str
    bot_user_id: int
    application_id: int
    guild_id: int
    channel_ids: tuple[int, ...]
    user_id: int
    write_limit: int
    write_window: float
    webhook_limit: int
    webhook_window: float
    global_limit: int
    interaction_deadline: float
    token_lifetime: float
    heartbeat_interval: int

    # Addresses, set by start().
    base_url: str
    gateway_url: str
    port: int

    # Records.
    calls: list[Call]
    messages: dict[int, FakeMessage]
    interactions: dict[str, FakeInteraction]
    commands: list[dict[str, Any]]
    commands_scope: str | int | None
    global_commands: list[dict[str, Any]]
    guild_commands: dict[int, list[dict[str, Any]]]
    gateway_events: list[dict[str, Any]]
    received_ops: list[dict[str, Any]]
    identify_payload: dict[str, Any] | None
    identified: asyncio.Event
    count_429: int
    count_429_global: int
    count_429_injected: int

    _users: dict[int, dict[str, Any]]
    _member_ids: list[int]
    _cond: asyncio.Condition
    _snowflake_counter: itertools.count[int]

    # ------------------------------------------------------------------ queries

    def writes(self, channel_id: int | None = None) -> list[Call]:
        """Message create/edit calls (channel and webhook routes, any status), in order.

        Interaction callbacks are not included: see ``interaction(token).callbacks``.
        """
        return [
            c for c in self.calls if c.write and (channel_id is None or c.channel_id == channel_id)
        ]

    def interaction(self, token: str) -> FakeInteraction:
        """The state of the interaction with this token."""
        return self.interactions[token]

    def autocomplete_choices(self, token: str) -> list[dict[str, Any]] | None:
        """The choices the bot answered to an autocomplete interaction (None if not yet)."""
        return self.interactions[token].autocomplete_choices

    def channel_messages(
        self, channel_id: int, *, include_deleted: bool = False
    ) -> list[FakeMessage]:
        """Messages in a channel in creation order."""
        return [
            m
            for m in self.messages.values()
            if m.channel_id == channel_id and (include_deleted or not m.deleted)
        ]

    def bot_messages(self, channel_id: int | None = None) -> list[FakeMessage]:
        """Messages authored by the bot (including interaction responses), in creation order."""
        return [
            m
            for m in self.messages.values()
            if m.author_id == self.bot_user_id
            and not m.deleted
            and (channel_id is None or m.channel_id == channel_id)
        ]

    async def notify(self) -> None:
        """Wake ``wait_for`` waiters so they re-check their predicates."""
        async with self._cond:
            self._cond.notify_all()

    # ------------------------------------------------------------------ ids, users, payloads

    def snowflake(self) -> int:
        """A fresh, time-based snowflake (discord.py reads the time from message ids)."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._snowflake_counter) & 0x3FFFFF)

    def _add_user(
        self, user_id: int, name: str | None = None, *, bot: bool = False
    ) -> dict[str, Any]:
        user = self._users.get(user_id)
        if user is None:
            user = {
                "id": str(user_id),
                "username": name or f"user{user_id}",
                "discriminator": "0",
                "global_name": None,
                "avatar": None,
                "bot": bot,
                "system": False,
                "public_flags": 0,
                "flags": 0,
                "avatar_decoration_data": None,
                "primary_guild": None,
                "collectibles": None,
            }
            self._users[user_id] = user
        return user

    def _member(self, user_id: int, *, with_user: bool = True) -> dict[str, Any]:
        member: dict[str, Any] = {
            "nick": None,
            "avatar": None,
            "banner": None,
            "roles": [],
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

    def _channel_json(self, channel_id: int, position: int = 0) -> dict[str, Any]:
        return {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": f"channel-{channel_id}",
            "position": position,
            "permission_overwrites": [],
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "parent_id": None,
            "flags": 0,
        }

    def _guild_json(self) -> dict[str, Any]:
        members = [self._member(uid) for uid in self._member_ids]
        return {
            "id": str(self.guild_id),
            "name": "Fake Guild",
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.user_id),
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
            "roles": [
                {
                    "id": str(self.guild_id),
                    "name": "@everyone",
                    "color": 0,
                    "hoist": False,
                    "icon": None,
                    "unicode_emoji": None,
                    "position": 0,
                    "permissions": ALL_PERMISSIONS,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "emojis": [],
            "stickers": [],
            "channels": [self._channel_json(cid, i) for i, cid in enumerate(self.channel_ids)],
            "threads": [],
            "members": members,
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }
