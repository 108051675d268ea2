"""Who may use the HTTP server: anyone on loopback without a token, else the token holder.

With ``BOT_HTTP_TOKEN`` set, every route but ``/healthz`` wants it, as
``Authorization: Bearer <token>`` or as the session cookie a browser gets by opening
``/?token=<token>`` once (then redirected to ``/``, so the token leaves the address
bar). The cookie is ``HttpOnly`` and ``SameSite=Strict``: other sites cannot use it.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

OPEN_PATHS = frozenset({"/healthz"})
COOKIE = "relaybot_token"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _same(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def bearer(request: web.Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if any."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def middleware(token: str | None) -> Middleware:
    """The aiohttp middleware enforcing ``token`` (``None``: everything is open)."""

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if token is None or request.path in OPEN_PATHS:
            return await handler(request)
        if _same(bearer(request), token) or _same(request.cookies.get(COOKIE), token):
            return await handler(request)
        if request.path == "/" and _same(request.query.get("token"), token):
            response = web.Response(status=302, headers={"Location": "/"})
            response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/")
            return response
        return web.json_response(
            {"error": "this server wants its token: Authorization: Bearer <BOT_HTTP_TOKEN>"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="relaybot"'},
        )

    return check
