"""``POST /api/chat``: one reply streamed as Server-Sent Events.

The body is JSON: ``prompt`` and optionally ``model``, ``system``, ``temperature``,
``top_p``, ``max_output_tokens``, checked as ``/chat`` checks them. The answer is a
``start`` event, ``delta`` events with the text as it arrives, and one final event:
``done`` (completed, cut off or stopped) or ``error`` (with the clear message), both
with the latency figures. A request refused before the reply starts gets its HTTP
status (400, 413, 429) and one ``error`` event. A client that goes away stops the
reply, which closes the model stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.app import App
from bot.core.conversation import estimate_tokens
from bot.core.pacing import LOCAL_PREFIX
from bot.core.relay.plain import PlainLayout, TextSink
from bot.core.replies import Reply, new_reply_id
from bot.core.reply import Attachment, Origin, Outcome, SinkGoneError
from bot.core.request import Options, Request, RequestRejectedError
from bot.web import sse

LAYOUT = PlainLayout()
#: The longest prompt or system prompt, as in ``/chat`` (Discord's option limit).
MAX_TEXT = 6000
#: Endings that are the model's or the server's failure, not the reply's natural end.
FAILURES = frozenset({"failed", "error", "interrupted"})
_FIELDS = frozenset({"prompt", "model", "system", "temperature", "top_p", "max_output_tokens"})


class BadRequestError(Exception):
    """The body is not a chat request; the text says what to fix."""


def _text(body: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadRequestError(f"{name}: must be a non-empty string")
    if len(value) > MAX_TEXT:
        raise BadRequestError(f"{name}: at most {MAX_TEXT} characters (got {len(value)})")
    return value


def _number(body: Mapping[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadRequestError(f"{name}: must be a number from {low:g} to {high:g}")
    if not low <= value <= high:
        raise BadRequestError(f"{name}: must be from {low:g} to {high:g} (got {value:g})")
    return float(value)


def parse(body: object) -> tuple[str, Options]:
    """The prompt and options of a request body, checked like ``/chat``'s options."""
    if not isinstance(body, dict):
        raise BadRequestError('the body must be a JSON object such as {"prompt": "Hello"}')
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise BadRequestError(f"unknown field {unknown[0]!r}; known: {', '.join(sorted(_FIELDS))}")
    prompt = _text(body, "prompt", required=True)
    assert prompt is not None  # noqa: S101 - required=True returns a string or raises
    max_output = body.get("max_output_tokens")
    if max_output is not None and (isinstance(max_output, bool) or not isinstance(max_output, int)):
        raise BadRequestError("max_output_tokens: must be a whole number from 16 to 128000")
    _number(body, "max_output_tokens", 16, 128_000)
    return prompt, Options(
        model=_text(body, "model"),
        system=_text(body, "system"),
        temperature=_number(body, "temperature", 0.0, 2.0),
        top_p=_number(body, "top_p", 0.0, 1.0),
        max_output_tokens=max_output,
    )


def figures(outcome: Outcome) -> dict[str, object]:
    """The latency figures of a finished reply (the footer's numbers)."""
    usage = outcome.usage
    tokens = usage.output_tokens if usage else estimate_tokens(outcome.characters)
    return {
        "ending": outcome.ending,
        "model": outcome.model,
        "first_token_s": None if outcome.first_token is None else round(outcome.first_token, 3),
        "total_s": round(outcome.total, 3),
        "output_tokens": tokens,
        "tokens_estimated": usage is None,
        "tokens_per_s": round(tokens / outcome.total, 1) if outcome.total > 0 else None,
        "characters": outcome.characters,
    }


def final_event(outcome: Outcome) -> bytes:
    """``done`` for a reply that ended normally (or was cut off or stopped), else ``error``."""
    data = figures(outcome)
    if outcome.ending in FAILURES:
        return sse.encode("error", {**data, "message": outcome.detail or "The reply failed."})
    return sse.encode("done", {**data, "detail": outcome.detail})


class HttpSink(TextSink):
    """Writes each new piece of text as a ``delta`` event."""

    def __init__(self, response: web.StreamResponse, reply_id: str) -> None:
        super().__init__(f"{LOCAL_PREFIX}http:{reply_id}")
        self._response = response
        self._sent = 0

    async def _write(self, content: str) -> None:
        new, self._sent = content[self._sent :], len(content)
        if not new:
            return
        try:
            await self._response.write(sse.encode("delta", {"text": new}))
        except (ConnectionError, RuntimeError) as exc:  # the client went away
            raise SinkGoneError(str(exc)) from exc

    async def send(self, content: str, *, live: bool, attachment: Attachment | None = None) -> None:
        """The first text."""
        del live, attachment
        await self._write(content)

    async def edit(
        self, index: int, content: str, *, live: bool, attachment: Attachment | None = None
    ) -> None:
        """More text."""
        del index, live, attachment
        await self._write(content)


class ChatStreams:
    """The ``/api/chat`` handler, with its limit on streams at once."""

    def __init__(self, app: App, max_streams: int) -> None:
        self._app = app
        self._max = max_streams
        self.streaming = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Check the request, admit it, then stream the reply."""
        try:
            prompt, options = parse(await request.json())
            built = self._app.requests.build(prompt, options)
        except web.HTTPRequestEntityTooLarge as exc:
            return await sse.error_stream(request, 413, f"the body is too large ({exc.text})")
        except ValueError:  # also json.JSONDecodeError
            return await sse.error_stream(request, 400, "the body must be JSON")
        except (BadRequestError, RequestRejectedError) as exc:
            return await sse.error_stream(request, 400, str(exc))
        caller = f"http:{request.remote}"
        refused = await self._admit(caller)
        if refused is not None:
            return await sse.error_stream(request, *refused)
        try:
            return await self._stream(request, built, caller)
        finally:
            self.streaming -= 1

    async def _admit(self, caller: str) -> tuple[int, str, dict[str, str]] | None:
        """``None`` when the reply may start (it then counts as streaming), else why not."""
        if not self._app.replies.accepting:
            return 503, "The bot is restarting; try again in a minute.", {"Retry-After": "30"}
        if self.streaming >= self._max:
            text = f"{self._max} replies are streaming already; try again when one ends."
            return 429, text, {"Retry-After": "5"}
        self.streaming += 1  # before the guard's await: requests racing in see this one
        refusal = await self._app.guard.admit(caller, None)
        if refusal is not None:
            self.streaming -= 1
            return 429, refusal.text, {}
        return None

    async def _stream(
        self, request: web.Request, built: Request, caller: str
    ) -> web.StreamResponse:
        reply_id = new_reply_id()
        guard = self._app.guard
        try:
            response = await sse.open_stream(request)
            await response.write(sse.encode("start", {"id": reply_id, "model": built.model}))
        except BaseException:  # the client left before the reply started
            guard.release(caller)
            raise
        origin = Origin("http", caller, {"remote": request.remote})
        reply = self._app.replies.spawn(
            built, HttpSink(response, reply_id), LAYOUT, origin, reply_id=reply_id
        )
        reply.task.add_done_callback(lambda _: guard.release(caller))
        try:
            outcome = await _with_keep_alive(reply, response)
        except asyncio.CancelledError:  # the client went away: stop the reply, keep its record
            self._app.replies.stop(reply_id, "stopped", "The client disconnected.")
            raise
        with contextlib.suppress(ConnectionError, RuntimeError):
            await response.write(final_event(outcome))
            await response.write_eof()
        return response


async def _with_keep_alive(reply: Reply, response: web.StreamResponse) -> Outcome:
    """Wait for the reply, sending a keep-alive comment through long silences."""
    while True:
        done, _ = await asyncio.wait({reply.task}, timeout=sse.KEEP_ALIVE_EVERY)
        if done:
            return reply.task.result()
        with contextlib.suppress(ConnectionError, RuntimeError):
            await response.write(sse.KEEP_ALIVE)
