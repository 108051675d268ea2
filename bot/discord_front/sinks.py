"""Sinks that write a reply into Discord: a channel message, or an interaction response."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import discord

from bot.core.reply import SinkGoneError
from bot.discord_front import limits
from bot.discord_front.monitor import RateLimitMonitor, channel_key, token_key

T = TypeVar("T")
NO_MENTIONS = discord.AllowedMentions.none()
# Errors meaning the reply can no longer be written: stop instead of retrying.
_GONE_CODES = {
    limits.UNKNOWN_MESSAGE,
    limits.UNKNOWN_WEBHOOK,
    limits.UNKNOWN_INTERACTION,
    limits.INVALID_WEBHOOK_TOKEN,
}


async def _guard(call: Awaitable[T]) -> T:
    try:
        return await call
    except discord.NotFound as exc:
        raise SinkGoneError(str(exc)) from exc
    except discord.HTTPException as exc:
        if exc.code in _GONE_CODES:
            raise SinkGoneError(str(exc)) from exc
        raise


class _Counted:
    """Counts the 429s Discord gave this sink's bucket since the sink was made."""

    def __init__(self, monitor: RateLimitMonitor | None, bucket: str) -> None:
        self._monitor = monitor
        self._bucket = bucket
        self._before = monitor.count(bucket) if monitor else 0

    @property
    def bucket(self) -> str:
        """The pacing bucket this sink's writes count against."""
        return self._bucket

    def rate_limited(self) -> int:
        """429s on this sink's bucket since it was made."""
        return self._monitor.count(self._bucket) - self._before if self._monitor else 0


class ChannelSink(_Counted):
    """Replies to a message: the first message answers it, the rest follow in the channel.

    Edits in one channel share Discord's per-channel bucket.
    """

    def __init__(self, message: discord.Message, monitor: RateLimitMonitor | None = None) -> None:
        super().__init__(monitor, channel_key(message.channel.id))
        self._source = message
        self._channel = message.channel
        self._messages: list[discord.Message] = []

    @property
    def existing(self) -> int:
        """Nothing exists until the first write."""
        return 0

    async def send(self, content: str) -> None:
        """Post the next message; the first one replies to the prompt."""
        reference = None
        if not self._messages:
            reference = self._source.to_reference(fail_if_not_exists=False)
        message = await _guard(
            self._channel.send(content, reference=reference, allowed_mentions=NO_MENTIONS)  # type: ignore[arg-type]
        )
        self._messages.append(message)

    async def edit(self, index: int, content: str) -> None:
        """Edit one of the reply's messages."""
        await _guard(self._messages[index].edit(content=content, allowed_mentions=NO_MENTIONS))


class InteractionSink(_Counted):
    """Writes into a deferred interaction's original response, then followups.

    Webhook requests are limited per interaction token, apart from the channel.
    """

    def __init__(
        self,
        interaction: discord.Interaction,
        *,
        ephemeral: bool,
        monitor: RateLimitMonitor | None = None,
    ) -> None:
        super().__init__(monitor, token_key(interaction.token))
        self._interaction = interaction
        self._ephemeral = ephemeral
        self._followups: list[discord.WebhookMessage] = []

    @property
    def existing(self) -> int:
        """The deferred original response already exists."""
        return 1

    async def send(self, content: str) -> None:
        """Continue the reply in a followup message."""
        message = await _guard(
            self._interaction.followup.send(
                content, ephemeral=self._ephemeral, wait=True, allowed_mentions=NO_MENTIONS
            )
        )
        self._followups.append(message)

    async def edit(self, index: int, content: str) -> None:
        """Edit the original response (index 0) or a followup."""
        if index == 0:
            await _guard(
                self._interaction.edit_original_response(
                    content=content, allowed_mentions=NO_MENTIONS
                )
            )
        else:
            await _guard(
                self._followups[index - 1].edit(content=content, allowed_mentions=NO_MENTIONS)
            )
