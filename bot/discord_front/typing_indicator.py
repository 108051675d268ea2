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


class Typing:
    """One channel's typing indicator, kept on until :meth:`stop`."""

    def __init__(self, channel: discord.abc.Messageable, budget: RequestBudget) -> None:
        self._channel = channel
        self._budget = budget
        self._task = asyncio.create_task(self._keep(), name="typing")

    async def _keep(self) -> None:
        while True:
            with self._budget.spare() as room:
                if room:
                    try:
                        await self._channel.typing()
                    except discord.HTTPException as exc:
                        log.debug("typing.failed", status=exc.status)
                        return  # no permission, or the channel is gone: the reply will say
            await asyncio.sleep(EVERY if room else RETRY)

    def stop(self) -> None:
        """Stop renewing (the first text landed, or the reply ended)."""
        self._task.cancel()

    async def stopped(self) -> None:
        """Stop and wait until the renewal task has ended."""
        self.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
