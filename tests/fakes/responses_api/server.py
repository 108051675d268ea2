"""``FakeResponses``: the aiohttp server, scripting, waiting and the HTTP handling.

Requests are checked like OpenAI does (API key, JSON body, ``model``; this fake only
streams), answered with OpenAI's JSON error bodies, or streamed by performance.py.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Self, TypeVar

from aiohttp import web

from tests.fakes.responses_api.performance import _ClientClosedError, _Performance, _Writer
from tests.fakes.responses_api.records import Received, StreamRecord
from tests.fakes.responses_api.script import Script, _new_id

if TYPE_CHECKING:
    from collections.abc import Callable

_T = TypeVar("_T")


_ERROR_BODIES: dict[int, tuple[str, str | None, str]] = {
    # status: (type, code, message)
    400: ("invalid_request_error", None, "Invalid request."),
    401: (
        "invalid_request_error",
        "invalid_api_key",
        (
            "Incorrect API key provided. You can find your API key at "
            "https://platform.openai.com/account/api-keys."
        ),
    ),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Forbidden."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    408: ("server_error", "timeout", "Request timed out."),
    409: ("invalid_request_error", "conflict", "Conflict."),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests. Please try again in 10ms.",
    ),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    502: ("server_error", None, "Bad gateway."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


def _error_body(status: int, model: str | None, override: dict[str, Any] | None) -> dict[str, Any]:
    type_, code, message = _ERROR_BODIES.get(status, ("server_error", None, f"HTTP {status}"))
    if status == 404 and model:
        message = f"The model `{model}` does not exist or you do not have access to it."
    error: dict[str, Any] = {"message": message, "type": type_, "param": None, "code": code}
    if override:
        error.update(override)
    return {"error": error}


def _json_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(body),
        content_type="application/json",
        headers={"x-request-id": _new_id("req"), **(headers or {})},
    )


# --------------------------------------------------------------------------- the server


class FakeResponses:
    """The fake server. ``start()`` it, point the SDK at ``base_url``, ``stop()`` it."""

    def __init__(self, *, api_key: str = "test-key") -> None:
        self.api_key = api_key
        self.default: Script = Script()
        self.requests: list[Received] = []
        #: What ``GET /v1/models`` lists; ``None`` answers 404 (a server that lists nothing).
        self.models: list[str] | None = None
        self.model_list_requests = 0
        self.streams: list[StreamRecord] = []
        self._queue: deque[Script] = deque()
        self._routes: list[Callable[[dict[str, Any]], Script | None]] = []
        self._runner: web.AppRunner | None = None
        self._cond: asyncio.Condition | None = None
        self._port: int | None = None
        self._stopping = False
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- lifecycle

    async def start(self) -> None:
        """Bind 127.0.0.1 on a free port and start serving."""
        self._cond = asyncio.Condition()
        app = web.Application()
        app.router.add_post("/v1/responses", self._handle)
        app.router.add_get("/v1/models", self._list_models)
        # handler_cancellation: a client disconnect cancels the handler immediately, even
        # while it sleeps for pacing, so closed_by_client is recorded without delay.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop serving; streams still running are recorded as ``server_stopped``."""
        self._stopping = True
        for task in list(self._tasks):  # streams still pacing: end them now, not after a timeout
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _list_models(self, request: web.Request) -> web.Response:
        """OpenAI's model list shape: ``{"object": "list", "data": [{"id", ...}]}``."""
        self.model_list_requests += 1
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _json_response(401, _error_body(401, None, None))
        if self.models is None:
            return _json_response(404, _error_body(404, None, {"message": "Not found"}))
        data = [
            {"id": name, "object": "model", "created": 1_700_000_000, "owned_by": "fake"}
            for name in self.models
        ]
        return _json_response(200, {"object": "list", "data": data})

    @property
    def port(self) -> int:
        """The TCP port (after ``start()``)."""
        if self._port is None:
            raise RuntimeError("FakeResponses is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """What ``OPENAI_BASE_URL`` / ``AsyncOpenAI(base_url=...)`` should be."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- scripting

    def queue(self, *scripts: Script) -> None:
        """The next requests (not matched by a route) take these scripts in order."""
        self._queue.extend(scripts)

    def route(self, fn: Callable[[dict[str, Any]], Script | None]) -> None:
        """Add a chooser by request body; routes are checked in order, before queue/default."""
        self._routes.append(fn)

    def reset(self) -> None:
        """Forget queued scripts, routes and records (the default script is kept)."""
        self._queue.clear()
        self._routes.clear()
        self.requests.clear()
        self.streams.clear()

    @property
    def pending(self) -> int:
        """How many queued scripts are left."""
        return len(self._queue)

    def _choose(self, body: dict[str, Any]) -> Script:
        for fn in self._routes:
            script = fn(body)
            if script is not None:
                return script
        if self._queue:
            return self._queue.popleft()
        return self.default

    # -- waiting

    async def wait_for(
        self,
        predicate: Callable[[], _T | None],
        timeout: float = 10.0,  # noqa: ASYNC109 - the brief's API, like asyncio.wait_for
    ) -> _T:
        """Wait until ``predicate()`` is truthy (re-checked on every server event); return it."""
        if self._cond is None:
            raise RuntimeError("FakeResponses is not started")
        async with self._cond:
            try:
                async with asyncio.timeout(timeout):
                    result = await self._cond.wait_for(predicate)
                    assert result  # Condition.wait_for returns the first truthy value
                    return result
            except TimeoutError:
                raise TimeoutError(
                    f"predicate not true after {timeout}s; "
                    f"{len(self.requests)} requests, streams: "
                    f"{[(s.response_id[:12], s.ended_how) for s in self.streams]}"
                ) from None

    async def wait_ended(
        self,
        index: int = -1,
        timeout: float = 10.0,  # noqa: ASYNC109 - same as wait_for
    ) -> StreamRecord:
        """Wait until stream ``index`` exists and has ended; return its record."""

        def ended() -> StreamRecord | None:
            try:
                record = self.streams[index]
            except IndexError:
                return None
            return record if record.ended is not None else None

        return await self.wait_for(ended, timeout)

    async def _notify(self) -> None:
        if self._cond is not None:
            async with self._cond:
                self._cond.notify_all()

    # -- HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        t0 = time.monotonic()
        received = Received(
            t=t0, body={}, headers={k.lower(): v for k, v in request.headers.items()}
        )
        self.requests.append(received)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            return await self._answer(request, received)
        finally:
            if task is not None:
                self._tasks.discard(task)
            await self._notify()

    async def _answer(self, request: web.Request, received: Received) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            received.attempt_status = 401
            return _json_response(401, _error_body(401, None, None))
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            received.attempt_status = 400
            return _json_response(
                400, _error_body(400, None, {"message": "We could not parse the JSON body."})
            )
        received.body = body
        model = body.get("model")
        if not isinstance(model, str) or not model:
            received.attempt_status = 400
            return _json_response(
                400,
                _error_body(
                    400,
                    None,
                    {
                        "message": "Missing required parameter: 'model'.",
                        "param": "model",
                        "code": "missing_required_parameter",
                    },
                ),
            )
        if body.get("stream") is not True:
            received.attempt_status = 400
            return _json_response(
                400,
                _error_body(
                    400,
                    model,
                    {"message": "This fake only supports stream=true.", "param": "stream"},
                ),
            )
        script = self._choose(body)
        if script.http_status is not None:
            return self._http_error(script, received, model)
        received.attempt_status = 200
        return await self._stream(request, received, script, model)

    def _http_error(self, script: Script, received: Received, model: str) -> web.Response:
        status = script.http_status
        assert status is not None
        received.attempt_status = status
        headers: dict[str, str] = {}
        if script.retry_after is not None:
            headers["retry-after-ms"] = str(round(script.retry_after * 1000, 3))
            headers["retry-after"] = str(math.ceil(script.retry_after))
        if script.should_retry is not None:
            headers["x-should-retry"] = "true" if script.should_retry else "false"
        return _json_response(status, _error_body(status, model, script.http_error), headers)

    async def _stream(
        self, request: web.Request, received: Received, script: Script, model: str
    ) -> web.StreamResponse:
        record = StreamRecord(
            response_id=_new_id("resp"),
            model=model,
            started=received.t,
            request=received,
            script=script,
        )
        self.streams.append(record)
        resp = web.StreamResponse(
            status=200,
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                "x-request-id": _new_id("req"),
                "openai-processing-ms": "1",
            },
        )
        resp.enable_chunked_encoding()
        writer = _Writer(self, resp, record)
        try:
            await resp.prepare(request)
            await _Performance(writer, received, script, model).run(request)
        except _ClientClosedError:
            writer.finish("client_closed", by_client=True)
        except asyncio.CancelledError:
            # handler_cancellation: the connection was lost (client closed) or we are stopping.
            if self._stopping:
                writer.finish("server_stopped")
            else:
                writer.finish("client_closed", by_client=True)
            await asyncio.shield(self._notify())
            raise
        except ConnectionError:
            writer.finish("client_closed", by_client=True)
        return resp
