"""Counts what discord.py sends to Discord, and the 429 answers, per pacing bucket.

discord.py retries 429s on its own and exposes no event for them, so the bot
watches its HTTP session through an aiohttp trace and keeps counters: requests by
kind and status (for metrics), and 429s by bucket (for each reply's record) and by
the scope Discord named.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
from collections import Counter, OrderedDict
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from types import SimpleNamespace
from typing import Protocol

import aiohttp

from bot.core.status import Traffic
from bot.logs import get_logger

log = get_logger(__name__)

#: Buckets whose 429s are remembered (a reply reads its own bucket's count while it runs).
MAX_BUCKETS = 4096
#: Bucket keys: ``channel:<id>`` for a channel, ``webhook:<hash>`` for an interaction token.
CHANNEL_PREFIX = "channel:"
INTERACTION_PREFIX = "webhook:"
_CHANNEL = re.compile(r"/channels/(\d+)/")
_WEBHOOK = re.compile(r"/webhooks/\d+/([^/?]+)")
_MESSAGE_EDIT = re.compile(r"/(channels/\d+|webhooks/\d+/[^/]+)/messages/[^/]+$")


#: Set around one write: the trace appends when Discord accepted each request of it.
_LANDINGS: ContextVar[list[float] | None] = ContextVar("relaybot_landings", default=None)


@contextlib.contextmanager
def landings() -> Iterator[list[float]]:
    """Collect when Discord answered each successful request made inside the block.

    Times are on ``time.monotonic()``, for requests of this task: the moment a write
    became visible, even when discord.py then sleeps out an exhausted bucket before
    returning.
    """
    box: list[float] = []
    token = _LANDINGS.set(box)
    try:
        yield box
    finally:
        _LANDINGS.reset(token)


def token_key(token: str) -> str:
    """A bucket key for an interaction token that does not reveal the token."""
    return INTERACTION_PREFIX + hashlib.sha256(token.encode()).hexdigest()[:16]


def channel_key(channel_id: int) -> str:
    """The bucket key for writes in one channel."""
    return f"{CHANNEL_PREFIX}{channel_id}"


def key_for_path(path: str) -> str | None:
    """The bucket key a REST path counts against, if any."""
    if (match := _WEBHOOK.search(path)) is not None:
        return token_key(match.group(1))
    if (match := _CHANNEL.search(path)) is not None:
        return channel_key(int(match.group(1)))
    return None


def request_kind(method: str, path: str) -> str:
    """What a REST request does: send, edit, respond, typing, read or other."""
    if method == "GET":
        return "read"
    if path.endswith("/typing"):
        return "typing"
    if path.endswith("/callback") and "/interactions/" in path:
        return "respond"
    if method == "PATCH" and _MESSAGE_EDIT.search(path):
        return "edit"
    if method == "POST" and (path.endswith("/messages") or _WEBHOOK.search(path)):
        return "send"
    return "other"


class Pacing(Protocol):
    """The pacer, as the monitor tells it about writes (:class:`~bot.core.pacing.Pacer`)."""

    def observe(self, key: str, *, limit: int, remaining: int, reset_after: float) -> None:
        """Take the limits Discord stated for bucket ``key``."""


def _limits(headers: Mapping[str, str]) -> tuple[int, int, float] | None:
    try:
        return (
            int(headers["X-RateLimit-Limit"]),
            int(headers["X-RateLimit-Remaining"]),
            float(headers["X-RateLimit-Reset-After"]),
        )
    except (KeyError, ValueError):
        return None


class RateLimitMonitor:
    """Request and 429 counters fed by an aiohttp ``TraceConfig`` on discord.py's session.

    With ``pacing``, the rate-limit headers of every write are passed on, so the pacer
    follows the limits Discord states for each bucket.
    """

    def __init__(self, pacing: Pacing | None = None) -> None:
        self._pacing = pacing
        self.total = 0
        # 429s per bucket, for the replies in flight: bounded, the oldest buckets forgotten.
        self._by_key: OrderedDict[str, int] = OrderedDict()
        self._by_scope: Counter[str] = Counter()
        self._requests: Counter[tuple[str, str]] = Counter()

    def traffic(self) -> Traffic:
        """A copy of the counters, for metrics."""
        return Traffic(requests=dict(self._requests), rate_limited=dict(self._by_scope))

    def answered(self, method: str, path: str, status: int) -> None:
        """Count one request Discord answered."""
        self._requests[request_kind(method, path), str(status)] += 1

    def count(self, key: str) -> int:
        """429s seen so far for ``key`` (recent buckets only)."""
        return self._by_key.get(key, 0)

    def record(self, path: str, scope: str = "unknown") -> None:
        """Count one 429 for the bucket of ``path``; ``scope`` as Discord named it."""
        self.total += 1
        self._by_scope[scope] += 1
        key = key_for_path(path)
        if key is not None:
            self._by_key[key] = self._by_key.pop(key, 0) + 1
            while len(self._by_key) > MAX_BUCKETS:
                self._by_key.popitem(last=False)
        log.warning("discord.rate_limited", bucket=key or "other", total=self.total)

    def _learn(self, method: str, path: str, headers: Mapping[str, str]) -> None:
        if self._pacing is None or request_kind(method, path) not in {"send", "edit"}:
            return
        key = key_for_path(path)
        if key is None:
            return
        stated = _limits(headers)
        if stated is not None:
            limit, remaining, reset_after = stated
            self._pacing.observe(key, limit=limit, remaining=remaining, reset_after=reset_after)

    def attach(self, trace: aiohttp.TraceConfig) -> None:
        """Watch the requests of the session ``trace`` is installed on (after other gates)."""

        async def on_request_end(
            _session: aiohttp.ClientSession,
            _context: SimpleNamespace,
            params: aiohttp.TraceRequestEndParams,
        ) -> None:
            status = params.response.status
            box = _LANDINGS.get()
            if box is not None and 200 <= status < 300:
                box.append(time.monotonic())
            self.answered(params.method, params.url.path, status)
            self._learn(params.method, params.url.path, params.response.headers)
            if status == 429:
                scope = params.response.headers.get("X-RateLimit-Scope", "unknown")
                self.record(params.url.path, scope if scope.isalpha() else "unknown")

        trace.on_request_end.append(on_request_end)
