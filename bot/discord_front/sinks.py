"""Sinks that write a reply into Discord: channel messages, or an interaction's response.

Every message that is still being written carries the Stop button; the write
that seals or finishes it removes the button (no extra write). Continuation
messages of a channel reply reply to the part before them, so the conversation
can be walked from any part. A press of Stop is answered with the message's
final content through the press's own interaction response, outside the
channel's bucket; if that write does not come in time, the press is simply
acknowledged and the final write goes the usual way.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import discord

from bot.core.pacing import FINAL, FIRST, PROGRESS
from bot.core.reply import Attachment, SinkGoneError
from bot.discord_front import limits
from bot.discord_front.budget import priority
from bot.discord_front.monitor import RateLimitMonitor, channel_key, landings, token_key
from bot.logs import get_logger

log = get_logger(__name__)

T = TypeVar("T")
NO_MENTIONS = discord.AllowedMentions.none()
#: Seconds within which a button press gets the final content, before a plain acknowledgement
#: (Discord allows 3 s).
PRESS_DEADLINE = 2.2
# Errors meaning the reply can no longer be written: stop instead of retrying.
_GONE_CODES = {
    limits.UNKNOWN_MESSAGE,
    limits.UNKNOWN_WEBHOOK,
    limits.UNKNOWN_INTERACTION,
    limits.INVALID_WEBHOOK_TOKEN,
    limits.UNKNOWN_CHANNEL,
    limits.MISSING_ACCESS,
    limits.MISSING_PERMISSIONS,
}
# Errors meaning an interaction token is no longer accepted (expired, or revoked early).
_TOKEN_CODES = {limits.INVALID_WEBHOOK_TOKEN, limits.UNKNOWN_WEBHOOK}
Controls = Callable[[], discord.ui.View]


class TokenExpiredError(Exception):
    """Discord no longer accepts the interaction's token: its messages cannot be edited."""


async def _guard(call: Awaitable[T], where: str, *, token: bool = False) -> T:
    """Await a write; map "cannot write there" to :class:`SinkGoneError` naming ``where``.

    ``token``: the write uses an interaction token, whose expiry raises
    :class:`TokenExpiredError` instead (the reply can go on elsewhere).
    """
    try:
        return await call
    except discord.HTTPException as exc:
        if token and (exc.code in _TOKEN_CODES or exc.status == 401):
            raise TokenExpiredError(f"{where}: {exc}") from exc
        if exc.status in {403, 404} or exc.code in _GONE_CODES:
            raise SinkGoneError(f"cannot write in {where}: {exc}") from exc
        raise


def _file(attachment: Attachment) -> discord.File:
    return discord.File(io.BytesIO(attachment.data), filename=attachment.name)


class PressResponder:
    """Answers a Stop press with the pressed message's next write, or acknowledges it."""

    def __init__(self) -> None:
        self._pending: tuple[discord.Interaction[Any], int] | None = None
        self._timer: asyncio.Task[None] | None = None

    def take(self, interaction: discord.Interaction[Any], message_id: int) -> None:
        """Keep the press to answer with the next write of ``message_id``."""
        self._pending = (interaction, message_id)
        self._timer = asyncio.create_task(self._acknowledge_late(), name="stop-press-deadline")

    def waiting_for(self, message_id: int | None) -> bool:
        """Whether a press waits for the next write of this message."""
        return self._pending is not None and self._pending[1] == message_id

    async def answer(self, content: str, view: discord.ui.View | None) -> bool:
        """Write through the press's response (type 7); False if the press was already answered."""
        if self._pending is None:
            return False
        interaction, _ = self._pending
        self._pending = None
        if self._timer is not None:
            self._timer.cancel()
        if interaction.response.is_done():
            return False
        await _guard(
            interaction.response.edit_message(
                content=content, view=view, allowed_mentions=NO_MENTIONS
            ),
            f"channel {interaction.channel_id}",
        )
        return True

    async def _acknowledge_late(self) -> None:
        await asyncio.sleep(PRESS_DEADLINE)
        if self._pending is None:
            return
        interaction, _ = self._pending
        self._pending = None
        with contextlib.suppress(discord.HTTPException):
            if not interaction.response.is_done():
                await interaction.response.defer()


class _DiscordSink:
    """What both sinks share: the bucket, the 429 count, the controls, the press responder."""

    def __init__(
        self,
        bucket: str,
        monitor: RateLimitMonitor | None,
        controls: Controls | None,
        on_message: Callable[[int], None] | None,
    ) -> None:
        self._bucket = bucket
        self._monitor = monitor
        self._before = monitor.count(bucket) if monitor else 0
        self._controls = controls
        self._on_message = on_message
        self.responder = PressResponder()
        self._ids: list[int] = []  # message ids of the pages written so far
        self._with_controls: set[int] = set()  # pages that show the controls now
        self._landed: float | None = None

    @property
    def bucket(self) -> str:
        """The pacing bucket this sink's writes count against."""
        return self._bucket

    def rate_limited(self) -> int:
        """429s on this sink's bucket since it was made."""
        return max(0, self._monitor.count(self._bucket) - self._before) if self._monitor else 0

    def landed(self) -> float | None:
        """When Discord accepted the last write (see :func:`landings`)."""
        return self._landed

    def must_seal(self, page: int) -> str | None:  # noqa: ARG002 - the Sink protocol's signature
        """Channel messages stay editable."""
        return None

    async def send(self, content: str, *, live: bool, attachment: Attachment | None = None) -> None:
        """Create the next page (it waits in the bot-wide budget as a first text)."""
        with landings() as answered, priority(FIRST):
            await self._send(content, live=live, attachment=attachment)
        self._landed = answered[-1] if answered else None

    async def edit(
        self, index: int, content: str, *, live: bool, attachment: Attachment | None = None
    ) -> None:
        """Replace page ``index`` (a final write goes ahead of progress in the budget)."""
        with landings() as answered, priority(PROGRESS if live else FINAL):
            await self._edit(index, content, live=live, attachment=attachment)
        self._landed = answered[-1] if answered else None

    async def _send(self, content: str, *, live: bool, attachment: Attachment | None) -> None:
        raise NotImplementedError

    async def _edit(
        self, index: int, content: str, *, live: bool, attachment: Attachment | None
    ) -> None:
        raise NotImplementedError

    def unpaced(self, index: int) -> bool:
        """A pending Stop press on that page answers the write outside the bucket."""
        message_id = self._ids[index] if index < len(self._ids) else None
        return self.responder.waiting_for(message_id)

    def _view(self, live: bool) -> discord.ui.View | None:
        return self._controls() if live and self._controls is not None else None

    def _view_change(self, index: int, live: bool) -> dict[str, Any]:
        """The ``view`` argument of an edit: only when the controls appear or go."""
        if self._controls is None or live == (index in self._with_controls):
            return {}
        if live:
            self._with_controls.add(index)
            return {"view": self._controls()}
        self._with_controls.discard(index)
        return {"view": None}

    def _created(self, message_id: int) -> None:
        self._ids.append(message_id)
        if self._on_message is not None:
            self._on_message(message_id)


class ChannelSink(_DiscordSink):
    """A reply as messages in a channel, thread or DM.

    The first message replies to ``source`` (if any); each next one replies to the
    message before it. Edits in one channel share Discord's per-channel bucket.
    """

    def __init__(
        self,
        channel: discord.abc.Messageable,
        *,
        channel_id: int,
        source: discord.Message | None = None,
        monitor: RateLimitMonitor | None = None,
        controls: Controls | None = None,
        on_message: Callable[[int], None] | None = None,
        before_first: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(channel_key(channel_id), monitor, controls, on_message)
        self.channel_id = channel_id
        self._before_first = before_first
        self._where = f"channel {channel_id}"
        self._source = source
        self._channel = channel
        self._messages: list[discord.Message] = []

    @property
    def existing(self) -> int:
        """Nothing exists until the first write."""
        return 0

    async def _send(self, content: str, *, live: bool, attachment: Attachment | None) -> None:
        """Post the next message, replying to the question or to the previous part."""
        previous = self._messages[-1] if self._messages else self._source
        extra: dict[str, Any] = self._view_change(len(self._messages), live)
        if attachment is not None:
            extra["file"] = _file(attachment)
        if previous is not None:
            extra["reference"] = previous.to_reference(fail_if_not_exists=False)
        if self._before_first is not None:
            before, self._before_first = self._before_first, None
            await before()
        message = await _guard(
            self._channel.send(
                content, allowed_mentions=NO_MENTIONS, mention_author=False, **extra
            ),
            self._where,
        )
        self._messages.append(message)
        self._created(message.id)

    async def _edit(
        self, index: int, content: str, *, live: bool, attachment: Attachment | None
    ) -> None:
        """Edit one of the reply's messages (by the press's response when one waits)."""
        message = self._messages[index]
        view = self._view_change(index, live)
        if attachment is not None:
            view["attachments"] = [_file(attachment)]
        pressed = self.responder.waiting_for(message.id)
        if pressed and await self.responder.answer(content, self._view(live)):
            return
        await _guard(
            message.edit(content=content, allowed_mentions=NO_MENTIONS, **view), self._where
        )


class InteractionSink(_DiscordSink):
    """Writes into a deferred interaction's original response, then followups.

    Webhook requests are limited per interaction token, apart from the channel.
    """

    def __init__(
        self,
        interaction: discord.Interaction[Any],
        *,
        ephemeral: bool,
        monitor: RateLimitMonitor | None = None,
        controls: Controls | None = None,
        on_message: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(token_key(interaction.token), monitor, controls, on_message)
        self._where = f"the /chat reply in channel {interaction.channel_id}"
        self._interaction = interaction
        self._ephemeral = ephemeral
        self._followups: list[discord.WebhookMessage] = []
        self._ids.append(0)  # the original response: its id is learnt at its first edit

    @property
    def existing(self) -> int:
        """The deferred original response already exists."""
        return 1

    @property
    def count(self) -> int:
        """Pages (messages) the reply has in the interaction."""
        return len(self._ids)

    @property
    def original_id(self) -> int:
        """The original response's message id (0 until its first edit)."""
        return self._ids[0]

    def message_id(self, index: int) -> int:
        """The message id of page ``index`` (0 if unknown)."""
        return self._ids[index] if index < len(self._ids) else 0

    async def _send(self, content: str, *, live: bool, attachment: Attachment | None) -> None:
        """Continue the reply in a followup message."""
        view = self._view_change(len(self._ids), live).get("view") or discord.utils.MISSING
        message = await _guard(
            self._interaction.followup.send(
                content,
                ephemeral=self._ephemeral,
                wait=True,
                allowed_mentions=NO_MENTIONS,
                view=view,
                file=_file(attachment) if attachment else discord.utils.MISSING,
            ),
            self._where,
            token=True,
        )
        self._followups.append(message)
        self._created(message.id)

    async def _edit(
        self, index: int, content: str, *, live: bool, attachment: Attachment | None
    ) -> None:
        """Edit the original response (index 0) or a followup."""
        view = self._view_change(index, live)
        if attachment is not None:
            view["attachments"] = [_file(attachment)]
        pressed = self.responder.waiting_for(self._ids[index])
        if pressed and await self.responder.answer(content, self._view(live)):
            return
        if index > 0:
            followup = self._followups[index - 1]
            await _guard(
                followup.edit(content=content, allowed_mentions=NO_MENTIONS, **view),
                self._where,
                token=True,
            )
            return
        original = await _guard(
            self._interaction.edit_original_response(
                content=content, allowed_mentions=NO_MENTIONS, **view
            ),
            self._where,
            token=True,
        )
        if self._ids[0] == 0:
            self._ids[0] = original.id
            if self._on_message is not None:
                self._on_message(original.id)
