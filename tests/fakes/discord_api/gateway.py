"""The gateway websocket, and dispatch to connected clients by their intents.

HELLO on connect, IDENTIFY -> READY + GUILD_CREATE (the whole guild with all its members,
roles, channels and active threads), RESUME of a known session -> RESUMED (else
INVALID_SESSION), heartbeat ACKs. Sequence numbers are per connection.

Events caused by REST calls (the echo of the bot's own messages, MESSAGE_DELETE, a
THREAD_CREATE) go to every identified connection; injected ones go to the newest. Each
goes only to a client that identified with its intent, as Discord does: message events
need GUILD_MESSAGES (DIRECT_MESSAGES in DMs), channel, thread and role events GUILDS,
member updates GUILD_MEMBERS; without MESSAGE_CONTENT a message's content is emptied
(store.py). Nothing is dispatched for ephemeral messages or channels the bot is not in.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord_api.constants import (
    CHANNEL_DM,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MESSAGES,
    OP_DISPATCH,
    OP_HEARTBEAT,
    OP_HEARTBEAT_ACK,
    OP_HELLO,
    OP_IDENTIFY,
    OP_INVALID_SESSION,
    OP_RESUME,
)
from tests.fakes.discord_api.state import FakeMessage
from tests.fakes.discord_api.store import MessageStore


@dataclass
class _Gateway:
    ws: web.WebSocketResponse
    session_id: str | None = None
    seq: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    intents: int = 0


class Gateway(MessageStore):
    """The websocket side of the fake: connections, sessions and dispatch."""

    _gateways: list[_Gateway]
    _sessions: dict[str, int]
    _session_intents: dict[str, int]

    async def _send(self, gw: _Gateway, payload: dict[str, Any]) -> None:
        self.gateway_events.append(payload)
        await gw.ws.send_str(json.dumps(payload))

    async def _dispatch_to(self, gw: _Gateway, event: str, data: dict[str, Any]) -> None:
        async with gw.lock:
            gw.seq += 1
            if gw.session_id is not None:
                self._sessions[gw.session_id] = gw.seq
            await self._send(gw, {"op": OP_DISPATCH, "t": event, "s": gw.seq, "d": data})

    def _identified(self, only: _Gateway | None = None) -> list[_Gateway]:
        targets = list(self._gateways) if only is None else [only]
        return [gw for gw in targets if gw.session_id is not None and not gw.ws.closed]

    async def _dispatch_event(
        self, event: str, data: dict[str, Any], *, intent: int = 0, only: _Gateway | None = None
    ) -> None:
        """Send to every identified client (or ``only``) that has ``intent`` (0: any)."""
        for gw in self._identified(only):
            if gw.intents & intent == intent:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await self._dispatch_to(gw, event, data)

    def _message_intent(self, channel_id: int) -> int | None:
        """The intent message events in this channel need; None: the bot is not there."""
        if channel_id in self._foreign:
            return None
        if self._channel_type(channel_id) == CHANNEL_DM:
            return INTENT_DIRECT_MESSAGES
        return INTENT_GUILD_MESSAGES

    async def _dispatch_message(
        self, event: str, msg: FakeMessage, *, only: _Gateway | None = None
    ) -> None:
        """MESSAGE_CREATE/MESSAGE_UPDATE of ``msg``, rendered per client's intents."""
        intent = self._message_intent(msg.channel_id)
        if intent is None or msg.ephemeral:
            return
        for gw in self._identified(only):
            if gw.intents & intent:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await self._dispatch_to(gw, event, self._gateway_message(msg, gw.intents))

    async def _dispatch_delete(self, msg: FakeMessage, *, only: _Gateway | None = None) -> None:
        intent = self._message_intent(msg.channel_id)
        if intent is None or msg.ephemeral:
            return
        data = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
        guild = self._guild_of(msg.channel_id)
        if guild is not None:
            data["guild_id"] = str(guild)
        await self._dispatch_event("MESSAGE_DELETE", data, intent=intent, only=only)

    async def _echo(self, event: str, msg: FakeMessage) -> None:
        """The gateway's echo of the bot's own REST writes (``echo=True``)."""
        if not self.echo:
            return
        if event == "MESSAGE_DELETE":
            await self._dispatch_delete(msg)
        else:
            await self._dispatch_message(event, msg)

    def _live_gateway(self) -> _Gateway:
        for gw in reversed(self._gateways):
            if gw.session_id is not None and not gw.ws.closed:
                return gw
        raise RuntimeError("no identified client on the fake gateway (await fake.identified first)")

    async def _gateway_handler(self, request: web.Request) -> web.StreamResponse:
        if not self.gateway_open:  # Discord unreachable: the client keeps retrying
            return web.Response(status=503, text="gateway closed by test")
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
        gw.intents = int(data.get("intents") or 0)
        self._session_intents[gw.session_id] = gw.intents
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
        gw.intents = self._session_intents.get(session, 0)
        gw.seq = max(self._sessions[session], int(data.get("seq") or 0))
        await self._dispatch_to(gw, "RESUMED", {"_trace": ["fake-gateway"]})

    async def close_gateway(self, code: int = 4000, *, refuse: bool = False) -> None:
        """Close every gateway connection with ``code`` (discord.py then resumes or reconnects).

        ``refuse``: also refuse new connections until ``gateway_open`` is set True again.
        """
        if refuse:
            self.gateway_open = False
        for gw in list(self._gateways):
            await gw.ws.close(code=code, message=b"closed by test")
