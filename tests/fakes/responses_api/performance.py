"""Plays one ``Script`` as the SSE event sequence of one streamed response.

``_Writer`` puts events on the wire (``event:`` + compact ``data:`` + blank line),
numbers them (unless ``Script.sequence_numbers`` is off) and records timings in the
``StreamRecord``; ``_Performance`` decides which events, with what payloads, in what
order and when, and how the stream ends.

With ``Script.llama_cpp`` the events take llama-server's shapes, as built by
``to_json_oaicompat_resp`` (partials) and ``to_json_oaicompat_resp_stream`` (final) in
ggml-org/llama.cpp ``tools/server/server-task.cpp``: ``response.created`` and
``response.in_progress`` come with the first token and hold only ``id``, ``object`` and
``status``; item events carry ``item_id`` but no ``output_index``/``content_index``/
``logprobs``; ``response.completed`` holds ``id, object, created_at, status, model,
output, usage`` with a bare usage (no ``*_details``).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.responses_api.records import Received, StreamRecord, TextPart
from tests.fakes.responses_api.script import PAUSE, Script, _new_id

#: Input tokens charged per image (OpenAI's base cost of a low-detail image).
IMAGE_INPUT_TOKENS = 85

if TYPE_CHECKING:
    from tests.fakes.responses_api.server import FakeResponses


class _ClientClosedError(Exception):
    """The client went away while we were writing."""


class _Writer:
    """Writes SSE events, numbers them and records timings."""

    def __init__(self, fake: FakeResponses, resp: web.StreamResponse, record: StreamRecord) -> None:
        self.fake = fake
        self.resp = resp
        self.record = record
        self.seq = 0
        self.numbered = record.script.sequence_numbers is not False

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
        if self.numbered:
            data = {"type": type_, "sequence_number": self.seq, **event}
            self.seq += 1
        else:
            data = {"type": type_, **event}
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
        self.lcpp = script.llama_cpp

    def response(
        self,
        status: str,
        output: list[dict[str, Any]] | None = None,
        *,
        usage: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
        incomplete_reason: str | None = None,
        model: str | None = None,
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
            "model": self.model if model is None else model,
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
        usage: dict[str, Any] = {
            "input_tokens": input_tokens(self.received),
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": n_deltas,
            "output_tokens_details": {"reasoning_tokens": 0},
        }
        if self.lcpp:
            del usage["input_tokens_details"], usage["output_tokens_details"]
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
        if self.lcpp:
            return {"item_id": self.msg_id}
        return {"item_id": self.msg_id, "output_index": self.output_index, "content_index": 0}

    def at_index(self) -> dict[str, Any]:
        """``output_index`` of an item event (llama.cpp sends none)."""
        return {} if self.lcpp else {"output_index": self.output_index}

    def created(self, type_: str = "response.created") -> dict[str, Any]:
        """``response.created`` / ``response.in_progress``."""
        if self.lcpp:  # llama.cpp: the bare minimum, no model
            response = {"id": self.w.record.response_id, "object": "response"}
            return {"type": type_, "response": {**response, "status": "in_progress"}}
        model = None if self.script.model_in_created else ""
        return {"type": type_, "response": self.response("in_progress", model=model)}

    def completed(self, output: list[dict[str, Any]], n_deltas: int) -> dict[str, Any]:
        """The ``response`` of ``response.completed``."""
        if not self.lcpp:
            return self.response("completed", output, usage=self.usage(n_deltas))
        return {
            "id": self.w.record.response_id,
            "object": "response",
            "created_at": int(time.time()),
            "status": "completed",
            "model": self.model,
            "output": output,
            "usage": self.usage(n_deltas),
        }

    def max_tokens(self) -> int | None:
        """The request's ``max_output_tokens`` when the script honours it, else ``None``."""
        script = self.script
        if not (script.cut_at_max_tokens or script.cut_at_max_tokens_as_completed):
            return None
        limit = self.body.get("max_output_tokens")
        if isinstance(limit, bool) or not isinstance(limit, int):
            return None
        return max(limit, 0)

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
        if not self.lcpp:
            await w.send(self.created())
            await w.send(self.created("response.in_progress"), notify=True)
            await self.send_extras(script.before_text)
        await _sleep_until(self.received.t + script.ttft)
        if self.lcpp:  # llama-server announces the response with its first token
            await w.send(self.created())
            await w.send(self.created("response.in_progress"), notify=True)
            await self.send_extras(script.before_text)

        await w.send(
            {
                "type": "response.output_item.added",
                **self.at_index(),
                "item": self.message("in_progress", []),
            }
        )
        part = {"type": "output_text", "text": ""} if self.lcpp else self.part("")
        await w.send({"type": "response.content_part.added", **self.loc(), "part": part})
        pieces = script.pieces()
        limit = self.max_tokens()
        cut = limit is not None and len(pieces) > limit
        if limit is not None:
            pieces = pieces[:limit]
        first: float | None = None
        delta_type = "response.refusal.delta" if self.is_refusal else "response.output_text.delta"
        for i, piece in enumerate(pieces):
            if i > 0 and script.rate is not None and first is not None:
                await _sleep_until(first + i / script.rate)
            await self.send_extras(script.between.get(i, []))
            event: dict[str, Any] = {"type": delta_type, **self.loc(), "delta": piece}
            if not self.is_refusal and not self.lcpp:
                event["logprobs"] = []
            await w.delta(event, piece)
            if first is None:
                first = w.record.delta_times[-1][0]
            if script.repeat_created_after == i + 1:
                await w.send(self.created(), notify=True)
        for i in sorted(k for k in script.between if k >= len(pieces)):
            await self.send_extras(script.between[i])
        ending = script.ending
        if cut and ending in {"completed", "done_marker"} and script.cut_at_max_tokens:
            ending = "incomplete"
        await self.end(request, len(pieces), ending)

    async def close_content(self, item_status: str) -> dict[str, Any]:
        w, text = self.w, self.w.record.text
        if self.is_refusal:
            await w.send({"type": "response.refusal.done", **self.loc(), "refusal": text})
        elif self.lcpp:
            await w.send({"type": "response.output_text.done", **self.loc(), "text": text})
        else:
            await w.send(
                {"type": "response.output_text.done", **self.loc(), "text": text, "logprobs": []}
            )
        await w.send({"type": "response.content_part.done", **self.loc(), "part": self.part(text)})
        item = self.message(item_status, [self.part(text)])
        await w.send({"type": "response.output_item.done", **self.at_index(), "item": item})
        return item

    async def end(self, request: web.Request, n_deltas: int, ending: str) -> None:
        script, w = self.script, self.w
        partial = self.message("incomplete", [self.part(w.record.text)])
        if ending in {"completed", "done_marker"}:
            item = await self.close_content("completed")
            await w.send(
                {
                    "type": "response.completed",
                    "response": self.completed([*self.extra_items, item], n_deltas),
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


def input_tokens(received: Received) -> int:
    """The fake's input token count: one per word of every text part, plus a fixed cost
    (``IMAGE_INPUT_TOKENS``) per image. ``instructions`` are not counted."""
    words = sum(
        len(part.text.split())
        for message in received.messages
        for part in message.parts
        if isinstance(part, TextPart)
    )
    return words + IMAGE_INPUT_TOKENS * len(received.images)


async def _sleep_until(deadline: float) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)
