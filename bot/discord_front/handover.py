"""A /chat reply that outlives its interaction token continues in ordinary messages.

Discord accepts an interaction's token for 15 minutes. A reply still streaming
shortly before that finishes its interaction message with "continued below" and
goes on in the channel (replying to that message), or in a DM to the asker when
the bot cannot post there or the reply was private. A token refused earlier
(Discord revoked it) is handled the same way: the message is finished through the
channel if the bot can, and the text goes on below. Nothing the model wrote is
lost, and no message is left "writing…".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import discord

from bot.core.reply import Attachment, SinkGoneError, SinkMovedError
from bot.discord_front import limits
from bot.discord_front.monitor import RateLimitMonitor
from bot.discord_front.sinks import (
    NO_MENTIONS,
    ChannelSink,
    Controls,
    InteractionSink,
    PressResponder,
    TokenExpiredError,
)
from bot.logs import get_logger

log = get_logger(__name__)

#: Seconds before the token's end at which the reply moves (writes are paced seconds apart).
MARGIN = 90.0
CONTINUED_BELOW = "↪️ Continued below."
CONTINUED_IN_DMS = "↪️ Continued in your direct messages."


class ChatSink:
    """The interaction's messages, then channel (or DM) messages once the token runs out."""

    def __init__(
        self,
        interaction: discord.Interaction[Any],
        *,
        private: bool,
        monitor: RateLimitMonitor | None = None,
        controls: Controls | None = None,
        on_message: Callable[[int], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._interaction = interaction
        self._private = private
        self._monitor = monitor
        self._controls = controls
        self._on_message = on_message
        self._clock = clock
        self._inner = InteractionSink(
            interaction,
            ephemeral=private,
            monitor=monitor,
            controls=controls,
            on_message=on_message,
        )
        lifetime = limits.INTERACTION_TOKEN_LIFETIME
        self._deadline = interaction.created_at.timestamp() + lifetime - MARGIN
        self._moved_at: int | None = None  # the first page written outside the interaction
        self._outside: ChannelSink | None = None
        self._token_dead = False
        self._last_outside = False

    # -- the Sink protocol -------------------------------------------------------------

    existing = 1

    @property
    def bucket(self) -> str:
        """The token's bucket, then the channel's (or DM's) once the reply moved there."""
        return self._outside.bucket if self._outside is not None else self._inner.bucket

    @property
    def responder(self) -> PressResponder:
        """Where a Stop press on the reply's current message is answered."""
        return self._outside.responder if self._outside is not None else self._inner.responder

    def rate_limited(self) -> int:
        """429s in both places."""
        outside = self._outside.rate_limited() if self._outside is not None else 0
        return self._inner.rate_limited() + outside

    def landed(self) -> float | None:
        """When Discord accepted the last write, wherever it went."""
        if self._last_outside and self._outside is not None:
            return self._outside.landed()
        return self._inner.landed()

    def unpaced(self, index: int) -> bool:
        """A Stop press waiting on that page."""
        if self._outside_page(index):
            return self._outside is not None and self._outside.unpaced(self._local(index))
        return self._inner.unpaced(index)

    def must_seal(self, page: int) -> str | None:
        """Near the token's end: finish page ``page`` with a note; the rest goes below."""
        if self._moved_at is not None or self._clock() < self._deadline:
            return None
        self._moved_at = page + 1
        log.info("chat.moving", reason="token_expiring", page=page, to=self._destination())
        return self._note()

    async def send(self, content: str, *, live: bool, attachment: Attachment | None = None) -> None:
        """A new page: a followup while the token lasts, else a message outside."""
        index = self._inner.count
        if self._moved_at is None and self._token_dead:
            self._moved_at = index
        if not self._outside_page(index):
            try:
                await self._inner.send(content, live=live, attachment=attachment)
            except TokenExpiredError as exc:
                self._token_failed(exc)
                self._moved_at = index
            else:
                self._last_outside = False
                return
        outside = await self._outside_sink()
        try:
            await outside.send(content, live=live, attachment=attachment)
        except SinkGoneError:
            if outside.channel_id == self._dm_id:
                raise
            log.warning("chat.channel_refused", channel_id=outside.channel_id)
            self._outside = None
            outside = await self._outside_sink(dm=True)
            await outside.send(content, live=live, attachment=attachment)
        self._last_outside = True

    async def edit(
        self, index: int, content: str, *, live: bool, attachment: Attachment | None = None
    ) -> None:
        """Edit a page where it lives; a refused token moves the rest of the reply."""
        if self._outside_page(index) and self._outside is not None:
            await self._outside.edit(self._local(index), content, live=live, attachment=attachment)
            self._last_outside = True
            return
        self._last_outside = False
        if self._token_dead:
            await self._finish_without_token(index, content)
            return
        try:
            await self._inner.edit(index, content, live=live, attachment=attachment)
        except TokenExpiredError as exc:
            self._token_failed(exc)
            if self._moved_at is None:
                self._moved_at = index + 1
            raise SinkMovedError(self._note()) from exc

    # -- moving -----------------------------------------------------------------------

    _dm_id: int | None = None

    def _outside_page(self, index: int) -> bool:
        return self._moved_at is not None and index >= self._moved_at

    def _local(self, index: int) -> int:
        assert self._moved_at is not None  # noqa: S101 - only called for pages outside
        return index - self._moved_at

    def _can_post_here(self) -> bool:
        interaction = self._interaction
        if self._private or interaction.channel is None:
            return False
        if interaction.guild_id is None:
            return True  # a DM with the bot
        if not interaction.is_guild_integration():
            return False  # installed by the user only: the bot is not in this server
        permissions = interaction.app_permissions
        in_thread = isinstance(interaction.channel, discord.Thread)
        return permissions.send_messages_in_threads if in_thread else permissions.send_messages

    def _destination(self) -> str:
        return "channel" if self._can_post_here() else "dm"

    def _note(self) -> str:
        return CONTINUED_BELOW if self._can_post_here() else CONTINUED_IN_DMS

    def _token_failed(self, exc: Exception) -> None:
        if not self._token_dead:
            log.warning("chat.token_refused", cause=str(exc)[:300], to=self._destination())
        self._token_dead = True

    async def _outside_sink(self, *, dm: bool = False) -> ChannelSink:
        if self._outside is not None:
            return self._outside
        interaction = self._interaction
        channel: Any = None if dm or not self._can_post_here() else interaction.channel
        source: Any = None
        if channel is not None and self._inner.original_id:
            source = channel.get_partial_message(self._inner.original_id)
        if channel is None:
            try:
                channel = await interaction.user.create_dm()
            except discord.HTTPException as exc:
                raise SinkGoneError(
                    f"cannot open a DM with user {interaction.user.id}: {exc}"
                ) from exc
            self._dm_id = channel.id
        self._outside = ChannelSink(
            channel,
            channel_id=channel.id,
            source=source,
            monitor=self._monitor,
            controls=self._controls,
            on_message=self._on_message,
        )
        return self._outside

    async def _finish_without_token(self, index: int, content: str) -> None:
        """Best effort: edit an interaction message through its channel (not for private ones)."""
        message_id = self._inner.message_id(index)
        channel: Any = self._interaction.channel
        if self._private or channel is None or not message_id:
            return
        try:
            await channel.get_partial_message(message_id).edit(
                content=content, allowed_mentions=NO_MENTIONS, view=None
            )
        except discord.HTTPException as exc:
            log.info("chat.finish_without_token_failed", message_id=message_id, status=exc.status)
