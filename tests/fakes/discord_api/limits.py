"""Auth, injected failures and rate limits, with Discord's headers and 429 bodies.

Every REST request passes ``_gate`` before its handler: the bot token (not on
interaction routes), then a pending ``fail_next`` answer, then the global limit (not on
interaction routes), then its bucket's sliding window. Rejected requests count against
no window. See the package docstring for why the buckets are what they are.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.fakes.discord_api.state import DiscordState

if TYPE_CHECKING:
    from tests.fakes.discord_api.rest import _Request, _Route


def _bucket_hash(kind: str) -> str:
    return hashlib.sha256(f"fake-discord:{kind}".encode()).hexdigest()[:32]


def _ceil_ms(seconds: float) -> float:
    """Round up to whole milliseconds so a client sleeping this long is never early."""
    return max(0.001, math.ceil(seconds * 1000) / 1000)


@dataclass
class _Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    json: dict[str, Any] | None
    retry_after: float | None
    count: int


class _Window:
    """Sliding window: allowed while fewer than ``limit`` accepted requests in ``window`` s."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.times: deque[float] = deque()

    def _prune(self, now: float) -> None:
        while self.times and self.times[0] <= now - self.window:
            self.times.popleft()

    def retry_after(self, now: float) -> float | None:
        """Seconds until a slot frees, or None when a request is allowed now."""
        self._prune(now)
        if len(self.times) < self.limit:
            return None
        return _ceil_ms(self.times[0] + self.window - now)

    def add(self, now: float) -> None:
        self.times.append(now)

    def reset_after(self, now: float) -> float:
        self._prune(now)
        if not self.times:
            return self.window
        return _ceil_ms(self.times[0] + self.window - now)

    def remaining(self, now: float) -> int:
        self._prune(now)
        return max(0, self.limit - len(self.times))


class RateLimits(DiscordState):
    """Sliding windows per bucket, the global limit and ``fail_next`` answers."""

    _windows: dict[str, _Window]
    _global: _Window
    _failures: list[_Failure]

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        path_regex: str,
        *,
        status: int,
        json: dict[str, Any] | None = None,
        retry_after: float | None = None,
        count: int = 1,
    ) -> None:
        """Answer the next ``count`` requests matching method and ``re.search(path_regex, path)``.

        ``method`` "*" matches any method. The path has no /api/v10 prefix. A 429 becomes a
        valid Discord 429 (Via header, rate-limit headers, JSON body with ``retry_after``,
        default 0.25 s). Injected answers do not count against any window.
        """
        self._failures.append(
            _Failure(method.upper(), re.compile(path_regex), status, json, retry_after, count)
        )

    def limit_global(self, per_second: int) -> None:
        """Set the bot-wide limit (requests per second, interaction routes exempt)."""
        self.global_limit = per_second
        self._global = _Window(per_second, 1.0)

    def _take_failure(self, method: str, path: str) -> _Failure | None:
        for failure in self._failures:
            if failure.method in {"*", method} and failure.pattern.search(path):
                failure.count -= 1
                if failure.count <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    # ------------------------------------------------------------------ windows and headers

    def _limit_headers(self, key: str, window: _Window, now: float) -> dict[str, str]:
        reset_after = window.reset_after(now)
        return {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(window.remaining(now)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": _bucket_hash(key.split(":", 1)[0]),
        }

    def _window(self, key: str) -> _Window:
        window = self._windows.get(key)
        if window is None:
            if key.startswith("webhook:"):
                window = _Window(self.webhook_limit, self.webhook_window)
            else:
                window = _Window(self.write_limit, self.write_window)
            self._windows[key] = window
        return window

    @staticmethod
    def _rate_limited(
        retry_after: float, headers: dict[str, str], *, is_global: bool
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        hdrs = {
            **headers,
            "Via": "1.1 google",
            "Retry-After": str(math.ceil(retry_after)),
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            hdrs["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
        }
        return 429, body, hdrs

    def _injected(
        self, failure: _Failure, bucket: str | None, now: float
    ) -> tuple[int, Any, dict[str, str]]:
        headers: dict[str, str] = {}
        if bucket is not None:
            headers = self._limit_headers(bucket, self._window(bucket), now)
        if failure.status == 429:
            retry_after = 0.25 if failure.retry_after is None else failure.retry_after
            if bucket is not None:
                headers["X-RateLimit-Remaining"] = "0"
                headers["X-RateLimit-Reset-After"] = f"{retry_after:.3f}"
                headers["X-RateLimit-Reset"] = f"{time.time() + retry_after:.3f}"
            status, body, headers = self._rate_limited(retry_after, headers, is_global=False)
            if failure.json is not None:
                body = {**body, **failure.json}
            return status, body, headers
        if failure.json is not None:
            return failure.status, failure.json, headers
        reason = {
            400: "Bad Request",
            401: "Unauthorized",
            403: "Forbidden",
            404: "Not Found",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
            504: "Gateway Timeout",
        }.get(failure.status, "Error")
        return failure.status, {"message": f"{failure.status}: {reason}", "code": 0}, headers

    def _gate(
        self, req: _Request, route: _Route | None, bucket: str | None
    ) -> tuple[tuple[int, Any, dict[str, str]] | None, dict[str, str]]:
        """Auth, injected failures and rate limits: (early answer or None, rate-limit headers)."""
        needs_auth = (
            route.auth
            if route is not None
            else not req.path.startswith(("/webhooks/", "/interactions/"))
        )
        if needs_auth and req.headers.get("Authorization") != f"Bot {self.token}":
            return (401, {"message": "401: Unauthorized", "code": 0}, {}), {}

        failure = self._take_failure(req.method, req.path)
        if failure is not None:
            req.call.injected = True
            if failure.status == 429:
                self.count_429_injected += 1
            return self._injected(failure, bucket, req.now), {}

        # Interaction endpoints (callbacks, interaction webhooks) are outside the global limit.
        is_interaction = route is not None and route.interaction
        if not is_interaction:
            wait = self._global.retry_after(req.now)
            if wait is not None:
                self.count_429 += 1
                self.count_429_global += 1
                return self._rate_limited(wait, {}, is_global=True), {}

        headers: dict[str, str] = {}
        if bucket is not None:
            window = self._window(bucket)
            wait = window.retry_after(req.now)
            if wait is not None:
                # Rejected requests are not added to any window.
                self.count_429 += 1
                headers = self._limit_headers(bucket, window, req.now)
                return self._rate_limited(wait, headers, is_global=False), {}
            window.add(req.now)
            headers = self._limit_headers(bucket, window, req.now)
        if not is_interaction:
            self._global.add(req.now)
        return None, headers
