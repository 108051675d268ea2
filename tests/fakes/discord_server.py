"""A fake Discord (gateway websocket + REST API v10) on 127.0.0.1 for integration tests.

A real ``discord.py`` client logs in against it, receives events and sends, edits and
deletes messages, while the fake enforces Discord's rules (content and embed limits,
rate limits with the real headers, interaction deadlines and tokens) and records
everything it was asked.

Usage::

    fake = FakeDiscord()
    await fake.start()
    fake.patch_discord(monkeypatch)          # Route.BASE + DiscordWebSocket.DEFAULT_GATEWAY
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
    async with fake.running(bot):            # start(), wait for on_ready, close at the end
        mid = await fake.inject_message(10, "hello")
        await fake.wait_for(lambda f: len(f.writes(10)) >= 2)
    await fake.stop()

Rate limits are stricter and simpler than Discord's on purpose: every message create,
edit and delete in channel C counts against one sliding-window bucket ``channel:C``;
every request on a webhook/interaction token T counts against ``webhook:T``. The
``X-RateLimit-Bucket`` hash is one per bucket *kind* (not per channel), like Discord's
per-route hashes: discord.py appends the major parameter (channel id, webhook id+token)
itself and would shuffle its buckets around if the hash changed with the channel.

discord.py paces *sequential* requests on these headers and never sees a 429. Several
coroutines writing to one channel bucket at once do get an occasional 429 (discord.py
retries it after the body's retry_after): its Ratelimit wakes ``limit`` waiters after
Reset-After, and its ``min(Remaining, limit - outgoing)`` bookkeeping lets one extra
request through while others are in flight. Real Discord answers such bursts the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self

from aiohttp import BodyPartReader, WSMsgType, web

if TYPE_CHECKING:
    import discord
    import pytest

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1_420_070_400_000
ALL_PERMISSIONS = "2251799813685247"
EPHEMERAL = 1 << 6
LOADING = 1 << 7
SUPPRESS_EMBEDS = 1 << 2

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TITLE = 256
MAX_EMBED_DESCRIPTION = 4096
MAX_EMBED_FOOTER = 2048
MAX_EMBED_AUTHOR = 256
MAX_EMBED_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_EMBED_TOTAL = 6000

# Gateway opcodes.
OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_RESUME = 6
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

# Interaction types and callback types.
INTERACTION_COMMAND = 2
INTERACTION_COMPONENT = 3
INTERACTION_AUTOCOMPLETE = 4
CALLBACK_PONG = 1
CALLBACK_MESSAGE = 4
CALLBACK_DEFERRED_MESSAGE = 5
CALLBACK_DEFERRED_UPDATE = 6
CALLBACK_UPDATE_MESSAGE = 7
CALLBACK_AUTOCOMPLETE = 8

JsonBody = dict[str, Any] | list[Any] | None


def _bucket_hash(kind: str) -> str:
    return hashlib.sha256(f"fake-discord:{kind}".encode()).hexdigest()[:32]


def _iso(ts: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if ts is None else ts, UTC).isoformat()


def _ceil_ms(seconds: float) -> float:
    """Round up to whole milliseconds so a client sleeping this long is never early."""
    return max(0.001, math.ceil(seconds * 1000) / 1000)


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


@dataclass
class _Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    json: dict[str, Any] | None
    retry_after: float | None
    count: int


class _Window:
    """Sliding window: allowed while fewer than ``limit`` accepted requests in ``window`` s."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.times: deque[float] = deque()

    def _prune(self, now: float) -> None:
        while self.times and self.times[0] <= now - self.window:
            self.times.popleft()

    def retry_after(self, now: float) -> float | None:
        """Seconds until a slot frees, or None when a request is allowed now."""
        self._prune(now)
        if len(self.times) < self.limit:
            return None
        return _ceil_ms(self.times[0] + self.window - now)

    def add(self, now: float) -> None:
        self.times.append(now)

    def reset_after(self, now: float) -> float:
        self._prune(now)
        if not self.times:
            return self.window
        return _ceil_ms(self.times[0] + self.window - now)

    def remaining(self, now: float) -> int:
        self._prune(now)
        return max(0, self.limit - len(self.times))


class _ApiError(Exception):
    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"message": message, "code": code}
        if errors is not None:
            self.body["errors"] = errors


def _form_error(errors: dict[str, Any]) -> _ApiError:
    return _ApiError(400, 50035, "Invalid Form Body", errors)


def _max_len(limit: int) -> dict[str, Any]:
    return {
        "_errors": [
            {"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}
        ]
    }


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    now: float
    call: Call


@dataclass
class _Gateway:
    ws: web.WebSocketResponse
    session_id: str | None = None
    seq: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


Handler = Callable[[_Request, re.Match[str]], Awaitable[tuple[int, Any]]]


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    bucket: Callable[[re.Match[str]], str] | None = None  # bucket key for limited routes
    auth: bool = True  # needs "Authorization: Bot <token>"
    interaction: bool = False  # outside the global limit
    write: bool = False


# --------------------------------------------------------------------------- the fake


class FakeDiscord:
    """Enough of Discord for a real discord.py Bot; see the module docstring."""

    def __init__(
        self,
        *,
        token: str = "test-token",  # noqa: S107 - the fake's own made-up bot token
        bot_user_id: int = 1000,
        application_id: int = 1000,
        guild_id: int = 1,
        channel_ids: tuple[int, ...] = (10, 11, 12, 13, 14, 15, 16, 17, 18),
        user_id: int = 42,
        write_limit: int = 5,
        write_window: float = 5.0,
        webhook_limit: int = 5,
        webhook_window: float = 5.0,
        global_limit: int = 50,
        interaction_deadline: float = 3.0,
        token_lifetime: float = 900.0,
        heartbeat_interval: int = 41250,
    ) -> None:
        self.token = token
        self.bot_user_id = bot_user_id
        self.application_id = application_id
        self.guild_id = guild_id
        self.channel_ids = tuple(channel_ids)
        self.user_id = user_id
        self.write_limit = write_limit
        self.write_window = write_window
        self.webhook_limit = webhook_limit
        self.webhook_window = webhook_window
        self.global_limit = global_limit
        self.interaction_deadline = interaction_deadline
        self.token_lifetime = token_lifetime
        self.heartbeat_interval = heartbeat_interval

        self.base_url = ""
        self.gateway_url = ""
        self.port = 0

        self.calls: list[Call] = []
        self.messages: dict[int, FakeMessage] = {}
        self.interactions: dict[str, FakeInteraction] = {}
        self.commands: list[dict[str, Any]] = []  # last sync body (with ids), either scope
        self.commands_scope: str | int | None = None  # "global" or the guild id of that sync
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.gateway_events: list[dict[str, Any]] = []  # every frame the fake sent, in order
        self.received_ops: list[dict[str, Any]] = []  # every frame the client sent
        self.identify_payload: dict[str, Any] | None = None
        self.identified = asyncio.Event()
        self.count_429 = 0  # 429s produced by the fake's own limits (bucket + global)
        self.count_429_global = 0
        self.count_429_injected = 0

        self._users: dict[int, dict[str, Any]] = {}
        self._add_user(bot_user_id, "fakebot", bot=True)
        self._add_user(user_id, "tester")
        self._member_ids: list[int] = [bot_user_id, user_id]
        self._windows: dict[str, _Window] = {}
        self._global = _Window(global_limit, 1.0)
        self._failures: list[_Failure] = []
        self._gateways: list[_Gateway] = []
        self._sessions: dict[str, int] = {}  # session_id -> last seq
        self._cond = asyncio.Condition()
        self._snowflake_counter = itertools.count()
        self._runner: web.AppRunner | None = None
        self._routes = self._build_routes()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind 127.0.0.1 on an ephemeral port and set ``base_url``/``gateway_url``."""
        app = web.Application()
        app.router.add_get("/gateway", self._gateway_handler)
        app.router.add_get("/gateway/", self._gateway_handler)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest_handler)
        app.router.add_route("*", "/{tail:.*}", self._unknown_handler)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.base_url = f"http://127.0.0.1:{self.port}{API_PREFIX}"
        self.gateway_url = f"ws://127.0.0.1:{self.port}/gateway"

    async def stop(self) -> None:
        """Close every gateway connection and the server."""
        for gw in list(self._gateways):
            with contextlib.suppress(Exception):
                await gw.ws.close(code=1001, message=b"fake shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def patch_discord(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Point discord.py's REST base and default gateway at this fake."""
        import discord.gateway  # noqa: PLC0415 - the fake itself does not need discord.py
        import discord.http  # noqa: PLC0415
        import yarl  # noqa: PLC0415

        monkeypatch.setattr(discord.http.Route, "BASE", self.base_url)
        monkeypatch.setattr(
            discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(self.gateway_url)
        )

    @contextlib.asynccontextmanager
    async def running(
        self,
        client: discord.Client,
        *,
        token: str | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - bounds the wait for on_ready, not the body
    ) -> AsyncIterator[discord.Client]:
        """Start ``client`` against the fake, wait for on_ready, close it on exit.

        Raises whatever ``client.start`` raised (e.g. LoginFailure) if it ends before ready.
        """
        async with client:
            task = asyncio.create_task(client.start(token or self.token))
            ready = asyncio.create_task(client.wait_until_ready())
            try:
                done, _ = await asyncio.wait(
                    {task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                if task in done:
                    task.result()
                    raise RuntimeError("client.start() returned before the client was ready")
                if ready not in done:
                    raise TimeoutError(f"client not ready after {timeout} s")
                yield client
            finally:
                ready.cancel()
                await client.close()
                if not task.done():
                    with contextlib.suppress(asyncio.CancelledError):
                        await asyncio.wait_for(task, timeout=5)
                elif not task.cancelled():
                    task.exception()  # already surfaced above when it mattered; mark retrieved

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

    async def wait_for(
        self,
        predicate: Callable[[FakeDiscord], Any],
        timeout: float = 10.0,  # noqa: ASYNC109 - the timeout is the point of this helper
        *,
        poll: float | None = None,
    ) -> Any:
        """Wait until ``predicate(self)`` is truthy and return its value.

        The predicate is re-checked whenever the fake is notified: on every REST call
        (after the call is recorded and state changed, before the answer is sent), every
        gateway frame received and every injection. A predicate over state the fake does
        not see (e.g. the bot's own log records) is only re-checked on that activity: call
        ``notify()`` from the code that changes it, or pass ``poll`` (seconds) to also
        re-check on a timer. Raises TimeoutError after ``timeout`` seconds.
        """
        async with asyncio.timeout(timeout), self._cond:
            while not (result := predicate(self)):
                if poll is None:
                    await self._cond.wait()
                else:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._cond.wait(), poll)
            return result

    async def notify(self) -> None:
        """Wake ``wait_for`` waiters so they re-check their predicates."""
        async with self._cond:
            self._cond.notify_all()

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        path_regex: str,
        *,
        status: int,
        json: dict[str, Any] | None = None,
        retry_after: float | None = None,
        count: int = 1,
    ) -> None:
        """Answer the next ``count`` requests matching method and ``re.search(path_regex, path)``.

        ``method`` "*" matches any method. The path has no /api/v10 prefix. A 429 becomes a
        valid Discord 429 (Via header, rate-limit headers, JSON body with ``retry_after``,
        default 0.25 s). Injected answers do not count against any window.
        """
        self._failures.append(
            _Failure(method.upper(), re.compile(path_regex), status, json, retry_after, count)
        )

    def _take_failure(self, method: str, path: str) -> _Failure | None:
        for failure in self._failures:
            if failure.method in {"*", method} and failure.pattern.search(path):
                failure.count -= 1
                if failure.count <= 0:
                    self._failures.remove(failure)
                return failure
        return None

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

    def _resolve_mentions(
        self, content: str, allowed: dict[str, Any] | None
    ) -> tuple[list[int], bool]:
        """Which users a message pings and whether it pings @everyone, per allowed_mentions."""
        ids = [int(m) for m in re.findall(r"<@!?(\d+)>", content)]
        everyone = "@everyone" in content or "@here" in content
        if allowed is None:
            parse: list[str] = ["users", "roles", "everyone"]
            users_allowed: list[int] | None = None
        else:
            parse = list(allowed.get("parse") or [])
            raw = allowed.get("users")
            users_allowed = [int(u) for u in raw] if raw is not None else None
        if "users" in parse:
            keep = ids
        elif users_allowed is not None:
            keep = [i for i in ids if i in users_allowed]
        else:
            keep = []
        seen: list[int] = []
        for uid in keep:
            if uid not in seen:
                seen.append(uid)
        return seen, everyone and "everyone" in parse

    def _message_json(self, msg: FakeMessage, *, nested: bool = False) -> dict[str, Any]:
        author = dict(self._users.get(msg.author_id) or self._add_user(msg.author_id))
        data: dict[str, Any] = {
            "id": str(msg.id),
            "type": 19 if msg.reference_id is not None else 0,
            "channel_id": str(msg.channel_id),
            "guild_id": str(self.guild_id),
            "author": author,
            "content": msg.content,
            "timestamp": msg.timestamp,
            "edited_timestamp": msg.edited_timestamp,
            "tts": False,
            "mention_everyone": msg.mention_everyone,
            "mentions": [self._add_user(uid) for uid in msg.mention_ids],
            "mention_roles": [],
            "mention_channels": [],
            "attachments": msg.attachments,
            "embeds": msg.embeds,
            "reactions": [],
            "pinned": False,
            "flags": msg.flags | (LOADING if msg.loading else 0),
            "components": msg.components,
            "nonce": None,
        }
        if msg.author_id != self.bot_user_id or msg.webhook_id is None:
            data["member"] = self._member(msg.author_id, with_user=False)
        if msg.webhook_id is not None:
            data["webhook_id"] = str(msg.webhook_id)
            data["application_id"] = str(self.application_id)
        if msg.reference_id is not None:
            data["message_reference"] = {
                "type": 0,
                "message_id": str(msg.reference_id),
                "channel_id": str(msg.channel_id),
                "guild_id": str(self.guild_id),
            }
            if not nested:
                ref = self.messages.get(msg.reference_id)
                data["referenced_message"] = (
                    self._message_json(ref, nested=True) if ref and not ref.deleted else None
                )
        return data

    # ------------------------------------------------------------------ validation

    @staticmethod
    def _validate_embeds(embeds: Any) -> None:
        if embeds is None:
            return
        if not isinstance(embeds, list):
            raise _form_error(
                {
                    "embeds": {
                        "_errors": [{"code": "LIST_TYPE_CONVERT", "message": "Must be an array."}]
                    }
                }
            )
        if len(embeds) > MAX_EMBEDS:
            raise _form_error({"embeds": _max_len(MAX_EMBEDS)})
        errors: dict[str, Any] = {}
        total = 0
        for i, embed in enumerate(embeds):
            err: dict[str, Any] = {}
            title = embed.get("title") or ""
            description = embed.get("description") or ""
            footer = (embed.get("footer") or {}).get("text") or ""
            author = (embed.get("author") or {}).get("name") or ""
            fields = embed.get("fields") or []
            if len(title) > MAX_EMBED_TITLE:
                err["title"] = _max_len(MAX_EMBED_TITLE)
            if len(description) > MAX_EMBED_DESCRIPTION:
                err["description"] = _max_len(MAX_EMBED_DESCRIPTION)
            if len(footer) > MAX_EMBED_FOOTER:
                err["footer"] = {"text": _max_len(MAX_EMBED_FOOTER)}
            if len(author) > MAX_EMBED_AUTHOR:
                err["author"] = {"name": _max_len(MAX_EMBED_AUTHOR)}
            if len(fields) > MAX_EMBED_FIELDS:
                err["fields"] = _max_len(MAX_EMBED_FIELDS)
            field_errors: dict[str, Any] = {}
            for j, fld in enumerate(fields):
                name, value = fld.get("name") or "", fld.get("value") or ""
                ferr: dict[str, Any] = {}
                if len(name) > MAX_FIELD_NAME:
                    ferr["name"] = _max_len(MAX_FIELD_NAME)
                if len(value) > MAX_FIELD_VALUE:
                    ferr["value"] = _max_len(MAX_FIELD_VALUE)
                if ferr:
                    field_errors[str(j)] = ferr
                total += len(name) + len(value)
            if field_errors and "fields" not in err:
                err["fields"] = field_errors
            total += len(title) + len(description) + len(footer) + len(author)
            if err:
                errors[str(i)] = err
        if errors:
            raise _form_error({"embeds": errors})
        if total > MAX_EMBED_TOTAL:
            raise _form_error(
                {
                    "embeds": {
                        "_errors": [
                            {
                                "code": "MAX_EMBED_SIZE_EXCEEDED",
                                "message": f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}",
                            }
                        ]
                    }
                }
            )

    def _validate_payload(self, body: Any) -> dict[str, Any]:
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise _form_error(
                {
                    "_errors": [
                        {
                            "code": "DICT_TYPE_CONVERT",
                            "message": "Only dictionaries may be used in a DictType",
                        }
                    ]
                }
            )
        content = body.get("content")
        if content is not None and not isinstance(content, str):
            content = str(content)
        if content is not None and len(content) > MAX_CONTENT:
            raise _form_error({"content": _max_len(MAX_CONTENT)})
        self._validate_embeds(body.get("embeds"))
        return body

    @staticmethod
    def _check_not_empty(
        msg_content: str, embeds: list[Any], body: dict[str, Any], files: list[str]
    ) -> None:
        if (
            msg_content
            or embeds
            or files
            or body.get("attachments")
            or body.get("components")
            or body.get("sticker_ids")
            or body.get("poll")
        ):
            return
        raise _ApiError(400, 50006, "Cannot send an empty message")

    # ------------------------------------------------------------------ message store

    def _create_message(
        self,
        *,
        channel_id: int,
        body: dict[str, Any],
        now: float,
        author_id: int | None = None,
        interaction_token: str | None = None,
        webhook_id: int | None = None,
        files: list[str] | None = None,
        record_mentions: bool = True,
        allow_empty: bool = False,
    ) -> FakeMessage:
        content = body.get("content") or ""
        embeds = list(body.get("embeds") or [])
        if not allow_empty:
            self._check_not_empty(content, embeds, body, files or [])
        reference_id: int | None = None
        ref = body.get("message_reference")
        if isinstance(ref, dict) and ref.get("message_id") is not None:
            target = self.messages.get(int(ref["message_id"]))
            if target is None or target.deleted or target.channel_id != channel_id:
                if ref.get("fail_if_not_exists", True):
                    raise _form_error(
                        {
                            "message_reference": {
                                "_errors": [
                                    {
                                        "code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                                        "message": "Unknown message",
                                    }
                                ]
                            }
                        }
                    )
            else:
                reference_id = target.id
        allowed = body.get("allowed_mentions")
        mention_ids, everyone = self._resolve_mentions(content, allowed)
        msg = FakeMessage(
            id=self.snowflake(),
            channel_id=channel_id,
            content=content,
            embeds=embeds,
            flags=int(body.get("flags") or 0),
            author_id=self.bot_user_id if author_id is None else author_id,
            reference_id=reference_id,
            history=[(now, content)],
            allowed_mentions=[allowed],
            interaction_token=interaction_token,
            components=list(body.get("components") or []),
            attachments=[self._attachment(name) for name in files or []],
            mention_ids=mention_ids if record_mentions else [],
            mention_everyone=everyone if record_mentions else False,
            created_at=now,
            timestamp=_iso(),
            webhook_id=webhook_id,
        )
        self.messages[msg.id] = msg
        return msg

    def _attachment(self, name: str) -> dict[str, Any]:
        aid = self.snowflake()
        return {
            "id": str(aid),
            "filename": name,
            "size": 0,
            "url": f"http://127.0.0.1:{self.port}/attachments/{aid}/{name}",
            "proxy_url": f"http://127.0.0.1:{self.port}/attachments/{aid}/{name}",
        }

    def _edit_message(
        self, msg: FakeMessage, body: dict[str, Any], now: float, files: list[str]
    ) -> None:
        content = msg.content
        if "content" in body:
            content = body["content"] or ""
        embeds = msg.embeds
        if "embeds" in body:
            embeds = list(body["embeds"] or [])
        merged = {"components": msg.components, "attachments": msg.attachments, **body}
        self._check_not_empty(content, embeds, merged, files)
        allowed = body.get("allowed_mentions")
        msg.content = content
        msg.embeds = embeds
        if body.get("flags") is not None:
            # Only SUPPRESS_EMBEDS can change on an edit; ephemeral etc. stay.
            msg.flags = (msg.flags & ~SUPPRESS_EMBEDS) | (int(body["flags"]) & SUPPRESS_EMBEDS)
        msg.loading = False
        if "components" in body:
            msg.components = list(body["components"] or [])
        if "attachments" in body or files:
            kept = list(body.get("attachments") or []) if "attachments" in body else msg.attachments
            msg.attachments = [a for a in kept if "filename" in a] + [
                self._attachment(n) for n in files
            ]
        msg.mention_ids, msg.mention_everyone = self._resolve_mentions(content, allowed)
        msg.history.append((now, content))
        msg.allowed_mentions.append(allowed)
        msg.edited_at = now
        msg.edited_timestamp = _iso()

    def add_message(
        self,
        channel_id: int,
        content: str,
        *,
        author_id: int | None = None,
        embeds: list[Any] | None = None,
    ) -> FakeMessage:
        """Put a message into the store without any REST call or gateway event.

        Default author is the bot (so the bot may edit it). Useful to test edits without
        spending the channel's write budget on the create.
        """
        author = self.bot_user_id if author_id is None else author_id
        self._add_user(author)
        return self._create_message(
            channel_id=channel_id,
            body={"content": content, "embeds": embeds or []},
            now=time.monotonic(),
            author_id=author,
        )

    # ------------------------------------------------------------------ routes

    def _build_routes(self) -> list[_Route]:
        def channel_bucket(m: re.Match[str]) -> str:
            return f"channel:{m['cid']}"

        def webhook_bucket(m: re.Match[str]) -> str:
            return f"webhook:{m['token']}"

        r = re.compile
        cid = r"(?P<cid>\d+)"
        mid = r"(?P<mid>\d+)"
        hook = r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)"
        return [
            _Route("GET", r(r"/users/@me"), self._get_me),
            _Route("GET", r(r"/oauth2/applications/@me"), self._get_application),
            _Route("GET", r(r"/applications/@me"), self._get_application),
            _Route("GET", r(r"/gateway"), self._get_gateway),
            _Route("GET", r(r"/gateway/bot"), self._get_gateway_bot),
            _Route("PUT", r(r"/applications/(?P<app>\d+)/commands"), self._put_commands),
            _Route("GET", r(r"/applications/(?P<app>\d+)/commands"), self._get_commands),
            _Route(
                "PUT",
                r(r"/applications/(?P<app>\d+)/guilds/(?P<gid>\d+)/commands"),
                self._put_commands,
            ),
            _Route(
                "GET",
                r(r"/applications/(?P<app>\d+)/guilds/(?P<gid>\d+)/commands"),
                self._get_commands,
            ),
            _Route("GET", r(rf"/channels/{cid}"), self._get_channel),
            _Route(
                "POST",
                r(rf"/channels/{cid}/messages"),
                self._post_message,
                channel_bucket,
                write=True,
            ),
            _Route("GET", r(rf"/channels/{cid}/messages/{mid}"), self._get_message),
            _Route(
                "PATCH",
                r(rf"/channels/{cid}/messages/{mid}"),
                self._patch_message,
                channel_bucket,
                write=True,
            ),
            _Route(
                "DELETE",
                r(rf"/channels/{cid}/messages/{mid}"),
                self._delete_message,
                channel_bucket,
            ),
            _Route("POST", r(rf"/channels/{cid}/typing"), self._typing),
            _Route(
                "PUT",
                r(rf"/channels/{cid}/messages/{mid}/reactions/(?P<emoji>[^/]+)/@me"),
                self._add_reaction,
            ),
            _Route(
                "DELETE",
                r(rf"/channels/{cid}/messages/{mid}/reactions/(?P<emoji>[^/]+)/@me"),
                self._remove_reaction,
            ),
            _Route(
                "POST",
                r(r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback"),
                self._callback,
                auth=False,
                interaction=True,
            ),
            _Route(
                "POST",
                r(hook),
                self._post_followup,
                webhook_bucket,
                auth=False,
                interaction=True,
                write=True,
            ),
            _Route(
                "GET",
                r(hook + r"/messages/(?P<mid>@original|\d+)"),
                self._get_webhook_message,
                webhook_bucket,
                auth=False,
                interaction=True,
            ),
            _Route(
                "PATCH",
                r(hook + r"/messages/(?P<mid>@original|\d+)"),
                self._patch_webhook_message,
                webhook_bucket,
                auth=False,
                interaction=True,
                write=True,
            ),
            _Route(
                "DELETE",
                r(hook + r"/messages/(?P<mid>@original|\d+)"),
                self._delete_webhook_message,
                webhook_bucket,
                auth=False,
                interaction=True,
            ),
        ]

    # ------------------------------------------------------------------ HTTP plumbing

    @staticmethod
    def _response(status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
        hdrs = dict(headers or {})
        if payload is None:
            return web.Response(status=status, headers=hdrs)
        # Exactly "application/json": aiohttp's json_response would add "; charset=utf-8".
        hdrs["Content-Type"] = "application/json"
        return web.Response(status=status, body=json.dumps(payload).encode(), headers=hdrs)

    async def _read_body(self, request: web.Request) -> tuple[Any, list[str]]:
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/"):
            body: Any = None
            files: list[str] = []
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    continue  # nested multipart: discord.py never sends one
                data = await part.read()
                if part.name == "payload_json":
                    body = json.loads(data)
                elif part.filename:
                    files.append(part.filename)
            return body, files
        raw = await request.read()
        if not raw:
            return None, []
        try:
            return json.loads(raw), []
        except ValueError:
            return raw.decode(errors="replace"), []

    def _limit_headers(self, key: str, window: _Window, now: float) -> dict[str, str]:
        reset_after = window.reset_after(now)
        return {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(window.remaining(now)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": _bucket_hash(key.split(":", 1)[0]),
        }

    def _window(self, key: str) -> _Window:
        window = self._windows.get(key)
        if window is None:
            if key.startswith("webhook:"):
                window = _Window(self.webhook_limit, self.webhook_window)
            else:
                window = _Window(self.write_limit, self.write_window)
            self._windows[key] = window
        return window

    @staticmethod
    def _rate_limited(
        retry_after: float, headers: dict[str, str], *, is_global: bool
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        hdrs = {
            **headers,
            "Via": "1.1 google",
            "Retry-After": str(math.ceil(retry_after)),
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            hdrs["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
        }
        return 429, body, hdrs

    def _injected(
        self, failure: _Failure, bucket: str | None, now: float
    ) -> tuple[int, Any, dict[str, str]]:
        headers: dict[str, str] = {}
        if bucket is not None:
            headers = self._limit_headers(bucket, self._window(bucket), now)
        if failure.status == 429:
            retry_after = 0.25 if failure.retry_after is None else failure.retry_after
            if bucket is not None:
                headers["X-RateLimit-Remaining"] = "0"
                headers["X-RateLimit-Reset-After"] = f"{retry_after:.3f}"
                headers["X-RateLimit-Reset"] = f"{time.time() + retry_after:.3f}"
            status, body, headers = self._rate_limited(retry_after, headers, is_global=False)
            if failure.json is not None:
                body = {**body, **failure.json}
            return status, body, headers
        if failure.json is not None:
            return failure.status, failure.json, headers
        reason = {
            400: "Bad Request",
            401: "Unauthorized",
            403: "Forbidden",
            404: "Not Found",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
            504: "Gateway Timeout",
        }.get(failure.status, "Error")
        return failure.status, {"message": f"{failure.status}: {reason}", "code": 0}, headers

    async def _unknown_handler(self, request: web.Request) -> web.Response:
        return await self._rest_handler(
            request, path="/" + request.match_info["tail"], prefixed=False
        )

    async def _rest_handler(
        self, request: web.Request, *, path: str | None = None, prefixed: bool = True
    ) -> web.Response:
        now = time.monotonic()
        if path is None:
            path = "/" + request.match_info["tail"]
        body, files = await self._read_body(request)
        method = request.method.upper()
        call = Call(
            t=now,
            method=method,
            path=path if prefixed else f"(no {API_PREFIX}) {path}",
            json=body,
            status=0,
            bucket=None,
            query=dict(request.query),
            files=files,
        )
        status, payload, headers = await self._dispatch(
            _Request(method, path, dict(request.query), body, dict(request.headers), now, call),
            prefixed=prefixed,
        )
        call.status = status
        call.response = payload
        self.calls.append(call)
        await self.notify()
        return self._response(status, payload, headers)

    def _match(
        self, req: _Request, *, prefixed: bool
    ) -> tuple[_Route | None, re.Match[str] | None]:
        if prefixed:
            for route in self._routes:
                if route.method == req.method and (match := route.pattern.fullmatch(req.path)):
                    return route, match
        return None, None

    def _gate(
        self, req: _Request, route: _Route | None, bucket: str | None
    ) -> tuple[tuple[int, Any, dict[str, str]] | None, dict[str, str]]:
        """Auth, injected failures and rate limits: (early answer or None, rate-limit headers)."""
        needs_auth = (
            route.auth
            if route is not None
            else not req.path.startswith(("/webhooks/", "/interactions/"))
        )
        if needs_auth and req.headers.get("Authorization") != f"Bot {self.token}":
            return (401, {"message": "401: Unauthorized", "code": 0}, {}), {}

        failure = self._take_failure(req.method, req.path)
        if failure is not None:
            req.call.injected = True
            if failure.status == 429:
                self.count_429_injected += 1
            return self._injected(failure, bucket, req.now), {}

        # Interaction endpoints (callbacks, interaction webhooks) are outside the global limit.
        is_interaction = route is not None and route.interaction
        if not is_interaction:
            wait = self._global.retry_after(req.now)
            if wait is not None:
                self.count_429 += 1
                self.count_429_global += 1
                return self._rate_limited(wait, {}, is_global=True), {}

        headers: dict[str, str] = {}
        if bucket is not None:
            window = self._window(bucket)
            wait = window.retry_after(req.now)
            if wait is not None:
                # Rejected requests are not added to any window.
                self.count_429 += 1
                headers = self._limit_headers(bucket, window, req.now)
                return self._rate_limited(wait, headers, is_global=False), {}
            window.add(req.now)
            headers = self._limit_headers(bucket, window, req.now)
        if not is_interaction:
            self._global.add(req.now)
        return None, headers

    async def _dispatch(self, req: _Request, *, prefixed: bool) -> tuple[int, Any, dict[str, str]]:
        route, match = self._match(req, prefixed=prefixed)
        bucket = route.bucket(match) if route is not None and route.bucket and match else None
        req.call.bucket = bucket
        req.call.write = bool(route and route.write)
        if match is not None:
            req.call.channel_id = self._channel_of(match)

        early, headers = self._gate(req, route, bucket)
        if early is not None:
            return early
        if route is None or match is None:
            return 404, {"message": "404: Not Found", "code": 0}, headers
        try:
            status, payload = await route.handler(req, match)
        except _ApiError as err:
            return err.status, err.body, headers
        return status, payload, headers

    def _channel_of(self, match: re.Match[str]) -> int | None:
        groups = match.groupdict()
        if groups.get("cid"):
            return int(groups["cid"])
        inter = self.interactions.get(groups.get("token") or "")
        return inter.channel_id if inter is not None else None

    # ------------------------------------------------------------------ REST handlers

    async def _get_me(self, _req: _Request, _m: re.Match[str]) -> tuple[int, Any]:
        user = dict(self._users[self.bot_user_id])
        user.update({"verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"})
        return 200, user

    async def _get_application(self, _req: _Request, _m: re.Match[str]) -> tuple[int, Any]:
        return 200, {
            "id": str(self.application_id),
            "name": "fakebot",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self._users[self.user_id],
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "summary": "",
            "rpc_origins": [],
            "tags": [],
            "bot": self._users[self.bot_user_id],
        }

    async def _get_gateway(self, _req: _Request, _m: re.Match[str]) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    async def _get_gateway_bot(self, _req: _Request, _m: re.Match[str]) -> tuple[int, Any]:
        return 200, {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 0,
                "max_concurrency": 1,
            },
        }

    def _check_app(self, m: re.Match[str]) -> None:
        if int(m["app"]) != self.application_id:
            raise _ApiError(403, 50001, "Missing Access")

    async def _put_commands(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        self._check_app(m)
        if not isinstance(req.body, list):
            raise _form_error(
                {"_errors": [{"code": "LIST_TYPE_CONVERT", "message": "Must be an array."}]}
            )
        gid = m.groupdict().get("gid")
        stored: list[dict[str, Any]] = []
        for cmd in req.body:
            full = {
                "type": 1,
                "options": [],
                "default_member_permissions": None,
                "dm_permission": True,
                "nsfw": False,
                "integration_types": [0],
                "contexts": None,
                **cmd,
                "id": str(self.snowflake()),
                "application_id": str(self.application_id),
                "version": str(self.snowflake()),
            }
            if gid is not None:
                full["guild_id"] = gid
            stored.append(full)
        self.commands = stored
        if gid is None:
            self.global_commands = stored
            self.commands_scope = "global"
        else:
            self.guild_commands[int(gid)] = stored
            self.commands_scope = int(gid)
        return 200, stored

    async def _get_commands(self, _req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        self._check_app(m)
        gid = m.groupdict().get("gid")
        return 200, self.global_commands if gid is None else self.guild_commands.get(int(gid), [])

    def _check_channel(self, m: re.Match[str]) -> int:
        cid = int(m["cid"])
        if cid not in self.channel_ids:
            raise _ApiError(404, 10003, "Unknown Channel")
        return cid

    def _find_message(self, cid: int, mid: int) -> FakeMessage:
        msg = self.messages.get(mid)
        if msg is None or msg.deleted or msg.channel_id != cid:
            raise _ApiError(404, 10008, "Unknown Message")
        return msg

    async def _get_channel(self, _req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        cid = self._check_channel(m)
        return 200, self._channel_json(cid, self.channel_ids.index(cid))

    async def _post_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        cid = self._check_channel(m)
        req.call.channel_id = cid
        body = self._validate_payload(req.body)
        msg = self._create_message(channel_id=cid, body=body, now=req.now, files=req.call.files)
        req.call.message_id = msg.id
        return 200, self._message_json(msg)

    async def _get_message(self, _req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        cid = self._check_channel(m)
        return 200, self._message_json(self._find_message(cid, int(m["mid"])))

    async def _patch_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        cid = self._check_channel(m)
        req.call.channel_id = cid
        req.call.message_id = int(m["mid"])
        msg = self._find_message(cid, int(m["mid"]))
        if msg.author_id != self.bot_user_id or msg.webhook_id is not None:
            raise _ApiError(403, 50005, "Cannot edit a message authored by another user")
        body = self._validate_payload(req.body)
        self._edit_message(msg, body, req.now, req.call.files)
        return 200, self._message_json(msg)

    async def _delete_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        cid = self._check_channel(m)
        req.call.channel_id = cid
        req.call.message_id = int(m["mid"])
        msg = self._find_message(cid, int(m["mid"]))
        msg.deleted = True
        await self._dispatch_event(
            "MESSAGE_DELETE",
            {"id": str(msg.id), "channel_id": str(cid), "guild_id": str(self.guild_id)},
        )
        return 204, None

    async def _typing(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        req.call.channel_id = self._check_channel(m)
        return 204, None

    async def _add_reaction(self, _req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        msg = self._find_message(self._check_channel(m), int(m["mid"]))
        if m["emoji"] not in msg.reactions:
            msg.reactions.append(m["emoji"])
        return 204, None

    async def _remove_reaction(self, _req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        msg = self._find_message(self._check_channel(m), int(m["mid"]))
        if m["emoji"] in msg.reactions:
            msg.reactions.remove(m["emoji"])
        return 204, None

    # -- interactions

    async def _callback(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        inter = self.interactions.get(m["token"])
        if inter is None or inter.id != int(m["iid"]):
            raise _ApiError(404, 10062, "Unknown interaction")
        req.call.channel_id = inter.channel_id
        body = req.body if isinstance(req.body, dict) else {}
        inter.callbacks.append(body)
        try:
            if req.now - inter.created_at > self.interaction_deadline:
                raise _ApiError(404, 10062, "Unknown interaction")
            if inter.responded:
                raise _ApiError(400, 40060, "Interaction has already been acknowledged.")
            return self._acknowledge(inter, body, req)
        except _ApiError as err:
            inter.callback_errors.append(err.body)
            raise

    def _acknowledge(
        self, inter: FakeInteraction, body: dict[str, Any], req: _Request
    ) -> tuple[int, Any]:
        ctype = int(body.get("type", 0))
        data = body.get("data") or {}
        msg: FakeMessage | None = None
        if ctype == CALLBACK_MESSAGE:
            data = self._validate_payload(data)
            msg = self._create_message(
                channel_id=inter.channel_id,
                body=data,
                now=req.now,
                interaction_token=inter.token,
                webhook_id=self.application_id,
                files=req.call.files,
            )
            inter.ephemeral = bool(msg.flags & EPHEMERAL)
        elif ctype == CALLBACK_DEFERRED_MESSAGE:
            flags = int(data.get("flags") or 0) & EPHEMERAL
            msg = self._create_message(
                channel_id=inter.channel_id,
                body={"content": "", "flags": flags},
                now=req.now,
                interaction_token=inter.token,
                webhook_id=self.application_id,
                allow_empty=True,
            )
            msg.loading = True
            inter.deferred = True
            inter.deferred_at = req.now
            inter.ephemeral = bool(flags)
        elif ctype == CALLBACK_AUTOCOMPLETE:
            if inter.type != INTERACTION_AUTOCOMPLETE:
                raise _ApiError(
                    400,
                    50035,
                    "Invalid Form Body",
                    {
                        "type": {
                            "_errors": [
                                {
                                    "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                                    "message": "Interaction response type is invalid",
                                }
                            ]
                        }
                    },
                )
            inter.autocomplete_choices = list(data.get("choices") or [])
        elif ctype in {CALLBACK_DEFERRED_UPDATE, CALLBACK_UPDATE_MESSAGE, CALLBACK_PONG, 9}:
            if ctype == CALLBACK_UPDATE_MESSAGE and inter.original_message_id is not None:
                data = self._validate_payload(data)
                target = self.messages[inter.original_message_id]
                self._edit_message(target, data, req.now, req.call.files)
        else:
            raise _form_error(
                {
                    "type": {
                        "_errors": [
                            {
                                "code": "BASE_TYPE_CHOICES",
                                "message": f"Not a valid interaction response type ({ctype}).",
                            }
                        ]
                    }
                }
            )
        inter.responded = True
        inter.response_type = ctype
        inter.responded_at = req.now
        if msg is not None:
            inter.original_message_id = msg.id
            req.call.message_id = msg.id
        answer: dict[str, Any] = {
            "interaction": {
                "id": str(inter.id),
                "type": inter.type,
                "response_message_loading": ctype == CALLBACK_DEFERRED_MESSAGE,
                "response_message_ephemeral": inter.ephemeral,
            }
        }
        if msg is not None:
            answer["interaction"]["response_message_id"] = str(msg.id)
            answer["resource"] = {"type": ctype, "message": self._message_json(msg)}
        if req.query.get("with_response") not in {"1", "true", "True"}:
            return 204, None
        return 200, answer

    def _webhook_interaction(self, m: re.Match[str], now: float) -> FakeInteraction:
        inter = self.interactions.get(m["token"])
        if inter is None or int(m["app"]) != self.application_id:
            raise _ApiError(404, 10015, "Unknown Webhook")
        if now - inter.created_at > self.token_lifetime:
            raise _ApiError(401, 50027, "Invalid Webhook Token")
        if not inter.responded:
            raise _ApiError(404, 10015, "Unknown Webhook")
        return inter

    def _webhook_message(self, inter: FakeInteraction, mid: str) -> FakeMessage:
        message_id = inter.original_message_id if mid == "@original" else int(mid)
        if message_id is None:
            raise _ApiError(404, 10008, "Unknown Message")
        msg = self.messages.get(message_id)
        owned = msg is not None and (
            msg.interaction_token == inter.token or msg.id == inter.original_message_id
        )
        if msg is None or msg.deleted or not owned:
            raise _ApiError(404, 10008, "Unknown Message")
        return msg

    async def _post_followup(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        inter = self._webhook_interaction(m, req.now)
        req.call.channel_id = inter.channel_id
        body = self._validate_payload(req.body)
        msg = self._create_message(
            channel_id=inter.channel_id,
            body=body,
            now=req.now,
            interaction_token=inter.token,
            webhook_id=self.application_id,
            files=req.call.files,
        )
        inter.followup_ids.append(msg.id)
        req.call.message_id = msg.id
        if req.query.get("wait") in {"1", "true", "True"}:
            return 200, self._message_json(msg)
        return 204, None

    async def _get_webhook_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        inter = self._webhook_interaction(m, req.now)
        return 200, self._message_json(self._webhook_message(inter, m["mid"]))

    async def _patch_webhook_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        inter = self._webhook_interaction(m, req.now)
        req.call.channel_id = inter.channel_id
        msg = self._webhook_message(inter, m["mid"])
        req.call.message_id = msg.id
        body = self._validate_payload(req.body)
        self._edit_message(msg, body, req.now, req.call.files)
        return 200, self._message_json(msg)

    async def _delete_webhook_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        inter = self._webhook_interaction(m, req.now)
        req.call.channel_id = inter.channel_id
        msg = self._webhook_message(inter, m["mid"])
        req.call.message_id = msg.id
        msg.deleted = True
        return 204, None

    # ------------------------------------------------------------------ gateway

    async def _send(self, gw: _Gateway, payload: dict[str, Any]) -> None:
        self.gateway_events.append(payload)
        await gw.ws.send_str(json.dumps(payload))

    async def _dispatch_to(self, gw: _Gateway, event: str, data: dict[str, Any]) -> None:
        async with gw.lock:
            gw.seq += 1
            if gw.session_id is not None:
                self._sessions[gw.session_id] = gw.seq
            await self._send(gw, {"op": OP_DISPATCH, "t": event, "s": gw.seq, "d": data})

    async def _dispatch_event(self, event: str, data: dict[str, Any]) -> None:
        for gw in list(self._gateways):
            if gw.session_id is not None and not gw.ws.closed:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await self._dispatch_to(gw, event, data)

    def _live_gateway(self) -> _Gateway:
        for gw in reversed(self._gateways):
            if gw.session_id is not None and not gw.ws.closed:
                return gw
        raise RuntimeError("no identified client on the fake gateway (await fake.identified first)")

    async def _gateway_handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        gw = _Gateway(ws)
        self._gateways.append(gw)
        try:
            await self._send(
                gw,
                {
                    "op": OP_HELLO,
                    "d": {
                        "heartbeat_interval": self.heartbeat_interval,
                        "_trace": ["fake-gateway"],
                    },
                    "s": None,
                    "t": None,
                },
            )
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(frame.data)
                self.received_ops.append(payload)
                op = payload.get("op")
                if op == OP_HEARTBEAT:
                    await self._send(gw, {"op": OP_HEARTBEAT_ACK, "d": None, "s": None, "t": None})
                elif op == OP_IDENTIFY:
                    await self._identify(gw, payload.get("d") or {})
                elif op == OP_RESUME:
                    await self._resume(gw, payload.get("d") or {})
                await self.notify()
        finally:
            if gw in self._gateways:
                self._gateways.remove(gw)
            await self.notify()
        return ws

    async def _identify(self, gw: _Gateway, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await gw.ws.close(code=4004, message=b"Authentication failed.")
            return
        self.identified.clear()
        self.identify_payload = data
        gw.session_id = f"fake-session-{self.snowflake()}"
        gw.seq = 0
        await self._dispatch_to(
            gw,
            "READY",
            {
                "v": 10,
                "user": {**self._users[self.bot_user_id], "verified": True, "mfa_enabled": False},
                "guilds": [{"id": str(self.guild_id), "unavailable": True}],
                "session_id": gw.session_id,
                "resume_gateway_url": self.gateway_url,
                "application": {"id": str(self.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "user_settings": {},
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": [],
                "session_type": "normal",
                "auth_session_id_hash": "",
                "_trace": ["fake-gateway"],
            },
        )
        await self._dispatch_to(gw, "GUILD_CREATE", self._guild_json())
        self.identified.set()

    async def _resume(self, gw: _Gateway, data: dict[str, Any]) -> None:
        session = data.get("session_id")
        if data.get("token") != self.token:
            await gw.ws.close(code=4004, message=b"Authentication failed.")
            return
        if session not in self._sessions:
            await self._send(gw, {"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        gw.session_id = session
        gw.seq = max(self._sessions[session], int(data.get("seq") or 0))
        await self._dispatch_to(gw, "RESUMED", {"_trace": ["fake-gateway"]})

    async def close_gateway(self, code: int = 4000) -> None:
        """Close every gateway connection with ``code`` (discord.py then resumes or reconnects)."""
        for gw in list(self._gateways):
            await gw.ws.close(code=code, message=b"closed by test")

    # ------------------------------------------------------------------ injection

    async def inject_message(
        self,
        channel_id: int,
        content: str,
        *,
        author_id: int | None = None,
        author_bot: bool = False,
        mention_bot: bool = True,
        reference_id: int | None = None,
    ) -> int:
        """Dispatch MESSAGE_CREATE from a user; returns the new message id.

        With ``mention_bot`` the content starts with ``<@bot>`` (prepended unless already in
        it) and ``mentions`` includes the bot. ``mentions`` lists every ``<@id>`` in content.
        """
        gw = self._live_gateway()
        author = self.user_id if author_id is None else author_id
        self._add_user(author, bot=author_bot)
        if author_bot:
            self._users[author]["bot"] = True
        bot_mention = f"<@{self.bot_user_id}>"
        if mention_bot and bot_mention not in content and f"<@!{self.bot_user_id}>" not in content:
            content = f"{bot_mention} {content}"
        body: dict[str, Any] = {"content": content}
        if reference_id is not None:
            body["message_reference"] = {"message_id": reference_id, "fail_if_not_exists": True}
        msg = self._create_message(
            channel_id=channel_id, body=body, now=time.monotonic(), author_id=author
        )
        data = self._message_json(msg)
        data["member"] = self._member(author, with_user=False)
        data["mentions"] = [
            {**self._add_user(uid), "member": self._member(uid, with_user=False)}
            for uid in msg.mention_ids
        ]
        await self._dispatch_to(gw, "MESSAGE_CREATE", data)
        await self.notify()
        return msg.id

    def _options(
        self, options: dict[str, object], focused: str | None = None
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for name, raw in options.items():
            value: object = raw
            if isinstance(raw, bool):
                otype = 5
            elif isinstance(raw, int):
                otype = 4
            elif isinstance(raw, float):
                otype = 10
            else:
                otype = 3
                value = str(raw)
            opt: dict[str, Any] = {"name": name, "type": otype, "value": value}
            if name == focused:
                opt["focused"] = True
            out.append(opt)
        return out

    def _command_entry(self, name: str) -> dict[str, Any] | None:
        for cmd in self.guild_commands.get(self.guild_id, []):
            if cmd.get("name") == name:
                return cmd
        for cmd in self.global_commands:
            if cmd.get("name") == name:
                return cmd
        return None

    async def _inject_interaction(
        self,
        itype: int,
        channel_id: int,
        data: dict[str, Any],
        *,
        user_id: int | None,
        name: str,
        options: dict[str, object],
        focused: str | None = None,
        custom_id: str | None = None,
        message: dict[str, Any] | None = None,
    ) -> str:
        gw = self._live_gateway()
        uid = self.user_id if user_id is None else user_id
        self._add_user(uid)
        iid = self.snowflake()
        token = f"itok-{iid}-{self.snowflake():x}"
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "guild_id": str(self.guild_id),
            "guild": {"id": str(self.guild_id), "locale": "en-US", "features": []},
            "channel_id": str(channel_id),
            "channel": self._channel_json(
                channel_id,
                self.channel_ids.index(channel_id) if channel_id in self.channel_ids else 0,
            ),
            "member": {**self._member(uid), "permissions": ALL_PERMISSIONS},
            "token": token,
            "version": 1,
            "locale": "en-US",
            "guild_locale": "en-US",
            "app_permissions": ALL_PERMISSIONS,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if message is not None:
            payload["message"] = message
        inter = FakeInteraction(
            id=iid,
            token=token,
            type=itype,
            name=name,
            channel_id=channel_id,
            user_id=uid,
            options=dict(options),
            created_at=time.monotonic(),
            focused=focused,
            custom_id=custom_id,
        )
        if message is not None:
            inter.original_message_id = int(message["id"])
        self.interactions[token] = inter
        await self._dispatch_to(gw, "INTERACTION_CREATE", payload)
        inter.created_at = time.monotonic()
        await self.notify()
        return token

    def _command_data(
        self, name: str, options: dict[str, object], focused: str | None
    ) -> dict[str, Any]:
        entry = self._command_entry(name)
        data: dict[str, Any] = {
            "id": entry["id"] if entry else str(self.snowflake()),
            "name": name,
            "type": 1,
            "options": self._options(options, focused),
        }
        if entry is not None and entry.get("guild_id"):
            data["guild_id"] = entry["guild_id"]
        return data

    async def inject_interaction(
        self, channel_id: int, name: str, options: dict[str, object], *, user_id: int | None = None
    ) -> str:
        """Dispatch a slash-command INTERACTION_CREATE (type 2); returns its token.

        Option types: str -> 3, int -> 4, bool -> 5, float -> 10. The 3 s deadline
        (``interaction_deadline``) starts when the event has been sent.
        """
        data = self._command_data(name, options, None)
        return await self._inject_interaction(
            INTERACTION_COMMAND, channel_id, data, user_id=user_id, name=name, options=options
        )

    async def inject_autocomplete(
        self,
        channel_id: int,
        name: str,
        options: dict[str, object],
        focused: str,
        *,
        user_id: int | None = None,
    ) -> str:
        """Dispatch an autocomplete INTERACTION_CREATE (type 4) with ``focused`` marked."""
        data = self._command_data(name, options, focused)
        return await self._inject_interaction(
            INTERACTION_AUTOCOMPLETE,
            channel_id,
            data,
            user_id=user_id,
            name=name,
            options=options,
            focused=focused,
        )

    async def inject_component(
        self,
        message_id: int,
        custom_id: str,
        *,
        user_id: int | None = None,
        component_type: int = 2,
    ) -> str:
        """Dispatch a component (button) INTERACTION_CREATE (type 3) on a stored message."""
        msg = self.messages[message_id]
        data = {"custom_id": custom_id, "component_type": component_type}
        return await self._inject_interaction(
            INTERACTION_COMPONENT,
            msg.channel_id,
            data,
            user_id=user_id,
            name=custom_id,
            options={},
            custom_id=custom_id,
            message=self._message_json(msg),
        )
