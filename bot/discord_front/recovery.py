"""After a crash: no reply is left "writing…".

Replies that were being written when the process died (kill -9, out of memory,
power loss) are still in the store. Once the bot is ready, each of their messages
that still shows the live indicator or the Stop button is edited: the text stays,
the indicator and button go, and the last one says it was interrupted by a
restart. A message deleted meanwhile is skipped. Every edit takes a slot from
the pacer like any other write.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import discord

from bot.core import errors
from bot.core.pacing import FINAL
from bot.core.storage import InFlight
from bot.discord_front import readback
from bot.discord_front.layout import LIVE_INDICATOR
from bot.discord_front.monitor import channel_key, token_key
from bot.discord_front.sinks import NO_MENTIONS
from bot.logs import get_logger

if TYPE_CHECKING:
    from bot.discord_front.client import RelayBot

log = get_logger(__name__)

_GONE = (discord.NotFound, discord.Forbidden)


def _still_live(message: discord.Message | discord.WebhookMessage) -> bool:
    last = message.content.rsplit("\n", 1)[-1]
    return last.startswith(f"-# {LIVE_INDICATOR}") or bool(message.components)


def _interrupted(content: str, *, last: bool) -> str:
    body, _ = readback.body(content)
    notice = errors.notice("shutdown", None) or ""
    if not last:
        return body or "…"
    return f"{body}\n{notice}" if body else notice


class Recovery:
    """Cleans up the replies a crash left unfinished.

    :meth:`load` must run before this process can start replies of its own (the
    client calls it in ``setup_hook``), so that only a previous run's are touched.
    """

    def __init__(self, bot: RelayBot) -> None:
        self._bot = bot
        self._unfinished: list[InFlight] = []
        self.edited = 0

    async def load(self) -> None:
        """Take the list of replies a previous run left unfinished."""
        self._unfinished = await self._bot.app.store.unfinished()

    async def run(self) -> None:
        """Clean up every unfinished reply, then forget it."""
        store = self._bot.app.store
        unfinished, self._unfinished = self._unfinished, []
        if not unfinished:
            return
        log.info("recovery.started", replies=len(unfinished))
        for reply in unfinished:
            try:
                await self._reply(reply)
            except discord.HTTPException as exc:
                log.warning("recovery.failed", session_id=reply.reply_id, status=exc.status)
            await store.reply_done(reply.reply_id)
        log.info("recovery.finished", replies=len(unfinished), edited=self.edited)

    async def _reply(self, reply: InFlight) -> None:
        # A /chat reply's messages are edited through its interaction while the token
        # lasts; the original response has no id until its first edit, and a reply
        # that crashed before it had no text to keep (Discord ends that one itself).
        webhook = None
        if (
            reply.token
            and (reply.token_expires or 0) > time.time() + 5
            and self._bot.application_id
        ):
            webhook = discord.Webhook.partial(
                self._bot.application_id, reply.token, client=self._bot
            )
        for position, message_id in enumerate(reply.messages):
            message = await self._fetch(reply, webhook, int(message_id))
            if message is None or not _still_live(message):
                continue  # deleted meanwhile, out of reach, or already final
            last = position == len(reply.messages) - 1
            bucket = token_key(reply.token or "") if webhook else channel_key(int(reply.channel_id))
            await self._bot.app.pacer.acquire(bucket, FINAL)
            try:
                await message.edit(
                    content=_interrupted(message.content, last=last),
                    view=None,
                    allowed_mentions=NO_MENTIONS,
                )
            except _GONE:
                continue
            finally:
                self._bot.app.pacer.release(bucket)
            self.edited += 1
            log.info("recovery.edited", session_id=reply.reply_id, message_id=message_id)

    async def _fetch(
        self, reply: InFlight, webhook: discord.Webhook | None, message_id: int
    ) -> discord.Message | discord.WebhookMessage | None:
        try:
            if webhook is not None:
                return await webhook.fetch_message(message_id)
            channel_id = int(reply.channel_id)
            channel: Any = self._bot.get_channel(channel_id) or await self._bot.fetch_channel(
                channel_id
            )
            message: discord.Message = await channel.fetch_message(message_id)
        except _GONE:
            return None
        return message
