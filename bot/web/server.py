"""The HTTP server: routes, limits and its life beside the Discord client.

Off unless ``BOT_HTTP_ADDR`` is set. Routes: ``/`` (the web page), ``/healthz``,
``/metrics``, ``/api/chat``, ``/api/live``, ``/api/models``. See :mod:`bot.web.auth`
for who may use them.
"""

from __future__ import annotations

import errno
import time
from importlib import resources

from aiohttp import web

from bot import exits
from bot.app import App
from bot.core.status import FrontStatus
from bot.exits import FatalError
from bot.logs import get_logger
from bot.web import auth
from bot.web.chat import ChatStreams
from bot.web.live import LiveFeed
from bot.web.metrics import CONTENT_TYPE, Metrics

log = get_logger(__name__)

#: The largest request body accepted (a prompt is at most 6000 characters).
MAX_BODY = 64 * 1024
STATIC = ("index.html", "app.js", "style.css")
_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}


class WebServer:
    """Serves the routes for one :class:`~bot.app.App` and the front it runs with."""

    def __init__(self, app: App, front: FrontStatus | None = None) -> None:
        self._app = app
        self._front = front
        self.metrics = Metrics(lambda: app.replies.active, front)
        self.live = LiveFeed()
        self.chat = ChatStreams(app, app.settings.http_streams)
        self._started = time.monotonic()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def application(self) -> web.Application:
        """The aiohttp application with every route."""
        web_app = web.Application(
            client_max_size=MAX_BODY, middlewares=[auth.middleware(self._app.settings.http_token)]
        )
        web_app.router.add_get("/healthz", self.healthz)
        web_app.router.add_get("/metrics", self.exposition)
        web_app.router.add_post("/api/chat", self.chat.handle)
        web_app.router.add_get("/api/live", self.live.handle)
        web_app.router.add_get("/api/models", self.models)
        web_app.router.add_get("/", self.page)
        for name in STATIC[1:]:
            web_app.router.add_get(f"/{name}", self.page)
        return web_app

    async def start(self) -> None:
        """Listen on ``BOT_HTTP_ADDR``; an address that cannot be used is a configuration error."""
        settings = self._app.settings
        assert settings.http_addr is not None  # noqa: S101 - only started when set
        host, port = settings.http_addr
        self.metrics.attach(self._app.bus)
        self.live.attach(self._app.bus)
        # handler_cancellation: a client that disconnects cancels its handler at once,
        # so an abandoned /api/chat stops its reply and closes the model stream.
        self._runner = web.AppRunner(
            self.application(), handler_cancellation=True, access_log=None, shutdown_timeout=2.0
        )
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, host, port).start()
        except OSError as exc:
            await self._runner.cleanup()
            reason = "already in use" if exc.errno == errno.EADDRINUSE else exc.strerror or exc
            raise FatalError(
                exits.CONFIG, f"BOT_HTTP_ADDR: cannot listen on {host}:{port} ({reason})"
            ) from exc
        self.port = self._runner.addresses[0][1]
        log.info(
            "http.listening",
            address=f"http://{host}:{self.port}/",
            token_required=settings.http_token is not None,
        )

    async def stop(self) -> None:
        """Stop listening; open streams are closed."""
        self.live.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def healthz(self, _request: web.Request) -> web.Response:
        """200 while the front's gateway is connected, else 503; details in JSON."""
        gateway = self._front.gateway() if self._front is not None else None
        healthy = gateway is None or gateway.connected
        body: dict[str, object] = {
            "status": "ok" if healthy else "unhealthy",
            "replies_in_flight": self._app.replies.active,
            "uptime_s": round(time.monotonic() - self._started, 1),
        }
        if gateway is not None and self._front is not None:
            body[self._front.name] = {
                "connected": gateway.connected,
                "latency_s": None if gateway.latency is None else round(gateway.latency, 3),
            }
        return web.json_response(body, status=200 if healthy else 503)

    async def exposition(self, _request: web.Request) -> web.Response:
        """Prometheus' text format."""
        return web.Response(body=self.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    async def models(self, _request: web.Request) -> web.Response:
        """The default model and the models offered (for the playground's list)."""
        catalog = self._app.models
        catalog.refresh_if_stale()
        return web.json_response({"default": catalog.default, "models": list(catalog.offered())})

    async def page(self, request: web.Request) -> web.Response:
        """The web page and its script and style, from the package."""
        name = request.path.lstrip("/") or "index.html"
        data = resources.files("bot.web").joinpath("static", name).read_bytes()
        suffix = name[name.rfind(".") :]
        return web.Response(
            body=data,
            headers={
                "Content-Type": f"{_TYPES[suffix]}; charset=utf-8",
                "Cache-Control": "no-cache",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'self'; style-src 'self'",
            },
        )
