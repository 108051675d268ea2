"""Write budgets per rate-limit bucket (a channel, an interaction token), shared fairly.

Each bucket (one channel, or one interaction token) hands out write slots:

* at most ``limit`` slots in any ``window + margin`` seconds (Discord's bucket,
  with a margin for network jitter, so the server never answers 429), and
* slots evenly spaced ``(window + margin) / limit`` apart, because a steady edit
  per second keeps text fresher than a burst of five and a four-second wait.

Waiters are served first come, first served, except that final writes (the
footer) and then a reply's first text go ahead of progress edits. A reply holds
at most one waiting slot, so FIFO order is round-robin between the replies that
share a bucket. Final writes and first texts do not wait for the even spacing
when the window has room: a bucket's idle capacity shows four new replies at
once instead of one per second, while the window itself is never exceeded. The
slots such a burst leaves are spread until it leaves the window, so the replies do
not spend them at once and then fall silent.

With ``serial`` (the Discord front), a bucket lets one write out at a time and
counts it from the platform's answer (:meth:`Pacer.release`); the bot-wide request
budget counts its requests from their answers the same way (``until_answered``).

The sizes start from the configured rate and then follow what the platform says
(:meth:`Pacer.observe`: the limit, what remains and when the window resets), as
Discord asks clients to do instead of hard-coding limits.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot.core.clock import Clock, SystemClock
from bot.logs import get_logger

log = get_logger(__name__)

#: Priorities, lowest first: the write that ends a reply, a reply's first text, progress.
FINAL = 0
FIRST = 1
PROGRESS = 2
#: Priorities that may use a bucket's idle capacity instead of waiting for the spacing...
EAGER = frozenset({FINAL, FIRST})
#: ... as long as this share of the window stays free after them.
EAGER_RESERVE = 0.2
# Extra seconds on top of Discord's window, for request latency jitter.
DEFAULT_MARGIN = 0.25
# Seconds between looks at a budget whose every slot waits for an answer.
PENDING_POLL = 0.05
#: A write never answered (a writer cancelled between its grant and its write) counts
#: as answered this long after its grant, so it cannot block its budget for ever.
SERIAL_LEASE = 15.0


@dataclass
class Budget:
    """The pure arithmetic of one bucket: when may the next write start.

    ``even``: space writes ``(window + margin) / limit`` apart (a message bucket); off,
    a burst may use the whole window (the bot-wide request budget).
    """

    limit: int
    window: float
    margin: float = DEFAULT_MARGIN
    even: bool = True
    #: Count each write in the window from when it was answered (:meth:`answered`), not
    #: granted: the platform saw it somewhere in between, however late it really left.
    until_answered: bool = False
    #: One write at a time, the next once the last was answered (implies ``until_answered``).
    serial: bool = False
    #: When each write counted in the window started (or, until_answered, was answered).
    grants: deque[float] = field(default_factory=deque)
    #: When each write not answered yet was granted (``until_answered`` or ``serial``).
    pending: deque[float] = field(default_factory=deque)
    #: No write before this time (the platform said the window is used up).
    held_until: float = 0.0
    #: The longest window the platform reported for a fresh window (0: none seen yet).
    seen_window: float = 0.0

    @property
    def spacing(self) -> float:
        """Seconds between evenly spaced writes."""
        return (self.window + self.margin) / self.limit

    def _prune(self, now: float) -> None:
        while self.pending and self.pending[0] <= now - SERIAL_LEASE:
            bisect.insort(self.grants, self.pending.popleft())  # never answered: let it go
        span = self.window + self.margin
        while self.grants and self.grants[0] <= now - span:
            self.grants.popleft()

    def next_allowed(self, now: float, *, eager: bool = False) -> float:
        """The earliest time (>= ``now``) at which a write may start.

        ``eager``: a write that may use idle capacity (no even spacing), within the window.
        """
        self._prune(now)
        if self.serial and self.pending:
            # The bucket's write is still out: its answer wakes the queue.
            return self.pending[0] + SERIAL_LEASE
        at = max(now, self.held_until)
        # An eager write skips the spacing only while the window keeps a reserve for the
        # steady edits that follow (a burst would otherwise leave a long silence after it).
        eager = eager and self.limit - len(self.grants) > math.ceil(self.limit * EAGER_RESERVE)
        if self.grants and self.even and not eager:
            last = self.grants[-1]
            at = max(at, last + self.spacing)
            # After a burst the window has fewer free slots than the spacing assumes: share
            # them evenly until its oldest write leaves, rather than spend them at once and
            # then fall silent until the window slides.
            free = self.limit - len(self.grants)
            if free > 0:
                frees_at = self.grants[0] + self.window + self.margin
                at = max(at, last + (frees_at - last) / (free + 1))
        used = len(self.grants) + len(self.pending)
        if used >= self.limit:
            # The oldest answered writes must leave the window; while every slot is still
            # waiting for its answer, look again shortly (an answer also wakes the queue).
            leaving = used - self.limit + 1
            if leaving > len(self.grants):
                return max(at, now + PENDING_POLL)
            at = max(at, self.grants[leaving - 1] + self.window + self.margin)
        return at

    def free(self, now: float) -> int:
        """Writes the window still has room for now."""
        self._prune(now)
        if self.held_until > now:
            return 0
        return max(0, self.limit - len(self.grants) - len(self.pending))

    def grant(self, now: float) -> None:
        """Record a write starting at ``now``."""
        if self.until_answered or self.serial:
            self.pending.append(now)
        else:
            self.grants.append(now)

    def answered(self, at: float) -> None:
        """The oldest write not answered yet got its answer (or failed) at ``at``.

        It counts in the window from then on: on a busy event loop a request can leave
        well after its slot was granted, and the platform counts it when it arrives.
        Without a write waiting for its answer, nothing changes.
        """
        if self.pending:
            bisect.insort(self.grants, max(self.pending.popleft(), at))


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

    def try_acquire(self, priority: int = PROGRESS) -> bool:
        """Take a slot at once if one is free and nobody waits for it; never waits."""
        if self._waiters:
            return False
        now = self._clock.now()
        if self.budget.next_allowed(now, eager=priority in EAGER) > now:
            return False
        self.budget.grant(now)
        return True

    def answered(self, at: float | None = None) -> None:
        """A write got its answer (``at``, default now): see :meth:`Budget.answered`."""
        self.budget.answered(self._clock.now() if at is None else at)
        self._notify()

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
                    at = self.budget.next_allowed(now, eager=entry.rank() in EAGER)
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

    ``serial``: a bucket lets one write out at a time; the writer calls :meth:`release`
    when the platform answered. Discord counts a write when it arrives, and two writes in
    flight against one remaining slot get a 429; one at a time, every write is counted
    from its answer and the headers of the last are seen before the next leaves.
    """

    def __init__(
        self,
        default: Rate = DEFAULT_RATE,
        *,
        by_prefix: Mapping[str, Rate] | None = None,
        margin: float = DEFAULT_MARGIN,
        serial: bool = False,
        clock: Clock | None = None,
    ) -> None:
        self._clock = clock or SystemClock()
        self._serial = serial
        self._default = default
        self._by_prefix = sorted((by_prefix or {}).items(), key=lambda kv: -len(kv[0]))
        self._margin = margin
        self._buckets: dict[str, Bucket] = {}
        self._learned: dict[str, Rate] = {}  # by kind of bucket ("channel:"): the latest seen

    def rate(self, key: str) -> Rate:
        """The rate for a new bucket ``key``: the latest learned for its kind, else configured."""
        learned = self._learned.get(_kind(key))
        if learned is not None:
            return learned
        return next((r for p, r in self._by_prefix if key.startswith(p)), self._default)

    def release(self, key: str, at: float | None = None) -> None:
        """The write holding bucket ``key``'s slot is done (answered ``at``, default now)."""
        bucket = self._buckets.get(key)
        if bucket is not None:
            bucket.answered(at)

    def observe(self, key: str, *, limit: int, remaining: int, reset_after: float) -> None:
        """Follow what the platform said about bucket ``key`` after a write.

        ``limit`` becomes the bucket's size. The window is the longest ``reset_after``
        seen on a fresh window (``remaining == limit - 1``: the write that opened it),
        and never shorter than any ``reset_after``. ``remaining == 0`` holds the bucket
        until the reset.
        """
        if limit < 1 or reset_after < 0:
            return
        now = self._clock.now()
        budget = self.bucket(key).budget
        if remaining >= limit - 1:
            budget.seen_window = max(budget.seen_window, reset_after)
        window = budget.seen_window or max(budget.window, reset_after)
        window = math.ceil(window * 100) / 100
        if (limit, window) != (budget.limit, budget.window):
            log.info("pacing.learned", bucket=_kind(key), writes=limit, window=window)
            budget.limit, budget.window = limit, window
            self._learned[_kind(key)] = Rate(limit, window)
        if remaining == 0:
            budget.held_until = max(budget.held_until, now + reset_after)

    def bucket(self, key: str) -> Bucket:
        """The bucket for ``key``, created on first use."""
        bucket = self._buckets.get(key)
        if bucket is None:
            rate = self.rate(key)
            budget = Budget(rate.writes, rate.window, self._margin, serial=self._serial)
            bucket = Bucket(budget, self._clock)
            self._buckets[key] = bucket
        return bucket

    def try_acquire(self, key: str, priority: int = PROGRESS) -> bool:
        """Take a write slot in bucket ``key`` now if one is free; never waits."""
        return self.bucket(key).try_acquire(priority)

    async def acquire(self, key: str, priority: int | Callable[[], int] = PROGRESS) -> float:
        """Wait for a write slot in bucket ``key``; returns seconds waited."""
        return await self.bucket(key).acquire(priority)

    def forget_idle(self, now: float | None = None) -> None:
        """Drop buckets with nobody waiting and no grant in the current window."""
        now = self._clock.now() if now is None else now
        for key, bucket in list(self._buckets.items()):
            budget = bucket.budget
            stale = not budget.grants or budget.grants[-1] <= now - budget.window - budget.margin
            idle = bucket.waiting == 0 and not budget.pending
            if idle and stale and budget.held_until <= now:
                del self._buckets[key]


def _kind(key: str) -> str:
    """A bucket key's kind: ``channel:123`` -> ``channel:``."""
    return key.split(":", 1)[0] + ":"
