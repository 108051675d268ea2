"""Reply events: started, text progress (throttled) and finished, for any observer.

The reply service publishes; the canonical log, and later metrics, a live view or
a stop button, subscribe. Publishing never blocks and never raises, so a slow or
broken subscriber cannot slow down or break a reply:

* each subscription has its own queue; a listener runs in its own task and an
  exception in it is logged and skipped;
* a full queue holds back further progress (and staleness samples) of a reply
  and merges it into that reply's next event of the kind, so no text or sample
  is lost and the queue stays bounded by the replies in flight; lifecycle events
  are always queued;
* a subscription that falls :data:`OVERFLOW` events behind is closed and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.reply import Origin, Outcome
from bot.core.request import Request
from bot.logs import get_logger

log = get_logger(__name__)

#: Events a subscription holds before progress is merged instead of queued.
DEFAULT_MAXSIZE = 256
#: Events a subscription may fall behind before it is closed.
OVERFLOW = 10_000


@dataclass(frozen=True)
class ReplyStarted:
    """A reply was accepted and its model request is being made."""

    reply_id: str
    origin: Origin
    request: Request


@dataclass(frozen=True)
class ReplyProgress:
    """Text that arrived since the reply's previous progress event."""

    reply_id: str
    text: str
    characters: int
    deltas: int


@dataclass(frozen=True)
class ReplyFinished:
    """The reply has ended and its final write landed (or was given up)."""

    reply_id: str
    origin: Origin
    request: Request
    outcome: Outcome
    text: str


@dataclass(frozen=True)
class ReplyShown:
    """A write of the reply's current page landed: how stale the text it showed was.

    ``staleness`` holds, for each delta that became visible with this write, the
    seconds from its arrival to the write's landing.
    """

    reply_id: str
    staleness: tuple[float, ...]
    live: bool


ReplyEvent = ReplyStarted | ReplyProgress | ReplyShown | ReplyFinished
Listener = Callable[[ReplyEvent], Awaitable[None] | None]


class Subscription:
    """One subscriber's queue of events; iterate it with ``async for``."""

    def __init__(self, maxsize: int = DEFAULT_MAXSIZE, name: str = "subscriber") -> None:
        self.name = name
        self._maxsize = maxsize
        self._queue: deque[ReplyEvent] = deque()
        # Progress and staleness merged while the queue was full, by (kind, reply).
        self._held: dict[tuple[type, str], ReplyProgress | ReplyShown] = {}
        self._ready = asyncio.Event()
        self.closed = False

    def offer(self, event: ReplyEvent) -> None:
        """Queue ``event`` without blocking (see the module docstring for the rules)."""
        if self.closed:
            return
        if isinstance(event, ReplyFinished):  # whatever was held goes first, in order
            for kind in (ReplyProgress, ReplyShown):
                held = self._held.pop((kind, event.reply_id), None)
                if held is not None:
                    self._queue.append(held)
        elif isinstance(event, ReplyProgress | ReplyShown):
            key = (type(event), event.reply_id)
            held = self._held.pop(key, None)
            if isinstance(held, ReplyProgress) and isinstance(event, ReplyProgress):
                event = dataclasses.replace(event, text=held.text + event.text)
            elif isinstance(held, ReplyShown) and isinstance(event, ReplyShown):
                event = dataclasses.replace(event, staleness=held.staleness + event.staleness)
            if len(self._queue) >= self._maxsize:
                self._held[key] = event
                return
        if len(self._queue) >= OVERFLOW:
            log.error("bus.subscriber_overflow", subscriber=self.name, queued=len(self._queue))
            self.close()
            return
        self._queue.append(event)
        self._ready.set()

    def close(self) -> None:
        """Stop taking events; iteration ends once the queue is drained."""
        self.closed = True
        self._ready.set()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> ReplyEvent:
        while not self._queue:
            if self.closed:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()


class ReplyBus:
    """Fans reply events out to subscriptions and listener tasks."""

    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []
        self._listeners: list[asyncio.Task[None]] = []

    def subscribe(self, maxsize: int = DEFAULT_MAXSIZE, name: str = "subscriber") -> Subscription:
        """A new subscription; close it when done (``async with`` is not needed)."""
        subscription = Subscription(maxsize, name)
        self._subscriptions.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Close ``subscription`` and forget it."""
        subscription.close()
        with contextlib.suppress(ValueError):
            self._subscriptions.remove(subscription)

    def listen(self, listener: Listener, name: str) -> None:
        """Run ``listener`` for every event in a task of its own."""
        subscription = self.subscribe(name=name)
        task = asyncio.create_task(self._run(listener, subscription), name=f"bus-{name}")
        self._listeners.append(task)

    @staticmethod
    async def _run(listener: Listener, subscription: Subscription) -> None:
        async for event in subscription:
            try:
                result = listener(event)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("bus.listener_failed", listener=subscription.name)

    def publish(self, event: ReplyEvent) -> None:
        """Hand ``event`` to every subscription; never blocks, never raises."""
        for subscription in self._subscriptions:
            subscription.offer(event)

    async def close(self, drain_seconds: float = 5.0) -> None:
        """Close every subscription and let the listeners drain their queues."""
        for subscription in self._subscriptions:
            subscription.close()
        self._subscriptions.clear()
        if self._listeners:
            _, pending = await asyncio.wait(self._listeners, timeout=drain_seconds)
            for task in pending:
                task.cancel()
        self._listeners.clear()
