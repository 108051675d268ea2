"""Write budgets per rate-limit bucket (a channel, an interaction token), shared fairly.

Each bucket (one channel, or one interaction token) hands out write slots:

* at most ``limit`` slots in any ``window + margin`` seconds (Discord's bucket,
  with a margin for network jitter, so the server never answers 429), and
* slots evenly spaced ``(window + margin) / limit`` apart, because a steady edit
  per second keeps text fresher than a burst of five and a four-second wait.

Waiters are served first come, first served, except that final writes (the
footer) and then a reply's first text go ahead of progress edits. A reply holds
at most one waiting slot, so FIFO order is round-robin between the replies that
share a bucket.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot.core.clock import Clock, SystemClock

#: Priorities, lowest first: the write that ends a reply, a reply's first text, progress.
FINAL = 0
FIRST = 1
PROGRESS = 2
# Extra seconds on top of Discord's window, for request latency jitter.
DEFAULT_MARGIN = 0.25


@dataclass
class Budget:
    """The pure arithmetic of one bucket: when may the next write start."""

    limit: int
    window: float
    margin: float = DEFAULT_MARGIN
    grants: deque[float] = field(default_factory=deque)

    @property
    def spacing(self) -> float:
        """Seconds between evenly spaced writes."""
        return (self.window + self.margin) / self.limit

    def next_allowed(self, now: float) -> float:
        """The earliest time (>= ``now``) at which a write may start."""
        span = self.window + self.margin
        while self.grants and self.grants[0] <= now - span:
            self.grants.popleft()
        at = now
        if self.grants:
            at = max(at, self.grants[-1] + self.spacing)
        if len(self.grants) >= self.limit:
            at = max(at, self.grants[-self.limit] + span)
        return at

    def grant(self, now: float) -> None:
        """Record a write starting at ``now``."""
        self.grants.append(now)


@dataclass(eq=False)
class _Waiter:
    seq: int
    rank: Callable[[], int]


class Bucket:
    """One budget with a queue of waiting writers."""

    def __init__(self, budget: Budget, clock: Clock) -> None:
        self.budget = budget
        self._clock = clock
        self._waiters: list[_Waiter] = []
        self._seq = itertools.count()
        self._changed = asyncio.Event()

    @property
    def waiting(self) -> int:
        """How many writers are queued."""
        return len(self._waiters)

    def try_acquire(self) -> bool:
        """Take a slot at once if one is free and nobody waits for it; never waits."""
        if self._waiters:
            return False
        now = self._clock.now()
        if self.budget.next_allowed(now) > now:
            return False
        self.budget.grant(now)
        return True

    def _head(self) -> _Waiter:
        # Ranks are read now, not when the writers joined: priorities can change.
        return min(self._waiters, key=lambda w: (w.rank(), w.seq))

    async def acquire(self, priority: int | Callable[[], int] = PROGRESS) -> float:
        """Wait for a write slot; returns the seconds spent waiting.

        ``priority`` may be a callable, read each time the next slot is assigned.
        """
        start = self._clock.now()
        rank = priority if callable(priority) else (lambda: priority)
        entry = _Waiter(next(self._seq), rank)
        self._waiters.append(entry)
        self._notify()
        try:
            while True:
                if self._head() is entry:
                    now = self._clock.now()
                    at = self.budget.next_allowed(now)
                    if at <= now:
                        self._waiters.remove(entry)
                        self.budget.grant(now)
                        self._notify()
                        return now - start
                    await self._wait(at - now)
                    if self._head() is not entry:
                        self._notify()  # wake the writer that overtook us
                else:
                    await self._wait(None)
        except BaseException:
            if entry in self._waiters:
                self._waiters.remove(entry)
                self._notify()
            raise

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait(self, seconds: float | None) -> None:
        changed = asyncio.ensure_future(self._changed.wait())
        if seconds is None:
            await changed
            return
        sleeper = asyncio.ensure_future(self._clock.sleep(seconds))
        try:
            await asyncio.wait({changed, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            changed.cancel()
            sleeper.cancel()


@dataclass(frozen=True)
class Rate:
    """A bucket's size: at most ``writes`` per ``window`` seconds."""

    writes: int
    window: float


#: Until told otherwise: 5 writes per 5 s, the size of Discord's message buckets.
DEFAULT_RATE = Rate(5, 5.0)
#: Buckets of outputs without a rate limit of their own (a terminal, an HTTP stream):
#: a write at most every 5 ms, as fast as anyone can read.
LOCAL_PREFIX = "local:"
LOCAL_RATE = Rate(200, 1.0)


class Pacer:
    """All buckets of the bot, created on first use and keyed by bucket name.

    A bucket's rate is the one for the longest matching key prefix in
    ``by_prefix`` (``{"webhook:": Rate(5, 5.0)}``), else ``default``.
    """

    def __init__(
        self,
        default: Rate = DEFAULT_RATE,
        *,
        by_prefix: Mapping[str, Rate] | None = None,
        margin: float = DEFAULT_MARGIN,
        clock: Clock | None = None,
    ) -> None:
        self._clock = clock or SystemClock()
        self._default = default
        self._by_prefix = sorted((by_prefix or {}).items(), key=lambda kv: -len(kv[0]))
        self._margin = margin
        self._buckets: dict[str, Bucket] = {}

    def rate(self, key: str) -> Rate:
        """The configured rate for bucket ``key``."""
        return next((r for p, r in self._by_prefix if key.startswith(p)), self._default)

    def bucket(self, key: str) -> Bucket:
        """The bucket for ``key``, created on first use."""
        bucket = self._buckets.get(key)
        if bucket is None:
            rate = self.rate(key)
            bucket = Bucket(Budget(rate.writes, rate.window, self._margin), self._clock)
            self._buckets[key] = bucket
        return bucket

    def try_acquire(self, key: str) -> bool:
        """Take a write slot in bucket ``key`` now if one is free; never waits."""
        return self.bucket(key).try_acquire()

    async def acquire(self, key: str, priority: int | Callable[[], int] = PROGRESS) -> float:
        """Wait for a write slot in bucket ``key``; returns seconds waited."""
        return await self.bucket(key).acquire(priority)

    def forget_idle(self, now: float | None = None) -> None:
        """Drop buckets with nobody waiting and no grant in the current window."""
        now = self._clock.now() if now is None else now
        for key, bucket in list(self._buckets.items()):
            budget = bucket.budget
            stale = not budget.grants or budget.grants[-1] <= now - budget.window - budget.margin
            if bucket.waiting == 0 and stale:
                del self._buckets[key]
