"""What the bot remembers of recent messages: its own replies, and messages it parsed.

Walking a reply chain must not cost a REST call per message. The bot therefore
keeps, within fixed bounds:

* a record of each of its recent replies: the messages it was written in, the
  message (or the /chat prompt) it answered, and its exact text once finished,
  so a reply is given back to the model verbatim, whichever part a user replies to;
* the messages it parsed recently (:class:`~bot.discord_front.parse.Seen`), so a
  chain walked again costs nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from bot.core.conversation import Turn
from bot.discord_front.parse import Seen

MAX_REPLIES = 2000
MAX_REPLY_CHARACTERS = 8_000_000
MAX_SEEN = 5000


@dataclass
class ReplyRecord:
    """One of the bot's replies.

    ``question_id`` is the message it answered (``None`` for /chat); ``prompt`` is the
    question when it was not a message (the /chat prompt); ``text`` is set at the end.
    """

    reply_id: str
    channel_id: int
    question_id: int | None
    prompt: Turn | None
    message_ids: list[int] = field(default_factory=list)
    text: str | None = None


class Memory:
    """Bounded records of replies and parsed messages (oldest forgotten first)."""

    def __init__(self) -> None:
        self._replies: OrderedDict[str, ReplyRecord] = OrderedDict()
        self._by_message: dict[int, str] = {}
        self._characters = 0
        self._seen: OrderedDict[int, Seen] = OrderedDict()

    # -- replies ------------------------------------------------------------------

    def reply_started(
        self, reply_id: str, channel_id: int, question_id: int | None, prompt: Turn | None = None
    ) -> None:
        """Remember a reply that is about to be written."""
        self._replies[reply_id] = ReplyRecord(reply_id, channel_id, question_id, prompt)
        self._trim()

    def reply_message(self, reply_id: str, message_id: int) -> None:
        """A message of the reply was created (called by the sink, in order)."""
        record = self._replies.get(reply_id)
        if record is not None:
            record.message_ids.append(message_id)
            self._by_message[message_id] = reply_id

    def reply_finished(self, reply_id: str, text: str) -> None:
        """The reply ended with ``text`` (what the model wrote, decorations aside)."""
        record = self._replies.get(reply_id)
        if record is not None and record.text is None:
            record.text = text
            self._characters += len(text)
            self._replies.move_to_end(reply_id)
            self._trim()

    def reply_of(self, message_id: int) -> ReplyRecord | None:
        """The reply that message belongs to, if the bot remembers it."""
        reply_id = self._by_message.get(message_id)
        return None if reply_id is None else self._replies.get(reply_id)

    def _trim(self) -> None:
        while self._replies and (
            len(self._replies) > MAX_REPLIES or self._characters > MAX_REPLY_CHARACTERS
        ):
            _, old = self._replies.popitem(last=False)
            self._characters -= len(old.text or "")
            for message_id in old.message_ids:
                self._by_message.pop(message_id, None)

    # -- parsed messages -----------------------------------------------------------

    def seen(self, message_id: int) -> Seen | None:
        """A message parsed before, if still remembered."""
        found = self._seen.get(message_id)
        if found is not None:
            self._seen.move_to_end(message_id)
        return found

    def remember(self, seen: Seen) -> Seen:
        """Keep a parsed message (the newest version wins)."""
        self._seen[seen.id] = seen
        self._seen.move_to_end(seen.id)
        while len(self._seen) > MAX_SEEN:
            self._seen.popitem(last=False)
        return seen

    def forget(self, message_id: int) -> None:
        """A message was deleted or edited: parse it again next time."""
        self._seen.pop(message_id, None)

    def __len__(self) -> int:
        return len(self._seen) + len(self._replies)
