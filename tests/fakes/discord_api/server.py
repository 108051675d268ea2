"""``FakeDiscord`` assembled from its parts, with its constructor and lifecycle.

The parts are mixins on one object and share its state (declared in state.py and in
each part's class body, all set here in ``__init__``): rest.py's ``RestServer`` brings
the REST routes (messages.py, threads.py, dms.py, interactions.py), the gate
(limits.py), the user injections (injection.py), the gateway (gateway.py), the message
store (store.py, validation.py), the guild model (guild.py) and the CDN (cdn.py);
``InteractionInjection`` (interaction_events.py) adds the injected interactions and
``GuildEvents`` (members.py) the guild changes. ``start()`` serves the gateway, the REST
API under /api/v10 and the CDN's attachment URLs on one port.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, Self

from aiohttp import web

from tests.fakes.discord_api.constants import ALL_PERMISSIONS, API_PREFIX
from tests.fakes.discord_api.interaction_events import InteractionInjection
from tests.fakes.discord_api.limits import _Window
from tests.fakes.discord_api.members import GuildEvents
from tests.fakes.discord_api.rest import RestServer

if TYPE_CHECKING:
    import discord
    import pytest


class FakeDiscord(RestServer, InteractionInjection, GuildEvents):
    """Enough of Discord for a real discord.py Bot; see the package docstring."""

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
        echo: bool = True,
        owner_id: int | None = None,
        external_guild_id: int = 2,
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
        self.echo = echo  # the gateway echoes the bot's own message creates/edits/deletes
        self.owner_id = user_id if owner_id is None else owner_id  # has every permission
        self.external_guild_id = external_guild_id

        self.base_url = ""
        self.gateway_url = ""
        self.port = 0

        self.calls = []
        self.messages = {}
        self.interactions = {}
        self.commands = []  # last sync body (with ids), either scope
        self.commands_scope = None  # "global" or the guild id of that sync
        self.global_commands = []
        self.guild_commands = {}
        self.gateway_events = []  # every frame the fake sent, in order
        self.received_ops = []  # every frame the client sent
        self.identify_payload = None
        self.identified = asyncio.Event()
        self.gateway_open = True  # False: the gateway refuses connections (close_gateway)
        self.count_429 = 0  # 429s produced by the fake's own limits (bucket + global)
        self.count_429_global = 0
        self.count_429_injected = 0
        self.write_latency = 0.0
        self.max_writes_out = 0
        self._writes_out: dict[str, int] = {}
        self.threads = {}  # thread id -> FakeThread, the bot's and users'
        self.cdn_downloads = []  # attachment ids, one per successful CDN GET

        self._users = {}
        self._add_user(bot_user_id, "fakebot", bot=True)
        self._add_user(user_id, "tester")
        self._member_ids = [bot_user_id, user_id]
        self._snowflake_counter = itertools.count()
        self.everyone_permissions = int(ALL_PERMISSIONS)
        self._roles = {}
        self._member_roles = {}
        self._nicks = {}
        self.bot_role_id = self.snowflake()
        bot_role = self._new_role(self.bot_role_id, "fakebot", int(ALL_PERMISSIONS))
        bot_role.update(managed=True, tags={"bot_id": str(bot_user_id)})
        self._member_roles[bot_user_id] = [self.bot_role_id]
        self._categories = {}
        self._parents = {}
        self._dm_channels = {}
        self._foreign = {}
        self._forbidden = {}
        self._cdn = {}
        self._windows = {}
        self._global = _Window(global_limit, 1.0)
        self._failures = []
        self._gateways = []
        self._sessions = {}  # session_id -> last seq
        self._session_intents = {}  # session_id -> intents of its IDENTIFY
        self._cond = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._routes = self._build_routes()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind 127.0.0.1 on an ephemeral port and set ``base_url``/``gateway_url``."""
        app = web.Application()
        app.router.add_get("/gateway", self._gateway_handler)
        app.router.add_get("/gateway/", self._gateway_handler)
        for prefix in ("", "/media"):
            app.router.add_get(prefix + "/attachments/{cid}/{aid}/{name}", self._cdn_handler)
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
