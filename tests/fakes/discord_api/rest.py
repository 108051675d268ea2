"""The REST side: route table, request parsing (JSON and multipart) and dispatch.

Each request is recorded as a ``Call``, passes ``_gate`` (auth, injected failures, rate
limits; limits.py) and goes to its handler (messages.py, threads.py, dms.py,
interactions.py); an ``_ApiError`` raised there becomes Discord's error body. Waiters are
notified after the call is recorded and before the answer is sent. Uploaded files (the
``files[n]`` parts of a multipart body) reach the handlers with their bytes, so the CDN
(cdn.py) can serve them back.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from tests.fakes.discord_api.constants import API_PREFIX
from tests.fakes.discord_api.dms import DirectMessages
from tests.fakes.discord_api.interactions import InteractionRoutes
from tests.fakes.discord_api.limits import RateLimits
from tests.fakes.discord_api.messages import MessageRoutes
from tests.fakes.discord_api.state import Call, FakeFile
from tests.fakes.discord_api.threads import ThreadRoutes
from tests.fakes.discord_api.validation import _ApiError


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    now: float
    call: Call
    uploads: list[FakeFile] = field(default_factory=list)  # multipart files, in order


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


class RestServer(InteractionRoutes, MessageRoutes, ThreadRoutes, DirectMessages, RateLimits):
    """Routes REST requests to the handlers of messages.py, threads.py, dms.py, interactions.py."""

    _routes: list[_Route]

    # ------------------------------------------------------------------ routes

    def _build_routes(self) -> list[_Route]:
        def channel_bucket(m: re.Match[str]) -> str:
            return f"channel:{m['cid']}"

        def webhook_bucket(m: re.Match[str]) -> str:
            return f"webhook:{m['token']}"

        def thread_bucket(m: re.Match[str]) -> str:
            return f"threads:{m['cid']}"

        r = re.compile
        cid = r"(?P<cid>\d+)"
        mid = r"(?P<mid>\d+)"
        hook = r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)"
        return [
            _Route("GET", r(r"/users/@me"), self._get_me),
            _Route("GET", r(r"/users/(?P<uid>\d+)"), self._get_user),
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
            _Route("POST", r(r"/users/@me/channels"), self._open_dm),
            _Route("GET", r(rf"/channels/{cid}"), self._get_channel),
            _Route("GET", r(rf"/channels/{cid}/messages"), self._get_history),
            _Route(
                "POST",
                r(rf"/channels/{cid}/messages/{mid}/threads"),
                self._start_thread_from_message,
                thread_bucket,
            ),
            _Route("POST", r(rf"/channels/{cid}/threads"), self._start_thread, thread_bucket),
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

    async def _read_body(self, request: web.Request) -> tuple[Any, list[FakeFile]]:
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/"):
            body: Any = None
            files: list[FakeFile] = []
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    continue  # nested multipart: discord.py never sends one
                data = bytes(await part.read())
                if part.name == "payload_json":
                    body = json.loads(data)
                elif part.filename:
                    # Discord ignores the part's content type (discord.py always sends
                    # application/octet-stream) and guesses from the filename.
                    files.append(FakeFile(part.filename, data))
            return body, files
        raw = await request.read()
        if not raw:
            return None, []
        try:
            return json.loads(raw), []
        except ValueError:
            return raw.decode(errors="replace"), []

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
        body, uploads = await self._read_body(request)
        method = request.method.upper()
        call = Call(
            t=now,
            method=method,
            path=path if prefixed else f"(no {API_PREFIX}) {path}",
            json=body,
            status=0,
            bucket=None,
            query=dict(request.query),
            files=[f.filename for f in uploads],
        )
        req = _Request(method, path, dict(request.query), body, dict(request.headers), now, call)
        req.uploads = uploads
        status, payload, headers = await self._dispatch(req, prefixed=prefixed)
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
        if route.write and bucket is not None and self.write_latency > 0:
            # A slow answer: the write was counted on arrival, the client waits for it.
            self._writes_out[bucket] = out = self._writes_out.get(bucket, 0) + 1
            self.max_writes_out = max(self.max_writes_out, out)
            try:
                await asyncio.sleep(self.write_latency)
            finally:
                self._writes_out[bucket] -= 1
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
