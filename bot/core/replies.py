"""Runs reply sessions: request -> model stream -> relay -> sink -> log.

It also tracks the replies in flight, so that shutdown can let them finish for a
short grace period and then end the rest visibly as interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

import structlog

from bot.core import reply_log as session
from bot.core.clock import Clock, SystemClock
from bot.core.llm import LLM, Request
from bot.core.pacing import Pacer
from bot.core.relay.relay import Outcome, Relay, Sink
from bot.core.reply_log import SessionInfo
from bot.discord_front.monitor import RateLimitMonitor
from bot.logs import get_logger

log = get_logger(__name__)


class ReplyService:
    """Starts reply sessions and shuts them down cleanly."""

    def __init__(
        self,
        llm: LLM,
        pacer: Pacer,
        monitor: RateLimitMonitor,
        *,
        log_content: bool = False,
        clock: Clock | None = None,
    ) -> None:
        self._llm = llm
        self._pacer = pacer
        self._monitor = monitor
        self._log_content = log_content
        self._clock = clock or SystemClock()
        self._active: set[Relay] = set()
        self._tasks: set[asyncio.Task[Outcome]] = set()
        self.accepting = True

    @property
    def active(self) -> int:
        """Replies in flight."""
        return len(self._active)

    async def reply(self, request: Request, sink: Sink, info: SessionInfo) -> Outcome:
        """Stream one reply into ``sink`` and log the session."""
        started_at = self._clock.now()
        info = dataclasses.replace(info, session_id=SessionInfo.new_id())
        relay = Relay(
            sink, self._pacer, model=request.model, clock=self._clock, started_at=started_at
        )
        rate_limited_before = self._monitor.count(info.bucket)
        self._active.add(relay)
        with structlog.contextvars.bound_contextvars(session_id=info.session_id):
            session.started(info, log_content=self._log_content)
            try:
                outcome = await relay.run(self._llm.stream(request))
            finally:
                self._active.discard(relay)
                # Interaction buckets are one per reply: drop the idle ones.
                self._pacer.forget_idle()
                session.finished(
                    info,
                    relay.outcome(),
                    rate_limited=self._monitor.count(info.bucket) - rate_limited_before,
                    reply_text=relay.text() if self._log_content else None,
                )
        return outcome

    def spawn(self, request: Request, sink: Sink, info: SessionInfo) -> asyncio.Task[Outcome]:
        """Run :meth:`reply` as a tracked task."""
        task = asyncio.create_task(self.reply(request, sink, info), name="reply")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def shutdown(self, grace: float) -> None:
        """Stop accepting, give replies ``grace`` seconds, then interrupt the rest."""
        self.accepting = False
        tasks = set(self._tasks)
        if not tasks:
            return
        log.info("replies.draining", active=len(tasks), grace_s=grace)
        _, pending = await asyncio.wait(tasks, timeout=grace)
        if pending:
            log.warning("replies.interrupting", active=len(pending))
            for relay in list(self._active):
                relay.stop("shutdown")
            await asyncio.wait(pending, timeout=15.0)
        for task in pending:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
