"""The conversation a new message continues, read from Discord.

It is a reply chain, or the history of a thread or a DM.

* A reply chain is walked through message references, newest first: the message
  a user replied to, the one that replied to, and so on. Each step is answered,
  in this order, by the bot's memory, discord.py's message cache, the parent
  Discord sent along with the child, and only then by one ``GET`` (which again
  brings its own parent along).
* A thread the bot started, or a DM, is read with one history request, back to
  the last ``/reset`` marker.

The bot's own replies come back verbatim from its records where it has them,
and are read back from their messages otherwise. At most ``max_messages``
turns are read; :class:`~bot.core.request.RequestBuilder` then trims to the
budgets and says how many were left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import discord

from bot.core.conversation import Turn
from bot.discord_front import readback
from bot.discord_front.attachments import AttachmentReader
from bot.discord_front.memory import Memory, ReplyRecord
from bot.discord_front.parse import Seen, parse
from bot.logs import get_logger

log = get_logger(__name__)

STARTER_QUOTE = "\n>>> "


@dataclass(frozen=True)
class Context:
    """The turns to send (oldest first, the new message last) and what was not read."""

    turns: list[Turn]
    notes: tuple[str, ...]
    fetches: int
    left_out: int = 0  # older messages not read because of the limit (at least this many)


class ContextReader:
    """Reads conversations for one bot."""

    def __init__(
        self,
        memory: Memory,
        attachments: AttachmentReader,
        *,
        client: discord.Client,
        max_messages: int,
        live_text: Callable[[str], str | None],
    ) -> None:
        self._memory = memory
        self._attachments = attachments
        self._client = client
        self._max = max_messages
        self._live_text = live_text
        self.fetches = 0  # REST calls made, over the bot's life

    @property
    def _bot_id(self) -> int:
        user = self._client.user
        return user.id if user else 0

    def _cached(self, message_id: int) -> discord.Message | None:
        return discord.utils.get(self._client.cached_messages, id=message_id)

    def _parse(self, message: discord.Message) -> Seen:
        seen = self._memory.remember(parse(message, self._bot_id))
        parent = message.reference.resolved if message.reference else None
        if isinstance(parent, discord.Message) and self._memory.seen(parent.id) is None:
            # It came along for free; the gateway's own copy knows the author's server
            # nickname, the nested one does not.
            self._memory.remember(parse(self._cached(parent.id) or parent, self._bot_id))
        return seen

    async def _user_turn(self, seen: Seen, *, newest: bool = False) -> tuple[Turn, tuple[str, ...]]:
        read = await self._attachments.read(list(seen.attachments))
        turn = Turn("user", seen.text, seen.author, read.images, read.files)
        return turn, read.notes if newest else ()

    def _reply_text(self, record: ReplyRecord) -> str:
        if record.text is not None:
            return record.text
        return self._live_text(record.reply_id) or ""

    # -- reply chains -------------------------------------------------------------

    async def _lookup(self, channel: discord.abc.Messageable, message_id: int) -> Seen | None:
        seen = self._memory.seen(message_id)
        if seen is not None:
            return seen
        cached = self._cached(message_id)
        if cached is not None:
            return self._parse(cached)
        try:
            fetched = await channel.fetch_message(message_id)
        except discord.HTTPException as exc:
            if not isinstance(exc, discord.NotFound):
                log.warning("context.fetch_failed", message_id=message_id, status=exc.status)
            return None
        finally:
            self.fetches += 1
        return self._parse(fetched)

    async def _cold_reply(
        self, channel: discord.abc.Messageable, last: Seen
    ) -> tuple[str, int | None]:
        """A reply the bot has no record of: its parts, walked up from ``last``."""
        parts = [last]
        while parts[-1].parent_id is not None:
            parent = await self._lookup(channel, parts[-1].parent_id)
            if parent is None or parent.kind != "reply" or parent.last_part:
                break
            parts.append(parent)
        first = parts[-1]
        return readback.join([p.text for p in reversed(parts)]), first.parent_id

    async def chain(self, message: discord.Message) -> Context:
        """The reply chain ending at ``message``, oldest first."""
        before = self.fetches
        newest = self._parse(message)
        turn, notes = await self._user_turn(newest, newest=True)
        turns = [turn]
        next_id = newest.parent_id
        while next_id is not None and len(turns) < self._max:
            seen = await self._lookup(message.channel, next_id)
            if seen is None or seen.reset:
                break
            next_id = seen.parent_id
            record = self._memory.reply_of(seen.id) if seen.kind != "user" else None
            if seen.kind == "user":
                turns.append((await self._user_turn(seen))[0])
            elif record is not None:
                turns.append(Turn("assistant", self._reply_text(record)))
                if record.prompt is not None:
                    turns.append(record.prompt)
                    break
                next_id = record.question_id
            elif seen.kind == "reply":
                text, next_id = await self._cold_reply(message.channel, seen)
                turns.append(Turn("assistant", text))
        turns.reverse()
        left_out = 1 if next_id is not None and len(turns) >= self._max else 0
        return Context(turns, notes, self.fetches - before, left_out)

    # -- threads and DMs ----------------------------------------------------------

    async def history(self, message: discord.Message) -> Context:
        """The thread's or DM's history up to ``message`` (back to the last reset)."""
        before = self.fetches
        newest = self._parse(message)
        turn, notes = await self._user_turn(newest, newest=True)
        try:
            older = [
                self._parse(item)
                async for item in message.channel.history(limit=self._max, before=message)
            ]
        except discord.HTTPException as exc:
            # Without Read Message History the question alone is still worth answering.
            log.warning("context.history_failed", channel_id=message.channel.id, status=exc.status)
            older = []
        finally:
            self.fetches += 1
        turns, complete = await self._turns_from(older)
        if complete and isinstance(message.channel, discord.Thread):
            starter = await self._starter_prompt(message.channel)
            if starter is not None and not (turns and turns[0].role == "user"):
                turns.insert(0, starter)
        turns.append(turn)
        left_out = 0 if complete else int(len(older) >= self._max)
        return Context(turns, notes, self.fetches - before, left_out)

    async def _turns_from(self, newest_first: Sequence[Seen]) -> tuple[list[Turn], bool]:
        """Turns (oldest first) from history; ``complete`` when it reached the start."""
        turns: list[Turn] = []
        parts: list[Seen] = []
        done_records: set[str] = set()

        def close_reply() -> None:
            if parts:
                turns.append(Turn("assistant", readback.join([p.text for p in reversed(parts)])))
                parts.clear()

        for seen in newest_first:
            if seen.reset:
                close_reply()
                turns.reverse()
                return turns, False
            record = self._memory.reply_of(seen.id) if seen.kind != "user" else None
            if record is not None or seen.kind == "reply":
                if record is not None:
                    close_reply()
                    if record.reply_id not in done_records:
                        done_records.add(record.reply_id)
                        turns.append(Turn("assistant", self._reply_text(record)))
                        if record.prompt is not None:
                            turns.append(record.prompt)
                    continue
                if parts and seen.last_part:
                    close_reply()
                parts.append(seen)
                continue
            close_reply()
            if seen.kind == "user":
                turns.append((await self._user_turn(seen))[0])
        close_reply()
        turns.reverse()
        return turns, len(newest_first) < self._max

    async def _starter_prompt(self, thread: discord.Thread) -> Turn | None:
        """The question a thread started with, when the bot started it with /chat."""
        if thread.owner_id != self._bot_id or thread.parent is None:
            return None
        record = self._memory.reply_of(thread.id)
        if record is not None and record.prompt is not None:
            return record.prompt
        try:
            starter = await thread.parent.fetch_message(thread.id)  # type: ignore[union-attr]
        except (discord.HTTPException, AttributeError):
            return None
        finally:
            self.fetches += 1
        head, quote, prompt = starter.content.partition(STARTER_QUOTE)
        if not quote:
            return None
        author = head.split("**")[1] if head.count("**") >= 2 else None
        return Turn("user", prompt, author)
