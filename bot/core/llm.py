"""The model side: one Responses API stream turned into a few plain events.

``stream()`` never raises for the model server's failures: every way a stream can
end becomes exactly one terminal event (:class:`Finished` or :class:`Failed`), so the
relay always knows how to close a reply.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import cast

import httpx2
import openai
from openai import AsyncOpenAI
from openai.types.responses import ResponseInputParam

from bot.core import errors
from bot.core.conversation import to_input
from bot.core.events import Failed, Finished, Started, Status, StreamEvent, TextDelta, Usage
from bot.core.request import Request
from bot.logs import get_logger

log = get_logger(__name__)

# Status lines shown while no text has arrived yet.
_STATUS_BY_EVENT = {
    "response.queued": "Queued…",
    "response.reasoning_summary_part.added": "Thinking…",
    "response.reasoning_summary_text.delta": "Thinking…",
    "response.reasoning_text.delta": "Thinking…",
    "response.web_search_call.in_progress": "Searching the web…",
    "response.web_search_call.searching": "Searching the web…",
    "response.web_search_call.completed": "Reading search results…",
    "response.file_search_call.in_progress": "Searching files…",
    "response.file_search_call.searching": "Searching files…",
    "response.code_interpreter_call.in_progress": "Running code…",
    "response.code_interpreter_call.interpreting": "Running code…",
    "response.image_generation_call.generating": "Generating an image…",
}


def _usage(response: object) -> Usage | None:
    usage = getattr(response, "usage", None)
    if usage is None:
        return None
    details = getattr(usage, "output_tokens_details", None)
    return Usage(
        input_tokens=int(getattr(usage, "input_tokens", 0) or 0),
        output_tokens=int(getattr(usage, "output_tokens", 0) or 0),
        reasoning_tokens=int(getattr(details, "reasoning_tokens", 0) or 0),
    )


def _model(response: object) -> str:
    return str(getattr(response, "model", "") or "")


def _completed(response: object, request: Request) -> Finished:
    """``response.completed``; a reply that used all of ``max_output_tokens`` was cut off.

    llama.cpp's server ends such a reply with ``completed``, never ``incomplete``.
    """
    usage = _usage(response)
    limit = request.max_output_tokens
    if limit is not None and usage is not None and usage.output_tokens >= limit:
        return Finished(
            "incomplete", usage=usage, reason="max_output_tokens", model=_model(response)
        )
    return Finished("completed", usage=usage, model=_model(response))


class LLM:
    """Streams replies from any server that speaks the Responses API."""

    def __init__(self, client: AsyncOpenAI, *, scrub: Callable[[str], str] = str) -> None:
        self._client = client
        self._scrub = scrub

    @property
    def base_url(self) -> str:
        """The API's base URL as configured (``.../v1``)."""
        return str(self._client.base_url).rstrip("/")

    @property
    def server(self) -> str:
        """The model server's address for people to read: no credentials, no query."""
        url = self._client.base_url
        port = f":{url.port}" if url.port else ""
        return f"{url.scheme}://{url.host}{port}{url.path.rstrip('/')}"

    async def list_models(self, *, within: float = 5.0, base_url: str | None = None) -> list[str]:
        """``GET /models`` once, answered ``within`` seconds, no retries; raises on failure."""
        client = self._client.with_options(timeout=within, max_retries=0)
        if base_url is not None:
            client = client.with_options(base_url=base_url)
        page = await client.models.list()
        return [model.id for model in page.data]

    @classmethod
    def connect(
        cls,
        *,
        api_key: str,
        base_url: str | None,
        timeout: float,
        scrub: Callable[[str], str] = str,
    ) -> LLM:
        """Build the client; ``timeout`` bounds a stall between stream events."""
        client = AsyncOpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=httpx2.Timeout(timeout, connect=10.0),
        )
        return cls(client, scrub=scrub)

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.close()

    async def stream(self, request: Request) -> AsyncIterator[StreamEvent]:
        """Yield normalised events; the last one is always Finished or Failed."""
        try:
            stream = await self._client.responses.create(
                model=request.model,
                input=cast("ResponseInputParam", to_input(request.conversation())),
                instructions=request.instructions or openai.omit,
                temperature=openai.omit if request.temperature is None else request.temperature,
                top_p=openai.omit if request.top_p is None else request.top_p,
                max_output_tokens=openai.omit
                if request.max_output_tokens is None
                else request.max_output_tokens,
                store=False,
                stream=True,
            )
        except Exception as exc:  # noqa: BLE001 - every failure becomes an event
            yield self._failure(exc, request.model, streaming=False)
            return
        try:
            async for event in self._events(stream, request):
                yield event
        finally:
            # Closing here also covers the consumer abandoning the stream.
            with contextlib.suppress(Exception):
                await stream.close()

    async def _events(
        self,
        stream: openai.AsyncStream[openai.types.responses.ResponseStreamEvent],
        request: Request,
    ) -> AsyncIterator[StreamEvent]:
        last_status = ""
        try:
            async for event in stream:
                kind = getattr(event, "type", None)
                if kind in {"response.output_text.delta", "response.refusal.delta"}:
                    delta = getattr(event, "delta", "")
                    if delta:
                        yield TextDelta(delta, refusal=kind == "response.refusal.delta")
                elif kind == "response.created":
                    response = getattr(event, "response", None)
                    yield Started(
                        response_id=str(getattr(response, "id", "")), model=_model(response)
                    )
                elif kind == "response.completed":
                    yield _completed(getattr(event, "response", None), request)
                    return
                elif kind == "response.incomplete":
                    response = getattr(event, "response", None)
                    details = getattr(response, "incomplete_details", None)
                    yield Finished(
                        "incomplete",
                        usage=_usage(response),
                        reason=getattr(details, "reason", None),
                        model=_model(response),
                    )
                    return
                elif kind == "response.failed":
                    error = getattr(getattr(event, "response", None), "error", None)
                    yield Failed(
                        "failed",
                        self._scrub(errors.model_failed(getattr(error, "message", None))),
                        code=getattr(error, "code", None),
                    )
                    return
                elif kind == "error":
                    yield Failed(
                        "error",
                        self._scrub(errors.server_error(getattr(event, "message", None))),
                        code=getattr(event, "code", None),
                    )
                    return
                elif kind in _STATUS_BY_EVENT and _STATUS_BY_EVENT[kind] != last_status:
                    last_status = _STATUS_BY_EVENT[kind]
                    yield Status(last_status)
                # Every other type (including ones newer than this code) is ignored.
        except Exception as exc:  # noqa: BLE001 - a broken stream is an ending, not a crash
            yield self._failure(exc, request.model, streaming=True)
            return
        yield Failed("interrupted", errors.STREAM_ENDED_EARLY)

    def _failure(self, exc: BaseException, model: str, *, streaming: bool) -> Failed:
        status, text, code = errors.describe_exception(
            exc, model, streaming=streaming, server=self.server
        )
        log.warning(
            "llm.error",
            error_type=type(exc).__name__,
            code=code,
            detail=self._scrub(str(exc))[:500],
        )
        return Failed(status, self._scrub(text), code=code)
