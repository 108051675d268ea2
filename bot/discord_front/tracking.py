"""Keeping track of the bot's replies: in memory for conversations, in the store for crashes.

A reply is recorded when it starts (where it is written, and the interaction token
while it can be used), each message as it is created, and it is forgotten by the
store once its final write landed. What the store still holds at start-up was
left unfinished by a crash (see :mod:`bot.discord_front.recovery`). Store writes
are queued in order on a background task: a reply never waits for the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

from bot.core.conversation import Turn
from bot.core.storage import InFlight, Store
from bot.discord_front.memory import Memory
from bot.logs import get_logger

log = get_logger(__name__)

#: Discord keeps an interaction token usable for 15 minutes.
TOKEN_LIFETIME = 15 * 60.0


class Tracker:
    """Records replies in memory at once and in the store in the background."""

    def __init__(self, memory: Memory, store: Store) -> None:
        self.memory = memory
        self._store = store
        self._queue: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    def _later(self, write: Callable[[], Awaitable[None]]) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="reply-tracking")
        self._queue.put_nowait(write)

    async def _write_all(self) -> None:
        while True:
            write = await self._queue.get()
            try:
                await write()
            except Exception:
                log.exception("tracking.store_write_failed")
            finally:
                self._queue.task_done()

    def started(
        self,
        reply_id: str,
        channel_id: int,
        *,
        question_id: int | None,
        prompt: Turn | None = None,
        token: str | None = None,
    ) -> None:
        """A reply is about to be written in ``channel_id`` (through ``token``, if given)."""
        self.memory.reply_started(reply_id, channel_id, question_id, prompt)
        expires = time.time() + TOKEN_LIFETIME if token else None
        record = InFlight(reply_id, str(channel_id), token, expires)
        self._later(lambda: self._store.reply_started(record))

    def message(self, reply_id: str, message_id: int) -> None:
        """The reply created a message."""
        self.memory.reply_message(reply_id, message_id)
        self._later(lambda: self._store.reply_message(reply_id, str(message_id)))

    def finished(self, reply_id: str, text: str, *, final_written: bool) -> None:
        """The reply ended; the store forgets it once its final write landed."""
        self.memory.reply_finished(reply_id, text)
        if final_written:
            self._later(lambda: self._store.reply_done(reply_id))

    async def flush(self, seconds: float = 5.0) -> None:
        """Let queued store writes land (at shutdown)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), seconds)
        if self._writer is not None:
            self._writer.cancel()
