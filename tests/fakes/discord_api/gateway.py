"""The gateway websocket, dispatch to connected clients, and injected user messages.

HELLO on connect, IDENTIFY -> READY + GUILD_CREATE (the whole guild with all its members
and channels), RESUME of a known session -> RESUMED (else INVALID_SESSION), heartbeat ACKs.
Sequence numbers are per connection. Events caused by REST calls (MESSAGE_DELETE) go to
every identified connection; injected ones go to the newest.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord_api.constants import (
    OP_DISPATCH,
    OP_HEARTBEAT,
    OP_HEARTBEAT_ACK,
    OP_HELLO,
    OP_IDENTIFY,
    OP_INVALID_SESSION,
    OP_RESUME,
)
from tests.fakes.discord_api.store import MessageStore


@dataclass
class _Gateway:
    ws: web.WebSocketResponse
    session_id: str | None = None
    seq: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Gateway(MessageStore):
    """The websocket side of the fake: connections, sessions and dispatch."""

    _gateways: list[_Gateway]
    _sessions: dict[str, int]

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
