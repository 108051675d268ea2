"""A fake OpenAI Responses API (``POST /v1/responses`` with ``stream: true``) on 127.0.0.1.

It speaks the real wire format (``event: <type>`` + ``data: <compact json>`` + blank line,
chunked HTTP/1.1) so the real ``openai.AsyncOpenAI`` client (openai 3.52, httpx2) can be
pointed at it with ``base_url=fake.base_url``. Every event it emits validates against the
SDK's own pydantic models (``tests/test_fake_responses.py`` checks this).

Usage::

    fake = FakeResponses()
    await fake.start()
    fake.queue(Script(text="Hi there", ttft=0.2, rate=20))
    client = AsyncOpenAI(base_url=fake.base_url, api_key="test-key")
    ...
    await fake.wait_for(lambda: fake.streams and fake.streams[-1].ended is not None)
    await fake.stop()

What the SDK (openai 3.52, ``client.responses.create(..., stream=True)``) does with each
``Script.ending`` -- verified by ``tests/test_fake_responses.py``:

- ``completed`` / ``incomplete`` / ``failed``: the terminal event is yielded as
  ``ResponseCompletedEvent`` / ``ResponseIncompleteEvent`` / ``ResponseFailedEvent``; nothing
  raises. ``event.response.usage``, ``.incomplete_details.reason``, ``.error.code/.message``.
- ``error_flat`` (``{"type":"error","code","message","param","sequence_number"}``): yielded as
  ``openai.types.responses.ResponseErrorEvent`` (``type == "error"``); nothing raises, and the
  iteration then simply ends (the server closes the body).
- ``error_nested`` (``{"type":"error","error":{"type","code","message"}}``): the SDK raises
  ``openai.APIError`` itself (the base class, not a status subclass: ``status_code`` is
  absent, ``.message`` is the nested message, ``.body`` is the nested error dict, ``.code``
  and ``.type`` are taken from it). Any event whose data has a truthy top-level ``"error"``
  key raises this way.
- ``cut`` (TCP closed mid-body, no chunked terminator, a half-written event in flight):
  ``openai.APIConnectionError`` (exactly that class, not ``APITimeoutError``), raised from
  ``httpx2.RemoteProtocolError``; the half event is never yielded.
- ``eof`` (body ends cleanly without a terminal event): the ``async for`` just ends;
  nothing raises. The caller must notice that no terminal event arrived.
- ``done_marker`` (``data: [DONE]`` after ``response.completed``): harmless, the SDK stops
  at it.
- Unknown event types (e.g. ``{"type": "response.future_thing", "foo": 1}``) are yielded,
  never raised. The SDK cannot match the discriminator and, without validating, builds
  the *first* member of the ``ResponseStreamEvent`` union: an instance of
  ``ResponseAudioDeltaEvent`` whose ``.type`` is the unknown string, unknown keys are
  attributes/``model_extra`` (``event.foo == 1``) and missing declared fields are ``None``
  (``event.delta is None``). So dispatch on ``event.type``, never on ``isinstance``.
  (Known types with missing fields are not validated either: the fields are ``None``.)
- ``http_status``: errors use OpenAI's JSON body. 401 -> ``AuthenticationError`` (no
  retry); 404 -> ``NotFoundError``; 429 -> ``RateLimitError``; 5xx ->
  ``InternalServerError``. The SDK retries 408/409/429/5xx ``max_retries`` times (default
  2, so 3 attempts). Note: ``retry-after: 0`` is *not* a fast retry -- the SDK honours
  only delays > 0, otherwise it backs off 0.5 s, 1 s, ... -- so the fake sends
  ``retry-after-ms`` (``Script.retry_after``, default 10 ms) to keep tests fast.

Client disconnects: the server runs with ``handler_cancellation=True``, so when the
client closes the connection (``await stream.close()``) the handler is cancelled at once
(even while it is pacing), or a write fails with ``ConnectionResetError``; either way the
``StreamRecord`` gets ``closed_by_client=True`` and ``ended_how="client_closed"``.
``stop()`` cancels streams still running (``ended_how="server_stopped"``; the client then
gets ``APIConnectionError``). Streams are never retried by the SDK once headers arrived.

Timing: ``StreamRecord.delta_times`` holds ``time.monotonic()`` taken right after each
delta's ``await resp.write()``; ``rate`` follows an absolute schedule (first delta +
i / rate), so there is no drift. The client's first request and first parsed event cost
~0.1 s extra once per process (SDK warm-up), so assert on server-side times.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar

from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "PAUSE",
    "FakeResponses",
    "Received",
    "Script",
    "StreamRecord",
    "pause",
    "reasoning_summary_events",
    "split_words",
    "unknown_event",
    "web_search_events",
]

Ending = Literal[
    "completed", "incomplete", "failed", "error_flat", "error_nested", "cut", "eof", "done_marker"
]
ENDINGS: frozenset[str] = frozenset(
    {"completed", "incomplete", "failed", "error_flat", "error_nested", "cut", "eof", "done_marker"}
)

#: Type of the pseudo-event made by :func:`pause`; it is never sent, the server sleeps instead.
PAUSE = "__fake_pause__"

_WORDISH = re.compile(r"\S+\s*|\s+")
_T = TypeVar("_T")


def split_words(text: str) -> list[str]:
    r"""Split text into word-ish tokens: each one word plus the whitespace after it.

    Leading whitespace becomes its own token. ``"".join(split_words(t)) == t``.
    """
    return _WORDISH.findall(text)


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(24)}"


# --------------------------------------------------------------------------- scripts


@dataclass
class Script:
    """What the fake model does for one request.

    ``between`` keys at or past the number of deltas are sent after the last delta.
    ``before_text`` and ``between`` events are dicts with at least ``"type"``;
    ``sequence_number`` is filled in unless given. A ``{"type": PAUSE, "seconds": s}``
    entry (see :func:`pause`) sleeps instead of sending. ``response.output_item.done``
    items among ``before_text`` events are included in the final ``response.output``
    (before the message), and each ``response.output_item.added`` there shifts the
    message's ``output_index`` by one.
    """

    text: str = "Hello from the fake model."
    chunk: int | None = None
    deltas: list[str] | None = None
    ttft: float = 0.0
    rate: float | None = None
    ending: Ending = "completed"
    incomplete_reason: str = "max_output_tokens"
    error_code: str = "server_error"
    error_message: str = "The model had a problem."
    error_type: str = "server_error"
    http_status: int | None = None
    http_error: dict[str, Any] | None = None
    retry_after: float | None = 0.01
    should_retry: bool | None = None
    usage: dict[str, Any] | None = None
    before_text: list[dict[str, Any]] = field(default_factory=list)
    between: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    refusal: str | None = None

    def __post_init__(self) -> None:
        if self.ending not in ENDINGS:
            raise ValueError(f"unknown ending {self.ending!r}; expected one of {sorted(ENDINGS)}")
        if self.chunk is not None and self.chunk < 1:
            raise ValueError("chunk must be >= 1")
        if self.rate is not None and self.rate <= 0:
            raise ValueError("rate must be > 0 (or None for no pacing)")

    @property
    def reply(self) -> str:
        """The full text (or refusal) the deltas add up to."""
        return "".join(self.pieces())

    def pieces(self) -> list[str]:
        """The deltas this script sends, in order."""
        if self.deltas is not None:
            return list(self.deltas)
        source = self.refusal if self.refusal is not None else self.text
        if self.chunk is None:
            return split_words(source)
        return [source[i : i + self.chunk] for i in range(0, len(source), self.chunk)]


def pause(seconds: float) -> dict[str, Any]:
    """A pseudo-event for ``before_text``/``between``: sleep ``seconds`` instead of sending."""
    return {"type": PAUSE, "seconds": seconds}


def unknown_event(type_: str = "response.future_feature.delta", **fields: Any) -> dict[str, Any]:
    """An event of a type the SDK does not know (it is yielded, not raised)."""
    return {"type": type_, "item_id": "x_1", "output_index": 0, **fields}


def reasoning_summary_events(
    summary: str, *, output_index: int = 0, item_id: str | None = None
) -> list[dict[str, Any]]:
    """Events of a reasoning item whose summary streams as word-ish deltas (for ``before_text``)."""
    item_id = item_id or _new_id("rs")
    base = {"item_id": item_id, "output_index": output_index}
    item: dict[str, Any] = {"id": item_id, "type": "reasoning", "summary": []}
    events: list[dict[str, Any]] = [
        {"type": "response.output_item.added", "output_index": output_index, "item": item},
        {
            "type": "response.reasoning_summary_part.added",
            **base,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": ""},
        },
    ]
    events += [
        {
            "type": "response.reasoning_summary_text.delta",
            **base,
            "summary_index": 0,
            "delta": piece,
        }
        for piece in split_words(summary)
    ]
    done_part = {"type": "summary_text", "text": summary}
    events += [
        {
            "type": "response.reasoning_summary_text.done",
            **base,
            "summary_index": 0,
            "text": summary,
        },
        {
            "type": "response.reasoning_summary_part.done",
            **base,
            "summary_index": 0,
            "part": done_part,
        },
        {
            "type": "response.output_item.done",
            "output_index": output_index,
            "item": {**item, "summary": [done_part]},
        },
    ]
    return events


def web_search_events(
    query: str = "fake search", *, output_index: int = 0, item_id: str | None = None
) -> list[dict[str, Any]]:
    """Events of one web_search_call: added, in_progress, searching, completed, done."""
    item_id = item_id or _new_id("ws")
    base = {"item_id": item_id, "output_index": output_index}

    def item(status: str) -> dict[str, Any]:
        return {
            "id": item_id,
            "type": "web_search_call",
            "status": status,
            "action": {"type": "search", "query": query},
        }

    return [
        {
            "type": "response.output_item.added",
            "output_index": output_index,
            "item": item("in_progress"),
        },
        {"type": "response.web_search_call.in_progress", **base},
        {"type": "response.web_search_call.searching", **base},
        {"type": "response.web_search_call.completed", **base},
        {
            "type": "response.output_item.done",
            "output_index": output_index,
            "item": item("completed"),
        },
    ]


# --------------------------------------------------------------------------- records


@dataclass
class Received:
    """One HTTP request the fake received (every attempt, including rejected ones).

    ``headers`` keys are lower-cased. ``attempt_status`` is the HTTP status answered.
    """

    t: float
    body: dict[str, Any]
    headers: dict[str, str]
    attempt_status: int = 0

    @property
    def prompt(self) -> str:
        """The text of ``input`` (a string, or the text parts of input messages)."""
        return _input_text(self.body.get("input"))


@dataclass
class StreamRecord:
    """One streamed response, as the server saw it."""

    response_id: str
    model: str
    started: float
    request: Received
    script: Script
    delta_times: list[tuple[float, int]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""
    ended: float | None = None
    ended_how: str | None = None
    closed_by_client: bool = False

    @property
    def event_types(self) -> list[str]:
        """Types of the events written so far, in order."""
        return [e["type"] for e in self.events]

    @property
    def ttft(self) -> float | None:
        """Seconds from the request arriving to the first delta being written."""
        return self.delta_times[0][0] - self.request.t if self.delta_times else None


# --------------------------------------------------------------------------- helpers


def _input_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    parts: list[str] = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                parts.append(item)
            elif isinstance(item, dict):
                content = item.get("content")
                if isinstance(content, str):
                    parts.append(content)
                elif isinstance(content, list):
                    parts.extend(
                        p["text"]
                        for p in content
                        if isinstance(p, dict) and isinstance(p.get("text"), str)
                    )
    return "\n".join(parts)


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


class _ClientClosedError(Exception):
    """The client went away while we were writing."""


# --------------------------------------------------------------------------- the server


class FakeResponses:
    """The fake server. ``start()`` it, point the SDK at ``base_url``, ``stop()`` it."""

    def __init__(self, *, api_key: str = "test-key") -> None:
        self.api_key = api_key
        self.default: Script = Script()
        self.requests: list[Received] = []
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


class _Writer:
    """Writes SSE events, numbers them and records timings."""

    def __init__(self, fake: FakeResponses, resp: web.StreamResponse, record: StreamRecord) -> None:
        self.fake = fake
        self.resp = resp
        self.record = record
        self.seq = 0

    def finish(self, how: str, *, by_client: bool = False) -> None:
        if self.record.ended is None:
            self.record.ended = time.monotonic()
            self.record.ended_how = how
            self.record.closed_by_client = by_client

    async def raw(self, data: bytes) -> None:
        try:
            await self.resp.write(data)
        except ConnectionError as exc:
            raise _ClientClosedError from exc

    async def send(self, event: dict[str, Any], *, notify: bool = False) -> dict[str, Any]:
        if event.get("type") == PAUSE:
            await asyncio.sleep(float(event.get("seconds", 0)))
            return event
        type_ = event["type"]
        data = {"type": type_, "sequence_number": self.seq, **event}
        self.seq += 1
        wire = f"event: {type_}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
        await self.raw(wire.encode())
        self.record.events.append(data)
        if notify:
            await self.fake._notify()
        return data

    async def delta(self, event: dict[str, Any], piece: str) -> None:
        await self.send(event)
        self.record.text += piece
        self.record.delta_times.append((time.monotonic(), len(self.record.text)))
        await self.fake._notify()


class _Performance:
    """Plays one Script onto one streamed response."""

    def __init__(self, writer: _Writer, received: Received, script: Script, model: str) -> None:
        self.w = writer
        self.received = received
        self.script = script
        self.model = model
        self.body = received.body
        self.created_at = int(time.time())
        self.extra_items: list[dict[str, Any]] = []
        self.msg_id = _new_id("msg")
        self.output_index = 0
        self.is_refusal = script.refusal is not None

    def response(
        self,
        status: str,
        output: list[dict[str, Any]] | None = None,
        *,
        usage: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
        incomplete_reason: str | None = None,
    ) -> dict[str, Any]:
        body = self.body
        temperature = body.get("temperature")
        top_p = body.get("top_p")
        reasoning = body.get("reasoning") or {"effort": None, "summary": None}
        return {
            "id": self.w.record.response_id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "background": False,
            "completed_at": int(time.time()) if status == "completed" else None,
            "error": error,
            "incomplete_details": (
                {"reason": incomplete_reason} if incomplete_reason is not None else None
            ),
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "max_tool_calls": None,
            "model": self.model,
            "output": output or [],
            "parallel_tool_calls": True,
            "previous_response_id": body.get("previous_response_id"),
            "prompt_cache_key": None,
            "reasoning": reasoning,
            "safety_identifier": None,
            "service_tier": "default",
            "store": body.get("store", True),
            "temperature": 1.0 if temperature is None else temperature,
            "text": {"format": {"type": "text"}, "verbosity": "medium"},
            "tool_choice": "auto",
            "tools": [],
            "top_logprobs": 0,
            "top_p": 1.0 if top_p is None else top_p,
            "truncation": "disabled",
            "usage": usage,
            "user": body.get("user"),
            "metadata": body.get("metadata") or {},
        }

    def usage(self, n_deltas: int) -> dict[str, Any]:
        input_tokens = len(self.received.prompt.split())
        usage: dict[str, Any] = {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": n_deltas,
            "output_tokens_details": {"reasoning_tokens": 0},
        }
        given = self.script.usage or {}
        usage.update(given)
        if "total_tokens" not in given:
            usage["total_tokens"] = int(usage["input_tokens"]) + int(usage["output_tokens"])
        return usage

    def part(self, text: str) -> dict[str, Any]:
        if self.is_refusal:
            return {"type": "refusal", "refusal": text}
        return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}

    def message(self, status: str, content: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": self.msg_id,
            "type": "message",
            "status": status,
            "role": "assistant",
            "content": content,
        }

    def loc(self) -> dict[str, Any]:
        return {"item_id": self.msg_id, "output_index": self.output_index, "content_index": 0}

    async def send_extras(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            sent = await self.w.send(event, notify=True)
            if sent.get("type") == "response.output_item.added":
                self.output_index += 1
            if sent.get("type") == "response.output_item.done" and isinstance(
                sent.get("item"), dict
            ):
                self.extra_items.append(sent["item"])

    async def run(self, request: web.Request) -> None:
        script, w = self.script, self.w
        await w.send({"type": "response.created", "response": self.response("in_progress")})
        await w.send(
            {"type": "response.in_progress", "response": self.response("in_progress")},
            notify=True,
        )
        await self.send_extras(script.before_text)
        await _sleep_until(self.received.t + script.ttft)

        await w.send(
            {
                "type": "response.output_item.added",
                "output_index": self.output_index,
                "item": self.message("in_progress", []),
            }
        )
        await w.send({"type": "response.content_part.added", **self.loc(), "part": self.part("")})
        pieces = script.pieces()
        first: float | None = None
        delta_type = "response.refusal.delta" if self.is_refusal else "response.output_text.delta"
        for i, piece in enumerate(pieces):
            if i > 0 and script.rate is not None and first is not None:
                await _sleep_until(first + i / script.rate)
            await self.send_extras(script.between.get(i, []))
            event: dict[str, Any] = {"type": delta_type, **self.loc(), "delta": piece}
            if not self.is_refusal:
                event["logprobs"] = []
            await w.delta(event, piece)
            if first is None:
                first = w.record.delta_times[-1][0]
        for i in sorted(k for k in script.between if k >= len(pieces)):
            await self.send_extras(script.between[i])
        await self.end(request, len(pieces))

    async def close_content(self, item_status: str) -> dict[str, Any]:
        w, text = self.w, self.w.record.text
        if self.is_refusal:
            await w.send({"type": "response.refusal.done", **self.loc(), "refusal": text})
        else:
            await w.send(
                {"type": "response.output_text.done", **self.loc(), "text": text, "logprobs": []}
            )
        await w.send({"type": "response.content_part.done", **self.loc(), "part": self.part(text)})
        item = self.message(item_status, [self.part(text)])
        await w.send(
            {"type": "response.output_item.done", "output_index": self.output_index, "item": item}
        )
        return item

    async def end(self, request: web.Request, n_deltas: int) -> None:
        script, w = self.script, self.w
        ending = script.ending
        partial = self.message("incomplete", [self.part(w.record.text)])
        if ending in {"completed", "done_marker"}:
            item = await self.close_content("completed")
            await w.send(
                {
                    "type": "response.completed",
                    "response": self.response(
                        "completed", [*self.extra_items, item], usage=self.usage(n_deltas)
                    ),
                }
            )
            if ending == "done_marker":
                await w.raw(b"data: [DONE]\n\n")
        elif ending == "incomplete":
            item = await self.close_content("incomplete")
            await w.send(
                {
                    "type": "response.incomplete",
                    "response": self.response(
                        "incomplete",
                        [*self.extra_items, item],
                        usage=self.usage(n_deltas),
                        incomplete_reason=script.incomplete_reason,
                    ),
                }
            )
        elif ending == "failed":
            error = {"code": script.error_code, "message": script.error_message}
            await w.send(
                {
                    "type": "response.failed",
                    "response": self.response("failed", [*self.extra_items, partial], error=error),
                }
            )
        elif ending == "error_flat":
            await w.send(
                {
                    "type": "error",
                    "code": script.error_code,
                    "message": script.error_message,
                    "param": None,
                }
            )
        elif ending == "error_nested":
            await w.send(
                {
                    "type": "error",
                    "error": {
                        "type": script.error_type,
                        "code": script.error_code,
                        "message": script.error_message,
                        "param": None,
                    },
                }
            )
        elif ending == "cut":
            # Half an event, then close the socket: no chunked terminator is ever sent.
            await w.raw(b'event: response.output_text.delta\ndata: {"type":"response.outp')
            w.finish("cut")
            transport = request.transport
            if transport is not None:
                transport.close()
            return
        # "eof": nothing more; returning ends the chunked body cleanly.
        w.finish(ending)


async def _sleep_until(deadline: float) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)
