"""``GET /api/live``: the replies in flight, each growing as its text arrives.

One :class:`LiveFeed` listens on the reply bus and keeps what a newcomer needs
(the replies in flight with their text so far, and the last finished ones). Each
viewer gets that as a ``snapshot`` event, then ``started``, ``text`` and
``finished`` events, in order. A viewer that falls too far behind is dropped (its
browser reconnects and gets a fresh snapshot), so a slow viewer costs nothing to
the replies or to other viewers.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from aiohttp import web

from bot.core.bus import ReplyBus, ReplyEvent, ReplyFinished, ReplyProgress, ReplyStarted
from bot.web import sse
from bot.web.chat import figures

#: Finished replies kept for a newcomer's snapshot.
RECENT = 20
#: Events a viewer may have waiting before it is dropped.
VIEWER_QUEUE = 2000


@dataclass
class LiveReply:
    """What the live view shows of one reply."""

    id: str
    trigger: str
    where: Mapping[str, object]
    model: str
    prompt: str
    started_at: float
    text: list[str] = field(default_factory=list)
    final: dict[str, object] | None = None

    def as_json(self) -> dict[str, object]:
        """The reply as the page reads it."""
        return {
            "id": self.id,
            "trigger": self.trigger,
            "where": self.where,
            "model": self.model,
            "prompt": self.prompt,
            "started_at": self.started_at,
            "text": "".join(self.text),
            "final": self.final,
        }


class LiveFeed:
    """The state every viewer starts from, and the fan-out of what follows."""

    def __init__(self) -> None:
        self.in_flight: dict[str, LiveReply] = {}
        self.recent: deque[LiveReply] = deque(maxlen=RECENT)
        self._viewers: set[asyncio.Queue[bytes | None]] = set()

    def attach(self, bus: ReplyBus) -> None:
        """Start following the bus."""
        bus.listen(self.observe, "live-view")

    def observe(self, event: ReplyEvent) -> None:
        """Apply one reply event and pass it on to every viewer."""
        if isinstance(event, ReplyStarted):
            where = {k: v for k, v in event.origin.where.items() if k != "remote"}
            reply = LiveReply(
                event.reply_id,
                event.origin.trigger,
                where,
                event.request.model,
                event.request.prompt,
                time.time(),
            )
            self.in_flight[reply.id] = reply
            self._send(sse.encode("started", reply.as_json()))
        elif isinstance(event, ReplyProgress):
            live = self.in_flight.get(event.reply_id)
            if live is not None:
                live.text.append(event.text)
                self._send(sse.encode("text", {"id": event.reply_id, "text": event.text}))
        elif isinstance(event, ReplyFinished):
            live = self.in_flight.pop(event.reply_id, None)
            if live is not None:
                # The finished text is the whole text: it replaces what progress built.
                live.text = [event.text]
                live.final = {**figures(event.outcome), "detail": event.outcome.detail}
                self.recent.append(live)
                self._send(sse.encode("finished", live.as_json()))

    def snapshot(self) -> bytes:
        """The ``snapshot`` event: replies in flight and the recently finished."""
        return sse.encode(
            "snapshot",
            {
                "in_flight": [r.as_json() for r in self.in_flight.values()],
                "recent": [r.as_json() for r in self.recent],
            },
        )

    def _send(self, data: bytes) -> None:
        for queue in list(self._viewers):
            try:
                queue.put_nowait(data)
            except asyncio.QueueFull:
                self._viewers.discard(queue)
                with contextlib.suppress(asyncio.QueueFull):
                    queue.get_nowait()
                    queue.put_nowait(None)  # tell the viewer's stream to end

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Stream the snapshot, then the events, until the viewer leaves."""
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(VIEWER_QUEUE)
        response = await sse.open_stream(request)
        # The snapshot and the subscription are taken in the same step: nothing falls between.
        self._viewers.add(queue)
        queue.put_nowait(self.snapshot())
        try:
            while True:
                try:
                    data = await asyncio.wait_for(queue.get(), sse.KEEP_ALIVE_EVERY)
                except TimeoutError:
                    data = sse.KEEP_ALIVE
                if data is None:
                    break
                await response.write(data)
        except (ConnectionError, RuntimeError):
            pass  # the viewer went away
        finally:
            self._viewers.discard(queue)
        return response

    def close(self) -> None:
        """End every viewer's stream (the server is stopping)."""
        for queue in self._viewers:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)
        self._viewers.clear()

    @property
    def viewers(self) -> int:
        """Viewers connected now."""
        return len(self._viewers)
