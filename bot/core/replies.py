"""The reply service: request -> model stream -> relay -> sink, with events on the bus.

Every front starts its replies here. It keeps a registry of the replies in flight,
keyed by reply id (a stop button finds its reply there), publishes each reply's
events (started, throttled text progress, finished) on the :class:`ReplyBus`, and
on shutdown lets replies finish for a grace period before ending the rest
visibly as interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field

import structlog

from bot.core.bus import ReplyBus, ReplyFinished, ReplyProgress, ReplyShown, ReplyStarted
from bot.core.clock import Clock, SystemClock
from bot.core.llm import LLM
from bot.core.pacing import Pacer
from bot.core.relay import Hooks, Layout, Relay
from bot.core.reply import Ending, Origin, Outcome, Sink
from bot.core.request import Request
from bot.logs import get_logger

log = get_logger(__name__)

#: Seconds between a reply's progress events (text is batched in between).
PROGRESS_INTERVAL = 0.25


def new_reply_id() -> str:
    """A short random id that ties a reply's records and events together."""
    return uuid.uuid4().hex[:16]


@dataclass(eq=False)
class Reply:
    """One reply in flight."""

    id: str
    origin: Origin
    request: Request
    relay: Relay
    sink: Sink
    task: asyncio.Task[Outcome] = field(init=False)


class _Progress:
    """Batches a reply's text into progress events at most every PROGRESS_INTERVAL."""

    def __init__(self, reply_id: str, bus: ReplyBus, clock: Clock) -> None:
        self._reply_id = reply_id
        self._bus = bus
        self._clock = clock
        self._pending: list[str] = []
        self._last = clock.now()
        self._characters = 0
        self._deltas = 0

    def __call__(self, text: str) -> None:
        self._pending.append(text)
        self._characters += len(text)
        self._deltas += 1
        if self._clock.now() - self._last >= PROGRESS_INTERVAL:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            text, self._pending = "".join(self._pending), []
            self._bus.publish(ReplyProgress(self._reply_id, text, self._characters, self._deltas))
        self._last = self._clock.now()


class ReplyService:
    """Starts replies, tracks them by id and shuts them down cleanly."""

    def __init__(
        self, llm: LLM, pacer: Pacer, bus: ReplyBus, *, clock: Clock | None = None
    ) -> None:
        self._llm = llm
        self._pacer = pacer
        self._bus = bus
        self._clock = clock or SystemClock()
        self._replies: dict[str, Reply] = {}
        self.accepting = True

    @property
    def active(self) -> int:
        """Replies in flight."""
        return len(self._replies)

    def get(self, reply_id: str) -> Reply | None:
        """The reply in flight with this id, if any."""
        return self._replies.get(reply_id)

    def stop(self, reply_id: str, ending: Ending = "stopped", detail: str | None = None) -> bool:
        """End a reply in flight now, keeping its text; False if it is not running."""
        reply = self._replies.get(reply_id)
        if reply is None:
            return False
        reply.relay.stop(ending, detail)
        return True

    def spawn(
        self,
        request: Request,
        sink: Sink,
        layout: Layout,
        origin: Origin,
        *,
        notes: tuple[str, ...] = (),
        reply_id: str | None = None,
    ) -> Reply:
        """Start one reply into ``sink``; it runs as a tracked task.

        ``notes`` are shown with the reply; ``reply_id`` may be chosen by the front
        when it needs the id before the first write (a stop button carries it).
        """
        reply_id = reply_id or new_reply_id()
        progress = _Progress(reply_id, self._bus, self._clock)
        bus = self._bus

        def shown(staleness: list[float], live: bool) -> None:
            if staleness:
                bus.publish(ReplyShown(reply_id, tuple(staleness), live))

        relay = Relay(
            sink,
            self._pacer,
            layout,
            model=request.model,
            clock=self._clock,
            started_at=self._clock.now(),
            hooks=Hooks(on_text=progress, on_shown=shown),
            notes=notes,
        )
        reply = Reply(reply_id, origin, request, relay, sink)
        self._replies[reply_id] = reply
        reply.task = asyncio.create_task(self._run(reply, progress), name=f"reply-{reply_id}")
        return reply

    async def _run(self, reply: Reply, progress: _Progress) -> Outcome:
        request = reply.request
        with structlog.contextvars.bound_contextvars(session_id=reply.id):
            self._bus.publish(ReplyStarted(reply.id, reply.origin, request))
            try:
                return await reply.relay.run(self._llm.stream(request))
            finally:
                self._replies.pop(reply.id, None)
                # Interaction buckets are one per reply: drop the idle ones.
                self._pacer.forget_idle()
                progress.flush()
                self._bus.publish(
                    ReplyFinished(
                        reply.id, reply.origin, request, reply.relay.outcome(), reply.relay.text()
                    )
                )

    async def shutdown(self, grace: float) -> None:
        """Stop accepting, give replies ``grace`` seconds, then interrupt the rest."""
        self.accepting = False
        tasks = {reply.task for reply in self._replies.values()}
        if not tasks:
            return
        log.info("replies.draining", active=len(tasks), grace_s=grace)
        _, pending = await asyncio.wait(tasks, timeout=grace)
        if pending:
            log.warning("replies.interrupting", active=len(pending))
            for reply in list(self._replies.values()):
                reply.relay.stop("shutdown")
            await asyncio.wait(pending, timeout=15.0)
        for task in pending:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
