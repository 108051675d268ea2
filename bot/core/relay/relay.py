"""The relay: model events in, paced page writes out.

It writes through a :class:`~bot.core.reply.Sink` (send a new page, edit page N)
and takes a slot from the :class:`~bot.core.pacing.Pacer` before every write.
One writer task per reply means at most one write in flight, and because each
write renders the state *at the moment its slot arrives*, the newest snapshot
always wins and intermediate ones are never queued.

Cost per delta is constant (an append and two counters); all string work happens
once per write and is bounded by one page's length.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from bot.core.clock import Clock, SystemClock
from bot.core.events import StreamEvent
from bot.core.pacing import FINAL, FIRST, PROGRESS, Pacer
from bot.core.relay.pages import Layout, Pages, Write
from bot.core.relay.state import ReplyState
from bot.core.reply import Ending, Outcome, Sink, SinkGoneError, SinkMovedError
from bot.logs import get_logger

log = get_logger("bot.core.relay")

# Consecutive failures of one write before the relay gives up on the reply.
MAX_WRITE_FAILURES = 3
# How long the final writes may take once a reply was interrupted by shutdown.
SHUTDOWN_FLUSH_SECONDS = 8.0


@dataclass(frozen=True)
class Hooks:
    """Who hears of a reply's progress: each delta's text, and each landed write's staleness."""

    on_text: Callable[[str], None] | None = None
    on_shown: Callable[[list[float], bool], None] | None = None


class Relay:
    """Streams one reply into one or more pages through a sink."""

    def __init__(
        self,
        sink: Sink,
        pacer: Pacer,
        layout: Layout,
        *,
        model: str,
        clock: Clock | None = None,
        started_at: float | None = None,
        hooks: Hooks | None = None,
        notes: tuple[str, ...] = (),
    ) -> None:
        self._sink = sink
        self._pacer = pacer
        self._clock = clock or SystemClock()
        started = self._clock.now() if started_at is None else started_at
        hooks = hooks or Hooks()
        self.state = ReplyState(model, self._clock, started, hooks.on_text, notes)
        self._pages = Pages(layout, sink.existing)
        self._on_shown = hooks.on_shown
        self._writes = 0
        self._write_errors = 0
        self._gone = False
        self._final_written = False
        self._dirty = asyncio.Event()
        self._unpaced = asyncio.Event()  # a write outside the pacer became possible
        self._consumer: asyncio.Task[None] | None = None
        self._held: str | None = None  # the bucket whose slot the next write holds
        self._landed: float | None = None  # when Discord accepted the last write

    # -- reading the stream -------------------------------------------------------

    def stop(self, ending: Ending = "stopped", detail: str | None = None) -> None:
        """End the reply now (a user's stop, or shutdown); partial text is kept.

        ``detail`` says more for people (for a stop: "by <name>").
        """
        if self.state.done or self.state.stop_ending is not None:
            return
        self.state.stop_ending = ending
        self.state.stop_detail = detail
        if self._consumer is not None:
            self._consumer.cancel()

    def wake(self) -> None:
        """The sink can now write outside the pacer: do not wait for a slot."""
        self._unpaced.set()
        self._dirty.set()

    async def run(self, events: AsyncIterator[StreamEvent]) -> Outcome:
        """Relay ``events`` until the reply has ended and its final write landed."""
        state = self.state
        writer = asyncio.create_task(self._write_loop(), name="relay-writer")
        self._consumer = asyncio.create_task(self._consume(events), name="relay-consumer")
        try:
            with contextlib.suppress(asyncio.CancelledError):
                await self._consumer
            # If run() itself was cancelled, suppress() swallowed it: re-raised below.
            cancelled = state.stop_ending is None and self._consumer.cancelled()
            if cancelled:
                state.stop_ending = "shutdown"
            self._end()
            if cancelled:
                await self._flush(writer, SHUTDOWN_FLUSH_SECONDS)
                raise asyncio.CancelledError
            await writer
        except asyncio.CancelledError:
            state.stop_ending = state.stop_ending or "shutdown"
            self._end()
            self._consumer.cancel()
            await self._flush(writer, SHUTDOWN_FLUSH_SECONDS)
            raise
        return self.outcome()

    async def _flush(self, writer: asyncio.Task[None], seconds: float) -> None:
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(asyncio.shield(writer), seconds)
        writer.cancel()

    async def _consume(self, events: AsyncIterator[StreamEvent]) -> None:
        try:
            async for event in events:
                if self.state.apply(event):
                    self._dirty.set()
                if self.state.done or self._gone:
                    return
        finally:
            # Close the model stream too when the reply stops early or is cancelled.
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()

    def _end(self) -> None:
        self.state.end()
        self._dirty.set()

    # -- writing ------------------------------------------------------------------

    async def _write_loop(self) -> None:
        failures = 0
        state, pages = self.state, self._pages
        while not self._gone:
            await self._dirty.wait()
            self._dirty.clear()
            note = None if state.done else self._sink.must_seal(pages.current_index)
            if note is not None:  # the page will soon be closed to edits: finish it now
                pages.cut(state, note)
            if pages.next_write(state) is None:
                if state.done:
                    self._final_written = True
                    return
                continue
            if not await self._slot(pages.next_write(state)):
                self._dirty.set()
                continue
            held, self._held = self._held, None
            try:
                failures = await self._write_next(failures)
            finally:
                if held is not None:  # the bucket's next write may go once this one is done
                    self._pacer.release(held, self._landed)
            if failures < 0:
                return
            self._dirty.set()

    async def _write_next(self, failures: int) -> int:
        """Write the newest snapshot; the consecutive failures after it (-1: stop writing)."""
        state, pages = self.state, self._pages
        self._landed = None
        target = pages.next_write(state)  # the newest snapshot, rendered now
        if target is None:
            return failures
        try:
            await self._write(target)
            self._landed = self._sink.landed()
        except SinkMovedError as exc:  # this page is closed to edits: go on in new ones
            if pages.is_current(target.index):
                pages.cut(state, exc.note, shown_only=True)
        except SinkGoneError as exc:
            # Nowhere to write: stop now, which also closes the model stream.
            log.warning("reply.unwritable", bucket=self._sink.bucket, cause=str(exc)[:300])
            self._gone = True
            self.stop("stopped", str(exc)[:300])
            return -1
        except Exception as exc:  # noqa: BLE001 - a failed write is retried, then given up
            failures += 1
            self._write_errors += 1
            log.warning(
                "relay.write_failed",
                error_type=type(exc).__name__,
                error=str(exc)[:300],
                attempt=failures,
            )
            if failures >= MAX_WRITE_FAILURES:
                log.error("relay.gave_up", writes=self._writes, bucket=self._sink.bucket)
                self.stop("interrupted", "The reply could not be written.")
                return -1
            return failures
        return 0

    async def _slot(self, target: Write | None) -> bool:
        """Wait for a write slot; False when an unpaced write became possible meanwhile."""
        if target is not None and self._sink.unpaced(target.index):
            return True
        key = self._sink.bucket
        if self._pacer.try_acquire(key, self._priority()):
            self._held = key
            return True  # the bucket is idle: no waiting, no tasks
        self._unpaced.clear()
        # The priority is read when the slot is granted: a reply whose stream
        # ended while it waited goes ahead as a final write.
        acquire = asyncio.ensure_future(self._pacer.acquire(key, self._priority))
        woken = asyncio.ensure_future(self._unpaced.wait())
        try:
            await asyncio.wait({acquire, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            if not acquire.done():
                acquire.cancel()
        try:
            await acquire  # granted, or cancelled above
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the writer itself is being cancelled
            return False
        self._held = key
        return True

    def _priority(self) -> int:
        if self.state.done:
            return FINAL
        return FIRST if self._writes == 0 else PROGRESS

    async def _write(self, write: Write) -> None:
        index, content, live = write.index, write.content, write.live
        if self._pages.is_new(index):
            await self._sink.send(content, live=live, attachment=write.attachment)
        else:
            await self._sink.edit(index, content, live=live, attachment=write.attachment)
        upto = self._pages.shown_upto(index)
        self._pages.record(index, content)
        if self._on_shown is not None:
            # A full page shows the text it holds (and earlier pages theirs); the current
            # page, once landed, shows everything rendered so far.
            landed = self._sink.landed()
            at = self._clock.now() if landed is None else landed
            self._on_shown(self.state.shown(at, upto), live)
        self._writes += 1

    def text(self) -> str:
        """The reply's text as the model sent it."""
        return self.state.text()

    def outcome(self) -> Outcome:
        """The numbers so far (complete once :meth:`run` has returned)."""
        state = self.state
        return Outcome(
            ending=state.ending,
            detail=state.detail,
            response_id=state.response_id,
            first_token=state.first_token,
            total=state.elapsed(),
            usage=state.usage,
            deltas=state.deltas,
            characters=state.characters,
            writes=self._writes,
            messages=self._pages.count,
            write_errors=self._write_errors,
            final_written=self._final_written,
            rate_limited=self._sink.rate_limited(),
            model=state.model,
            code=state.code,
        )
