"""What the fake records, and the state every part of ``FakeDiscord`` shares.

``Call``, ``FakeMessage``, ``FakeInteraction`` and ``FakeThread`` are what tests read;
``FakeFile`` is what they attach to injected messages. ``DiscordState`` is the base of
every part (the parts are mixins on one object): it declares the configuration and
records that ``FakeDiscord.__init__`` (server.py) sets, answers the queries tests make
over them and builds the user JSON. The guild, member and channel JSON is guild.py's.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.fakes.discord_api.constants import (
    DISCORD_EPOCH_MS,
    EPHEMERAL,
    MESSAGE_THREAD_CREATED,
)

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
    message_type: int | None = None  # set for system/command messages; else 0, or 19 (reply)
    reference_type: int = 0  # message_reference.type: 0 reply, 1 forward
    reference_channel_id: int | None = None  # where the referenced message is
    snapshot: dict[str, Any] | None = None  # message_snapshots[0].message of a forward
    thread_id: int | None = None  # the thread started from this message
    position: int | None = None  # position in a thread, for messages in threads

    @property
    def ephemeral(self) -> bool:
        """Only the interaction's user sees it: not in history, no gateway events."""
        return bool(self.flags & EPHEMERAL)

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
    context: int = 0  # 0 guild, 1 the bot's DM, 2 a private channel (group DM, other DM)
    guild_id: int | None = None  # None outside guilds
    user_installed: bool = False  # authorized only by the user's install (bot not present)
    message_id: int | None = None  # the message a component sits on
    integration_owners: dict[str, str] = field(
        default_factory=dict
    )  # authorizing_integration_owners


@dataclass
class FakeThread:
    """A thread as the fake stores it (the bot's or a user's, see ``create_thread``)."""

    id: int  # equals the starter message id for a thread started from a message
    parent_id: int
    owner_id: int
    name: str
    type: int = 11  # 11 public, 12 private
    auto_archive_duration: int = 1440
    rate_limit_per_user: int = 0
    starter_message_id: int | None = None
    created_timestamp: str = ""
    member_ids: list[int] = field(default_factory=list)
    message_count: int = 0  # messages in it, without the starter and deleted ones
    total_message_sent: int = 0  # never decremented
    archived: bool = False
    locked: bool = False


@dataclass
class FakeFile:
    """An attachment of an injected message; the fake's CDN serves ``data``.

    ``content_type`` defaults to a guess from the filename; ``width``/``height`` default
    to what a PNG, JPEG, GIF or WebP header says (None for anything else).
    """

    filename: str
    data: bytes
    content_type: str | None = None
    width: int | None = None
    height: int | None = None
    description: str | None = None


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
    channel_ids: tuple[int, ...]  # the guild's text channels (add_channel appends)
    user_id: int
    owner_id: int
    external_guild_id: int  # a guild without the bot, for user-installed interactions
    echo: bool
    write_limit: int
    write_window: float
    webhook_limit: int
    webhook_window: float
    global_limit: int
    _writes_out: dict[str, int]
    write_latency: float  # seconds a write waits before its answer (after being counted)
    max_writes_out: int  # the most writes of one bucket ever waiting for their answer at once
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
    threads: dict[int, FakeThread]
    cdn_downloads: list[str]

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
        """Messages in a channel (or thread, or DM) in creation order."""
        return [
            m
            for m in self.messages.values()
            if m.channel_id == channel_id and (include_deleted or not m.deleted)
        ]

    def bot_messages(self, channel_id: int | None = None) -> list[FakeMessage]:
        """Messages authored by the bot (including interaction responses), in creation order.

        Not system messages such as the THREAD_CREATED notice of a thread the bot started.
        """
        return [
            m
            for m in self.messages.values()
            if m.author_id == self.bot_user_id
            and not m.deleted
            and m.message_type != MESSAGE_THREAD_CREATED
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
