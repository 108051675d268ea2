"""The cost guard: no user or server spends more than the operator allows.

Per user: at most ``in_flight`` replies at once, at most ``requests`` per
``window`` seconds, and optionally a daily token budget; per server, optionally a
daily token budget. A refusal names the limit and when it resets. Usage is
recorded per reply from the API's usage (estimated from the text when the
server reports none), off the reply's path: the guard listens to reply events.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.bus import ReplyEvent, ReplyFinished
from bot.core.conversation import estimate_tokens
from bot.core.storage import Store, UsageRecord, UsageTotal, today
from bot.logs import get_logger

log = get_logger(__name__)

_MAX_TRACKED_USERS = 10_000


@dataclass(frozen=True)
class Limits:
    """The operator's limits; 0 turns a daily budget off."""

    in_flight: int = 1
    requests: int = 20
    window: float = 600.0
    user_daily_tokens: int = 0
    server_daily_tokens: int = 0
    max_output_tokens: int = 4096


@dataclass(frozen=True)
class Refusal:
    """Which limit was hit, the text for the user, and when it resets (epoch seconds)."""

    limit: str
    text: str
    resets_at: float | None = None


def _wait(seconds: float) -> str:
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def next_midnight(now: float) -> float:
    """When the current UTC day ends (daily budgets reset then)."""
    day = datetime.fromtimestamp(now, UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


class CostGuard:
    """Admits requests within the limits and keeps the day's usage."""

    def __init__(
        self, store: Store, limits: Limits, *, wall: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self.limits = limits
        self._wall = wall
        self._in_flight: dict[str, int] = defaultdict(int)
        self._recent: dict[str, deque[float]] = {}
        self._day = ""
        self._spent: dict[tuple[str, str], int] = {}  # ("user" | "guild", id) -> tokens today
        self._lock = asyncio.Lock()

    async def _tokens_today(self, kind: str, key: str) -> int:
        day = today()
        if day != self._day:
            self._day, self._spent = day, {}
        spent = self._spent.get((kind, key))
        if spent is None:
            total = await (
                self._store.usage(day, user_id=key)
                if kind == "user"
                else self._store.usage(day, guild_id=key)
            )
            spent = self._spent.setdefault((kind, key), total.tokens)
        return spent

    def _rate(self, user_id: str, now: float) -> Refusal | None:
        recent = self._recent.setdefault(user_id, deque())
        while recent and recent[0] <= now - self.limits.window:
            recent.popleft()
        if len(recent) < self.limits.requests:
            return None
        resets = recent[0] + self.limits.window
        text = (
            f"You've asked {self.limits.requests} times in the last "
            f"{_wait(self.limits.window)}; you can ask again in {_wait(resets - now)}."
        )
        return Refusal("requests", text, resets)

    async def admit(self, user_id: str, guild_id: str | None) -> Refusal | None:
        """Take a slot for one reply, or say which limit refuses it.

        An admitted reply must be :meth:`release` d when it ends.
        """
        async with self._lock:
            now = self._wall()
            if self._in_flight[user_id] >= self.limits.in_flight:
                return Refusal(
                    "in_flight",
                    "I'm still answering you. Wait for that reply to finish, or press Stop on it.",
                )
            refusal = self._rate(user_id, now) or await self._budgets(user_id, guild_id, now)
            if refusal is not None:
                log.info("guard.refused", limit=refusal.limit, user_id=user_id, guild_id=guild_id)
                return refusal
            self._recent[user_id].append(now)
            self._in_flight[user_id] += 1
            if len(self._recent) > _MAX_TRACKED_USERS:
                self._forget_idle(now)
            return None

    async def _budgets(self, user_id: str, guild_id: str | None, now: float) -> Refusal | None:
        resets = next_midnight(now)
        limit = self.limits.user_daily_tokens
        if limit and await self._tokens_today("user", user_id) >= limit:
            text = (
                f"You've used your {limit:,} tokens for today. The budget resets at 00:00 UTC, "
                f"in {_wait(resets - now)}."
            )
            return Refusal("user_daily_tokens", text, resets)
        limit = self.limits.server_daily_tokens
        if limit and guild_id and await self._tokens_today("guild", guild_id) >= limit:
            text = (
                f"This server has used its {limit:,} tokens for today. The budget resets at "
                f"00:00 UTC, in {_wait(resets - now)}."
            )
            return Refusal("server_daily_tokens", text, resets)
        return None

    def release(self, user_id: str) -> None:
        """An admitted reply ended."""
        left = self._in_flight[user_id] - 1
        if left > 0:
            self._in_flight[user_id] = left
        else:
            self._in_flight.pop(user_id, None)

    def _forget_idle(self, now: float) -> None:
        horizon = now - self.limits.window
        for user_id in [u for u, q in self._recent.items() if not q or q[-1] <= horizon]:
            del self._recent[user_id]

    async def record(self, event: ReplyEvent) -> None:
        """A bus listener: record each finished reply's usage."""
        if not isinstance(event, ReplyFinished):
            return
        outcome, origin = event.outcome, event.origin
        usage = outcome.usage
        if usage is None and not outcome.characters:
            return  # nothing was generated
        guild = origin.where.get("guild_id")
        sent = event.request.conversation()
        record = UsageRecord(
            day=today(),
            guild_id=None if guild is None else str(guild),
            user_id=str(origin.user_id),
            model=outcome.model or event.request.model,
            input_tokens=usage.input_tokens if usage else sum(t.size() for t in sent),
            output_tokens=usage.output_tokens if usage else estimate_tokens(outcome.characters),
            reasoning_tokens=usage.reasoning_tokens if usage else 0,
            estimated=usage is None,
        )
        await self._store.record_usage(record)
        tokens = record.input_tokens + record.output_tokens
        for kind, key in (("user", record.user_id), ("guild", record.guild_id)):
            if key is not None and (kind, key) in self._spent and record.day == self._day:
                self._spent[kind, key] += tokens

    async def usage(self, user_id: str | None = None, guild_id: str | None = None) -> UsageTotal:
        """Today's usage for a user and/or a server."""
        return await self._store.usage(today(), user_id=user_id, guild_id=guild_id)

    async def top_users(self, guild_id: str, limit: int = 5) -> list[tuple[str, UsageTotal]]:
        """Today's biggest users of a server."""
        return await self._store.top_users(today(), guild_id, limit)
