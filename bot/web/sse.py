"""Server-Sent Events on an aiohttp response: one JSON object per event."""

from __future__ import annotations

import json
from collections.abc import Mapping

from aiohttp import web

#: A comment line: keeps proxies and browsers from timing out an idle stream.
KEEP_ALIVE = b": keep-alive\n\n"
#: Seconds of silence after which a keep-alive comment is sent.
KEEP_ALIVE_EVERY = 15.0


def encode(name: str, data: Mapping[str, object]) -> bytes:
    """``event: <name>`` and its data as one line of compact JSON (JSON escapes newlines)."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {name}\ndata: {body}\n\n".encode()


async def open_stream(request: web.Request, status: int = 200) -> web.StreamResponse:
    """Start an event stream (no caching, no proxy buffering)."""
    response = web.StreamResponse(
        status=status,
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        },
    )
    await response.prepare(request)
    return response


async def error_stream(
    request: web.Request, status: int, message: str, headers: Mapping[str, str] | None = None
) -> web.StreamResponse:
    """A request refused before anything streamed: its status, then one ``error`` event."""
    response = web.StreamResponse(
        status=status,
        headers={"Content-Type": "text/event-stream; charset=utf-8", **(headers or {})},
    )
    await response.prepare(request)
    await response.write(encode("error", {"ending": "refused", "message": message}))
    await response.write_eof()
    return response
