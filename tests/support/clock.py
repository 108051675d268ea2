"""A clock for tests that only moves when told to (implements ``bot.core.clock.Clock``)."""

from __future__ import annotations

import asyncio
import heapq
import itertools


class FakeClock:
    """A clock that only moves when :meth:`advance` is called (for tests)."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        """The current fake time."""
        return self._now

    async def sleep(self, seconds: float) -> None:
        """Wait until the clock has been advanced by ``seconds``."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._seq), future))
        await future

    def tick(self, seconds: float) -> None:
        """Move time forward at once and wake due sleepers (they run at the next await)."""
        self._now += seconds
        self._wake_due()

    def _wake_due(self) -> None:
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)

    async def advance(self, seconds: float, step: float = 0.01) -> None:
        """Move time forward in small steps, letting woken tasks run at each step."""
        end = self._now + seconds
        while True:
            await _settle()
            due = self._sleepers[0][0] if self._sleepers else end
            self._now = min(max(due, self._now), end)
            self._wake_due()
            await _settle()
            if self._now >= end:
                return
            if not self._sleepers or self._sleepers[0][0] > end:
                self._now = min(self._now + step, end) if step else end


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)
