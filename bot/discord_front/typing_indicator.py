"""Keeps "relaybot is typing…" visible while replies wait for their first text.

Discord shows a typing indicator for about 10 seconds, or until the bot posts in that
channel. One indicator per channel serves every reply waiting there: it is sent when the
first one starts waiting, renewed every :data:`EVERY` seconds, and sent again right after
the bot posts in the channel while other replies there still wait (the post cleared it).

When the bot-wide request budget is tight, the first indicator of a wait takes its slot
like a first text; renewals, and the indicator sent again after a post, wait behind
every other request (in a burst, first texts go before them). A reply
that is ready to post never waits for a typing call that has not left yet (it is
dropped instead).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import discord

from bot.core.pacing import FIRST
from bot.discord_front.budget import TYPING, RequestBudget
from bot.logs import get_logger

log = get_logger(__name__)

#: Seconds between renewals (Discord's indicator lasts about 10 s).
EVERY = 8.0
#: The longest the first text waits for a typing call already on its way.
FINISH_WAIT = 1.0


class ChannelTyping:
    """One channel's indicator, on while at least one reply there waits."""

    def __init__(
        self, channel: discord.abc.Messageable, budget: RequestBudget, on_idle: Callable[[], None]
    ) -> None:
        self._channel = channel
        self._budget = budget
        self._on_idle = on_idle
        self._waiting = 0
        self._cleared = asyncio.Event()  # the bot posted here: the indicator is gone
        self._request: asyncio.Future[None] | None = None  # the latest typing call
        self._on_wire = False  # it has its slot and has left (or is leaving)
        self._task: asyncio.Task[None] | None = None
        self.sent = 0

    @property
    def active(self) -> bool:
        """Whether a reply waits here."""
        return self._waiting > 0

    def hold(self) -> None:
        """A reply starts waiting here."""
        self._waiting += 1
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._keep(), name="typing")

    async def release(self, *, posting: bool) -> None:
        """A reply stops waiting (``posting``: it is about to post its first message).

        When it was the last one, the indicator stops: a call still waiting for its slot is
        dropped, and one already on the wire is waited for (briefly), because Discord would
        show "typing…" again under the message if it arrived after the post.
        """
        self._waiting = max(0, self._waiting - 1)
        if self._waiting or self._task is None:
            return
        request = self._request
        self._task.cancel()
        self._task = None
        self._on_idle()
        if request is None or request.done():
            return
        if not self._on_wire:
            request.cancel()  # still waiting for its slot: dropped, nothing was sent
        elif posting:
            with contextlib.suppress(Exception, asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(asyncio.shield(request), FINISH_WAIT)

    def posted(self) -> None:
        """The bot posted in this channel, which clears the indicator."""
        self._cleared.set()

    async def _keep(self) -> None:
        level = FIRST  # nothing shows yet: as urgent as a first text
        while self._waiting:
            self._cleared.clear()
            # Its own task, shielded: a call on the wire is let finish (see release()).
            self._request = request = asyncio.ensure_future(self._send(level))
            request.add_done_callback(_retrieve)
            try:
                await asyncio.shield(request)
            except discord.HTTPException as exc:
                log.debug("typing.failed", status=exc.status)
                return  # no permission, or the channel is gone: the reply will say
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._cleared.wait(), EVERY)
            # Renewed, or shown again after a post cleared it: the channel has shown the
            # bot at work by now, so this waits behind every other request.
            level = TYPING

    async def _send(self, level: int) -> None:
        self._on_wire = False
        async with self._budget.slot(level):
            self._on_wire = True
            await self._channel.typing()
        self.sent += 1


class TypingIndicators:
    """The bot's typing indicators, one per channel with replies waiting."""

    def __init__(self, budget: RequestBudget) -> None:
        self._budget = budget
        self._channels: dict[int, ChannelTyping] = {}

    def wait(self, channel: discord.abc.Messageable, channel_id: int) -> Typing:
        """Show typing in ``channel`` until the returned handle is finished or stopped."""
        indicator = self._channels.get(channel_id)
        if indicator is None:
            indicator = ChannelTyping(channel, self._budget, lambda: self._forget(channel_id))
            self._channels[channel_id] = indicator
        indicator.hold()
        return Typing(indicator)

    def _forget(self, channel_id: int) -> None:
        indicator = self._channels.get(channel_id)
        if indicator is not None and not indicator.active:
            del self._channels[channel_id]

    def posted(self, channel_id: int) -> None:
        """The bot posted a message in ``channel_id``: typing there is shown again if needed."""
        indicator = self._channels.get(channel_id)
        if indicator is not None:
            indicator.posted()

    def __len__(self) -> int:
        return len(self._channels)


class Typing:
    """One reply's share of its channel's indicator."""

    def __init__(self, indicator: ChannelTyping) -> None:
        self._indicator: ChannelTyping | None = indicator

    async def finish(self) -> None:
        """Stop waiting before the reply's first message is posted."""
        indicator, self._indicator = self._indicator, None
        if indicator is not None:
            await indicator.release(posting=True)

    def stop(self) -> None:
        """Stop waiting (the reply ended, or its first message is out)."""
        indicator, self._indicator = self._indicator, None
        if indicator is not None:
            task = asyncio.ensure_future(indicator.release(posting=False))
            task.add_done_callback(_retrieve)


def _retrieve(future: asyncio.Future[None]) -> None:
    """Mark a background call's failure as seen (nobody may be waiting for it any more)."""
    if not future.cancelled():
        future.exception()
