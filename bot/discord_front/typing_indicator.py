"""Keeps "relaybot is typing…" visible while a reply waits for its first text.

Discord shows a typing indicator for about 10 seconds, or until the bot posts. A model
may take much longer to its first token, so the indicator is renewed every
:data:`EVERY` seconds until the first text lands or the reply ends. Typing is the
first thing to give way when the bot-wide request budget is tight: a renewal is sent
only while the budget has room to spare, and otherwise tried again a second later.
"""

from __future__ import annotations

import asyncio
import contextlib

import discord

from bot.discord_front.budget import RequestBudget
from bot.logs import get_logger

log = get_logger(__name__)

#: Seconds between renewals (Discord's indicator lasts about 10 s).
EVERY = 8.0
#: Seconds before trying again when the budget had no room.
RETRY = 1.0
#: The longest the first text waits for a renewal already on its way.
FINISH_WAIT = 1.0


class Typing:
    """One channel's typing indicator, kept on until :meth:`stop` or :meth:`finish`."""

    def __init__(self, channel: discord.abc.Messageable, budget: RequestBudget) -> None:
        self._channel = channel
        self._budget = budget
        self._request: asyncio.Future[None] | None = None
        self._task = asyncio.create_task(self._keep(), name="typing")

    async def _keep(self) -> None:
        while True:
            with self._budget.spare() as room:
                if room:
                    # Shielded: a renewal already on its way is let finish (see finish()).
                    self._request = asyncio.ensure_future(self._channel.typing())
                    self._request.add_done_callback(_retrieve)
                    try:
                        await asyncio.shield(self._request)
                    except discord.HTTPException as exc:
                        log.debug("typing.failed", status=exc.status)
                        return  # no permission, or the channel is gone: the reply will say
            await asyncio.sleep(EVERY if room else RETRY)

    def stop(self) -> None:
        """Stop renewing (the reply ended)."""
        self._task.cancel()

    async def finish(self) -> None:
        """Stop renewing before the first text is posted.

        A renewal that Discord received after the message would show "typing…" again for
        ten seconds under a finished reply, so one already on its way is waited for
        (briefly) instead of racing the post.
        """
        self.stop()
        request = self._request
        if request is not None and not request.done():
            with contextlib.suppress(Exception, asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(asyncio.shield(request), FINISH_WAIT)

    async def stopped(self) -> None:
        """Stop and wait until the renewal task has ended."""
        self.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


def _retrieve(request: asyncio.Future[None]) -> None:
    """Mark a renewal's failure as seen (the renewal loop may have stopped waiting for it)."""
    if not request.cancelled():
        request.exception()
