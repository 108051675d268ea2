"""The relay: model events in, paced message writes out.

It knows nothing of discord.py. It writes through a :class:`Sink` (send a new
message, edit message N) and takes a slot from the :class:`~bot.core.pacing.Pacer`
before every write. One writer task per reply means at most one write in flight,
and because each write renders the state *at the moment its slot arrives*, the
newest snapshot always wins and intermediate ones are never queued.

Cost per delta is constant (an append and two counters); all string work happens
once per write and is bounded by one message's length.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from bot.core.clock import Clock, SystemClock
from bot.core.llm import (
    Failed,
    Finished,
    Started,
    Status,
    StreamEvent,
    TextDelta,
    Usage,
    incomplete_reason_text,
)
from bot.core.pacing import FINAL, FIRST, PROGRESS, Pacer
from bot.discord_front import layout as render
from bot.discord_front import limits
from bot.discord_front.layout import Ending
from bot.discord_front.split import FENCE_RESERVE, discord_len, take_chunk
from bot.logs import get_logger

log = get_logger(__name__)

# Consecutive failures of one write before the relay gives up on the reply.
MAX_WRITE_FAILURES = 3
# How long the final writes may take once a reply was interrupted by shutdown.
SHUTDOWN_FLUSH_SECONDS = 8.0


class SinkGoneError(Exception):
    """The reply's message is gone (deleted, or the interaction expired)."""


class Sink(Protocol):
    """Where a reply is written: a channel message or an interaction response."""

    @property
    def bucket(self) -> str:
        """The pacing bucket (``channel:<id>`` or ``webhook:<token hash>``)."""
        ...

    @property
    def existing(self) -> int:
        """Messages that exist before the first write (1 for a deferred interaction)."""
        ...

    async def send(self, content: str) -> None:
        """Create the next message of the reply."""
        ...

    async def edit(self, index: int, content: str) -> None:
        """Replace the content of message ``index`` of the reply."""
        ...


@dataclass(frozen=True)
class Outcome:
    """How a reply ended, with the numbers for the canonical log record."""

    ending: Ending
    detail: str | None
    response_id: str | None
    first_token: float | None
    total: float
    usage: Usage | None
    deltas: int
    characters: int
    writes: int
    messages: int
    write_errors: int
    final_written: bool


class Relay:
    """Streams one reply into one or more messages through a sink."""

    def __init__(
        self,
        sink: Sink,
        pacer: Pacer,
        *,
        model: str,
        clock: Clock | None = None,
        started_at: float | None = None,
        limit: int = limits.MESSAGE_LIMIT,
    ) -> None:
        self._sink = sink
        self._pacer = pacer
        self._model = model
        self._clock = clock or SystemClock()
        self._t0 = self._clock.now() if started_at is None else started_at
        self._limit = limit

        self._sealed: list[str] = []  # final content of every message before the current one
        self._written: list[str | None] = [None] * sink.existing
        self._settled = 0  # leading sealed messages already written in their final form
        self._shown = 0  # body characters the current message showed in its last write
        self._rendered = 0  # body characters of the content _current() returned last
        self._pieces: list[str] = []  # the current message's text, not yet joined
        self._text: list[str] = []  # every delta, for the log when content logging is on
        self._status: str | None = None
        self._deltas = 0
        self._characters = 0
        self._first_token: float | None = None
        self._total: float | None = None

        self._done = False
        self._ending: Ending = "completed"
        self._detail: str | None = None
        self._usage: Usage | None = None
        self._response_id: str | None = None

        self._writes = 0
        self._write_errors = 0
        self._gone = False
        self._final_written = False
        self._dirty = asyncio.Event()
        self._consumer: asyncio.Task[None] | None = None
        self._stop_ending: Ending | None = None

    # -- reading the stream -------------------------------------------------------

    def stop(self, ending: Ending = "stopped") -> None:
        """End the reply now (a user's stop, or shutdown); partial text is kept."""
        if self._done or self._stop_ending is not None:
            return
        self._stop_ending = ending
        if self._consumer is not None:
            self._consumer.cancel()

    async def run(self, events: AsyncIterator[StreamEvent]) -> Outcome:
        """Relay ``events`` until the reply has ended and its final write landed."""
        writer = asyncio.create_task(self._write_loop(), name="relay-writer")
        self._consumer = asyncio.create_task(self._consume(events), name="relay-consumer")
        try:
            with contextlib.suppress(asyncio.CancelledError):
                await self._consumer
            # If run() itself was cancelled, suppress() swallowed it: re-raised below.
            cancelled = self._stop_ending is None and self._consumer.cancelled()
            if cancelled:
                self._stop_ending = "shutdown"
            self._end()
            if cancelled:
                await self._flush(writer, SHUTDOWN_FLUSH_SECONDS)
                raise asyncio.CancelledError
            await writer
        except asyncio.CancelledError:
            self._stop_ending = self._stop_ending or "shutdown"
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
                self._apply(event)
                if self._done or self._gone:
                    return
        finally:
            # Close the model stream too when the reply stops early or is cancelled.
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()

    def _apply(self, event: StreamEvent) -> None:
        if isinstance(event, TextDelta):
            if self._first_token is None:
                self._first_token = self._clock.now() - self._t0
                self._status = None
            self._pieces.append(event.text)
            self._text.append(event.text)
            self._deltas += 1
            self._characters += len(event.text)
            self._dirty.set()
        elif isinstance(event, Status):
            if self._first_token is None:
                self._status = event.text
                self._dirty.set()
        elif isinstance(event, Started):
            self._response_id = event.response_id or None
        elif isinstance(event, Finished):
            self._usage = event.usage
            self._end(event.status, None if event.status == "completed" else event.reason)
        elif isinstance(event, Failed):
            self._end(event.status, event.message)

    def _end(self, ending: Ending | None = None, detail: str | None = None) -> None:
        if self._done:
            return
        if self._stop_ending is not None:
            ending, detail = self._stop_ending, None
        elif ending is None:
            ending, detail = "interrupted", "The model stream ended before the reply was complete."
        if ending == "incomplete":
            detail = incomplete_reason_text(detail)
        self._ending, self._detail = ending, detail
        self._total = self._clock.now() - self._t0
        self._done = True
        self._dirty.set()

    # -- layout -------------------------------------------------------------------

    def _tail(self) -> str:
        usage = self._usage
        stats = render.Stats(
            model=self._model,
            first_token=self._first_token,
            total=self._total if self._total is not None else self._clock.now() - self._t0,
            output_tokens=usage.output_tokens if usage else self._deltas,
            exact_tokens=usage is not None,
        )
        tail = render.final_tail(self._ending, self._detail, stats)
        if self._ending == "completed" and self._characters == 0:
            tail = "*The model returned an empty reply.*\n" + tail
        return tail

    def _current(self) -> str | None:
        """Seal full messages; return the content the current message should have."""
        body = "".join(self._pieces)
        tail = self._tail() if self._done else ""
        # Room for the body: the limit less the lines under it and a fence close.
        decoration = discord_len(tail) + 1 if self._done else render.LIVE_RESERVE
        room = self._limit - decoration - FENCE_RESERVE
        while discord_len(body) > room:
            # Cut after what the message already shows, so no shown text vanishes.
            head, body = take_chunk(body, room, keep=self._shown)
            self._sealed.append(head)
            self._shown = 0
        self._pieces = [body] if body else []
        self._rendered = len(body)
        if self._done:
            return render.final(body, tail)
        if not body.strip() and self._status is None:
            return None  # nothing to show yet: the typing indicator or "thinking" covers it
        return render.live(body, self._deltas, self._status)

    def _next_write(self) -> tuple[int, str] | None:
        current = self._current()
        sealed, written = self._sealed, self._written
        while (
            self._settled < len(sealed)
            and self._settled < len(written)
            and written[self._settled] == sealed[self._settled]
        ):
            self._settled += 1
        if self._settled < len(sealed):
            return self._settled, sealed[self._settled]
        index = len(sealed)
        if current is None:
            return None
        if index < len(written) and written[index] == current:
            return None
        return index, current

    # -- writing ------------------------------------------------------------------

    async def _write_loop(self) -> None:
        failures = 0
        while not self._gone:
            await self._dirty.wait()
            self._dirty.clear()
            if self._next_write() is None:
                if self._done:
                    self._final_written = True
                    return
                continue
            # The priority is read when the slot is granted: a reply whose stream
            # ended while it waited goes ahead as a final write.
            await self._pacer.acquire(self._sink.bucket, self._priority)
            target = self._next_write()  # the newest snapshot, rendered now
            if target is None:
                self._dirty.set()
                continue
            try:
                await self._write(*target)
                failures = 0
            except SinkGoneError:
                self._gone = True
                self.stop("stopped")
                return
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
                    log.error("relay.gave_up", writes=self._writes)
                    return
            self._dirty.set()

    def _priority(self) -> int:
        if self._done:
            return FINAL
        return FIRST if self._writes == 0 else PROGRESS

    async def _write(self, index: int, content: str) -> None:
        if index < len(self._written):
            await self._sink.edit(index, content)
            self._written[index] = content
        else:
            await self._sink.send(content)
            self._written.append(content)
        self._writes += 1
        if index == len(self._sealed):
            self._shown = self._rendered

    def text(self) -> str:
        """The reply's text as the model sent it."""
        return "".join(self._text)

    def outcome(self) -> Outcome:
        """The numbers so far (complete once :meth:`run` has returned)."""
        return Outcome(
            ending=self._ending,
            detail=self._detail,
            response_id=self._response_id,
            first_token=self._first_token,
            total=self._total if self._total is not None else self._clock.now() - self._t0,
            usage=self._usage,
            deltas=self._deltas,
            characters=self._characters,
            writes=self._writes,
            messages=len(self._written),
            write_errors=self._write_errors,
            final_written=self._final_written,
        )
