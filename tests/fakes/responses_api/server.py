"""``FakeResponses``: the aiohttp server, scripting, waiting and the HTTP handling.

Requests are checked like OpenAI does (API key, JSON body, ``model``, ``input`` by
inputs.py, ``max_output_tokens``, ``previous_response_id``; this fake only streams),
answered with OpenAI's JSON error bodies, or streamed by performance.py.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Self, TypeVar

from aiohttp import web

from tests.fakes.responses_api.inputs import InputError, json_kind, parse_input
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


#: OpenAI's smallest ``max_output_tokens`` (cited: vectorize-io/hindsight#58).
MIN_OUTPUT_TOKENS = 16


def _image_rejection(style: str, param: str, model: str) -> tuple[int, dict[str, Any]]:
    """What a text-only model answers to an ``input_image`` part: (status, JSON body)."""
    if style == "vllm":
        # vLLM's words (vllm-project/vllm#23402, studio-dots-ai/dots.ocr#61) in the nested
        # OpenAI shape vLLM adopted in vllm-project/vllm#22099 (type and code are vLLM's).
        message = f"{model} is not a multimodal model"
        return 400, {
            "error": {"message": message, "type": "BadRequestError", "param": None, "code": 400}
        }
    if style == "llama_cpp":
        # llama-server without --mmproj: a 500 (so the SDK retries it) with its own body
        # (ggml-org/llama.cpp#15377, #13566).
        message = (
            "image input is not supported - hint: if this is unexpected, you may need to "
            "provide the mmproj"
        )
        return 500, {"error": {"code": 500, "message": message, "type": "server_error"}}
    # OpenAI, for a model without vision: its Chat Completions wording (vllm-project/vllm
    # #11629, browser-use/web-ui#274, where param is 'messages.[0].content.[1].type'),
    # carried over to Responses' part type and param.
    message = "Invalid content type. input_image is only supported by certain models."
    error = {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    return 400, {"error": error}


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
        #: Reject image bytes that are not PNG/JPEG/GIF/WebP, as OpenAI does.
        self.sniff_images = True
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

    def _choose(self, body: dict[str, Any]) -> tuple[Script, bool]:
        """The script for ``body`` and whether it is the head of the queue (not yet taken)."""
        for fn in self._routes:
            script = fn(body)
            if script is not None:
                return script, False
        if self._queue:
            return self._queue[0], True
        return self.default, False

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

    async def wait_closed(
        self,
        stream: int | StreamRecord = -1,
        timeout: float = 2.0,  # noqa: ASYNC109 - same as wait_for
    ) -> StreamRecord:
        """Wait until the client has closed ``stream`` (an index or a record); return it.

        Raises ``TimeoutError`` if it is still running after ``timeout`` and
        ``AssertionError`` if it ended some other way (completed, cut, server stopped...).
        """

        def ended() -> StreamRecord | None:
            if isinstance(stream, StreamRecord):
                record = stream
            else:
                try:
                    record = self.streams[stream]
                except IndexError:
                    return None
            return record if record.ended is not None else None

        record = await self.wait_for(ended, timeout)
        if not record.closed_by_client:
            raise AssertionError(
                f"stream {record.response_id} ended {record.ended_how!r}, not closed by the client"
            )
        return record

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
            return _reject(received, 401, _error_body(401, None, None))
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _reject(
                received,
                400,
                _error_body(400, None, {"message": "We could not parse the JSON body."}),
            )
        received.body = body
        problem = self._request_problem(body, received)
        if problem is not None:
            return _reject(received, 400, {"error": problem})
        model = str(body["model"])
        script, queued = self._choose(body)
        rejection = _script_rejection(script, body, model)
        if rejection is not None:  # the script stays queued: retries meet the same model
            return _reject(received, *rejection)
        if queued:
            self._queue.popleft()
        if script.http_status is not None:
            return self._http_error(script, received, model)
        received.attempt_status = 200
        return await self._stream(request, received, script, model)

    def _request_problem(self, body: dict[str, Any], received: Received) -> dict[str, Any] | None:
        """The ``error`` of a 400 for a request OpenAI would refuse before any model runs."""
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return {
                "message": "Missing required parameter: 'model'.",
                "type": "invalid_request_error",
                "param": "model",
                "code": "missing_required_parameter",
            }
        if body.get("stream") is not True:
            return {
                "message": "This fake only supports stream=true.",
                "type": "invalid_request_error",
                "param": "stream",
                "code": None,
            }
        try:
            received.messages = parse_input(body.get("input"), sniff_images=self.sniff_images)
        except InputError as exc:
            return exc.error()
        return self._previous_response_problem(body)

    def _previous_response_problem(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """OpenAI's 400 for a ``previous_response_id`` it has not stored, else ``None``.

        Stored means streamed by this fake from a request that did not say ``store: false``.
        """
        previous = body.get("previous_response_id")
        if previous is None:
            return None
        stored = {s.response_id for s in self.streams if s.request.store is not False}
        if previous in stored:
            return None
        return {
            "message": f"Previous response with id '{previous}' not found.",
            "type": "invalid_request_error",
            "param": "previous_response_id",
            "code": "previous_response_not_found",
        }

    def _http_error(self, script: Script, received: Received, model: str) -> web.Response:
        status = script.http_status
        assert status is not None
        headers: dict[str, str] = {}
        if script.retry_after is not None:
            headers["retry-after-ms"] = str(round(script.retry_after * 1000, 3))
            headers["retry-after"] = str(math.ceil(script.retry_after))
        if script.should_retry is not None:
            headers["x-should-retry"] = "true" if script.should_retry else "false"
        return _reject(received, status, _error_body(status, model, script.http_error), headers)

    async def _stream(
        self, request: web.Request, received: Received, script: Script, model: str
    ) -> web.StreamResponse:
        record = StreamRecord(
            response_id=_new_id("resp"),
            model=model,
            started=received.t,
            request=received,
            script=script,
            response_model=script.served_model or model,
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
            await _Performance(writer, received, script, record.response_model).run(request)
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


# --------------------------------------------------------------------------- request checks


def _reject(
    received: Received,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> web.Response:
    """Answer ``status`` with a JSON error ``body``, recording both in ``received``."""
    received.attempt_status = status
    error = body.get("error")
    received.error = error if isinstance(error, dict) else None
    return _json_response(status, body, headers)


def _script_rejection(
    script: Script, body: dict[str, Any], model: str
) -> tuple[int, dict[str, Any]] | None:
    """(status, JSON body) when the scripted server or model refuses the request."""
    if not script.llama_cpp and (problem := _max_tokens_problem(body)) is not None:
        return 400, {"error": problem}
    if script.reject_images and (image := _first_image(body)) is not None:
        return _image_rejection(str(script.reject_images), image, script.served_model or model)
    return None


def _max_tokens_problem(body: dict[str, Any]) -> dict[str, Any] | None:
    """OpenAI's 400 for a ``max_output_tokens`` that is not an integer >= 16, else ``None``."""
    value = body.get("max_output_tokens")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return {
            "message": (
                "Invalid type for 'max_output_tokens': expected an integer, but got "
                f"{json_kind(value)} instead."
            ),
            "type": "invalid_request_error",
            "param": "max_output_tokens",
            "code": "invalid_type",
        }
    if value < MIN_OUTPUT_TOKENS:
        return {
            "message": (
                "Invalid 'max_output_tokens': integer below minimum value. Expected a value "
                f">= {MIN_OUTPUT_TOKENS}, but got {value} instead."
            ),
            "type": "invalid_request_error",
            "param": "max_output_tokens",
            "code": "integer_below_min_value",
        }
    return None


def _first_image(body: dict[str, Any]) -> str | None:
    """The param path (``input[i].content[j].type``) of the first image part, if any."""
    value = body.get("input")
    if not isinstance(value, list):
        return None
    for i, item in enumerate(value):
        content = item.get("content") if isinstance(item, dict) else None
        if not isinstance(content, list):
            continue
        for j, part in enumerate(content):
            if isinstance(part, dict) and part.get("type") == "input_image":
                return f"input[{i}].content[{j}].type"
    return None
