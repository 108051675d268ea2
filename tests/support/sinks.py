"""A sink that records every write in memory, for relay tests and the relay CPU benchmark."""

from __future__ import annotations

import asyncio

from bot.core.reply import SinkGoneError
from bot.discord_front.limits import MESSAGE_LIMIT
from tests.support.clock import FakeClock


class RecordingSink:
    """Keeps the latest content of every message and a log of writes; no network.

    ``fail`` makes the next N writes raise (an HTTP 500); ``gone`` makes every write
    raise :class:`SinkGoneError` (the message was deleted).
    """

    def __init__(self, clock: FakeClock | None = None, existing: int = 0, fail: int = 0) -> None:
        self.clock = clock
        self.existing = existing
        self.bucket = "channel:1"
        self.messages: list[str] = [""] * existing
        self.live: list[bool] = [False] * existing  # whether each page was last written live
        self.free: set[int] = set()  # pages whose next write needs no pacing slot
        self.attachments: dict[int, object] = {}  # page -> the file written with it
        self.log: list[tuple[float, str, int, str]] = []
        self.fail = fail
        self.gone = False
        self.seal_note: str | None = None  # must_seal()'s next answer
        self.sealed_at: int | None = None  # the page must_seal() finished

    @property
    def writes(self) -> int:
        return len(self.log)

    def rate_limited(self) -> int:
        return 0

    def landed(self) -> float | None:
        return None

    def must_seal(self, page: int) -> str | None:
        note, self.seal_note = self.seal_note, None  # once, as a real sink says it
        self.sealed_at = page if note else self.sealed_at
        return note

    async def send(self, content: str, *, live: bool = False, attachment=None) -> None:
        await self._check(content)
        self.messages.append(content)
        self.live.append(live)
        if attachment is not None:
            self.attachments[len(self.messages) - 1] = attachment
        self._record("send", len(self.messages) - 1, content)

    async def edit(self, index: int, content: str, *, live: bool = False, attachment=None) -> None:
        await self._check(content)
        self.messages[index] = content
        self.live[index] = live
        if attachment is not None:
            self.attachments[index] = attachment
        self._record("edit", index, content)

    def unpaced(self, index: int) -> bool:
        return index in self.free

    def _record(self, op: str, index: int, content: str) -> None:
        self.log.append((self.clock.now() if self.clock else 0.0, op, index, content))

    async def _check(self, content: str) -> None:
        await asyncio.sleep(0)
        assert len(content) <= MESSAGE_LIMIT
        if self.gone:
            raise SinkGoneError("deleted")
        if self.fail:
            self.fail -= 1
            raise RuntimeError("HTTP 500")
