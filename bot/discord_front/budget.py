"""Discord's bot-wide request limit (50 requests per second), shared by every REST call.

Per-route buckets are paced by the core's :class:`~bot.core.pacing.Pacer`; on top of
them Discord counts every request of the bot against one global limit. This budget
gates each request in an aiohttp trace (so sends, edits, typing, reactions, thread
creation and history fetches all count, and a retry counts again), in the order of
the priority the caller set: a reply's final write, then first texts and reads, then
progress edits, and typing indicators last. Interaction endpoints (callbacks, and
webhooks with an interaction token) are outside the global limit on Discord, and here.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from types import SimpleNamespace

import aiohttp

from bot.core.clock import Clock, SystemClock
from bot.core.pacing import FIRST, PROGRESS, Bucket, Budget
from bot.discord_front.limits import GLOBAL_REQUESTS
from bot.logs import get_logger

log = get_logger(__name__)

#: A window a little longer than Discord's second, for jitter between here and Discord.
WINDOW, MARGIN = 1.0, 0.2
#: Typing indicators wait behind every other request.
TYPING = PROGRESS + 1
_API = re.compile(r"/api/v\d+/")
_EXEMPT = re.compile(r"/api/v\d+/(interactions/\d+/[^/]+/callback|webhooks/\d+/[^/]+)")

_PRIORITY: ContextVar[int] = ContextVar("relaybot_request_priority", default=FIRST)
_PREPAID: ContextVar[bool] = ContextVar("relaybot_request_prepaid", default=False)


def counted(path: str) -> bool:
    """Whether a request to ``path`` counts against the global limit."""
    return bool(_API.search(path)) and not _EXEMPT.search(path)


@contextlib.contextmanager
def priority(level: int) -> Iterator[None]:
    """Requests made inside the block (in this task) wait in the budget at ``level``."""
    token = _PRIORITY.set(level)
    try:
        yield
    finally:
        _PRIORITY.reset(token)


class RequestBudget:
    """The bot-wide budget, applied to discord.py's HTTP session through a trace."""

    def __init__(self, per_second: int = GLOBAL_REQUESTS, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        # Each request counts from when Discord answered it: a busy event loop may send a
        # request well after its slot was granted, and Discord counts it on arrival.
        budget = Budget(per_second, WINDOW, MARGIN, even=False, until_answered=True)
        self._bucket = Bucket(budget, self._clock)
        self.waited = 0.0  # seconds requests spent waiting, in total (diagnostics)

    @contextlib.asynccontextmanager
    async def slot(self, level: int) -> AsyncIterator[None]:
        """Wait for a slot at ``level``; the one request made inside the block uses it.

        Waiting here (not in the trace) lets the caller drop a request that has not left
        yet by cancelling it; a slot the block did not use is given back.
        """
        self.waited += await self._bucket.acquire(level)
        token = _PREPAID.set(True)
        try:
            yield
        finally:
            if _PREPAID.get():  # the slot was not used: give it back
                self._bucket.answered()
            _PREPAID.reset(token)

    def attach(self, trace: aiohttp.TraceConfig) -> None:
        """Gate every request of the session that ``trace`` is installed on."""

        async def on_request_start(
            _session: aiohttp.ClientSession,
            context: SimpleNamespace,
            params: aiohttp.TraceRequestStartParams,
        ) -> None:
            if not counted(params.url.path):
                return
            if _PREPAID.get():
                _PREPAID.set(False)  # one request per prepaid slot; a retry waits its turn
            else:
                self.waited += await self._bucket.acquire(_PRIORITY.get())
            context.holds_slot = True

        async def on_request_done(
            _session: aiohttp.ClientSession, context: SimpleNamespace, _params: object
        ) -> None:
            if getattr(context, "holds_slot", False):
                context.holds_slot = False
                self._bucket.answered()

        trace.on_request_start.append(on_request_start)
        trace.on_request_end.append(on_request_done)
        trace.on_request_exception.append(on_request_done)
