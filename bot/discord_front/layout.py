"""What a reply looks like in Discord: messages, live indicator, notices and footer.

Messages hold at most 2000 characters; while a reply streams its last message
ends with the live indicator, and at the end with the ending notice and the
latency footer.

:class:`MessageLayout` is the Discord :class:`~bot.core.relay.Layout`: it cuts a
growing reply into messages (see :mod:`bot.discord_front.split`) and draws each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core import errors
from bot.core.relay import ReplyState
from bot.core.reply import Attachment, Ending
from bot.discord_front.limits import MESSAGE_LIMIT
from bot.discord_front.split import FENCE_RESERVE, discord_len, open_fence, take_chunk

LIVE_INDICATOR = "⏳"
# Room kept under the body while live: the indicator line needs ~40 characters, but
# keeping room for the final footer (<= ~130 with a 60-character model name) means a
# completed reply never has to cut text it already showed to make the footer fit.
LIVE_RESERVE = 160
_MAX_MODEL = 60


@dataclass(frozen=True)
class Stats:
    """Numbers for the footer; latencies in seconds."""

    model: str
    first_token: float | None
    total: float
    output_tokens: int
    exact_tokens: bool = True


def _seconds(value: float) -> str:
    return f"{value:.2f} s"


def footer(stats: Stats) -> str:
    """``-# model · first token 0.41 s · total 1.98 s · 312 tokens · 157 tok/s``.

    A reply that failed before any text has no token count to show (not "~0").
    """
    model = stats.model if len(stats.model) <= _MAX_MODEL else stats.model[: _MAX_MODEL - 1] + "…"
    parts = [model]
    if stats.first_token is not None:
        parts.append(f"first token {_seconds(stats.first_token)}")
    parts.append(f"total {_seconds(stats.total)}")
    if stats.exact_tokens or stats.output_tokens:
        approx = "" if stats.exact_tokens else "~"
        parts.append(f"{approx}{stats.output_tokens} tokens")
    if stats.total > 0 and stats.output_tokens > 0:
        parts.append(f"{stats.output_tokens / stats.total:.0f} tok/s")
    return "-# " + " · ".join(parts)


def _close_fence(body: str) -> str:
    fence = open_fence(body)
    return body if fence is None else body + fence.closing()


def _notes(notes: tuple[str, ...]) -> list[str]:
    return [f"-# {note}" for note in notes]


def live(body: str, tokens: int, status: str | None = None, notes: tuple[str, ...] = ()) -> str:
    """A message still being written: text so far, any notes, then the indicator line.

    ``tokens`` is an estimate (servers merge and split deltas freely), shown as such.
    """
    line = f"-# {LIVE_INDICATOR} {status or 'writing…'}"
    if tokens:
        line += f" · ~{tokens} tokens"
    lines = [*_notes(notes), line]
    if body.strip():
        lines.insert(0, _close_fence(body))
    return "\n".join(lines)


def final_tail(
    ending: Ending, detail: str | None, stats: Stats, notes: tuple[str, ...] = ()
) -> str:
    """The lines under the last message: an optional notice, any notes, then the footer."""
    lines = [errors.notice(ending, detail), *_notes(notes), footer(stats)]
    return "\n".join(line for line in lines if line)


def final(body: str, tail: str) -> str:
    """A finished message: text (fence closed), then the tail lines."""
    if not body.strip():
        return tail
    return f"{_close_fence(body.rstrip())}\n{tail}"


#: The file a reply too long for the messages it may have is attached as.
ATTACHMENT_NAME = "reply.md"
_CLIPPED_LIVE = "…"
_CLIPPED_FINAL = f"…\n-# 📎 The whole reply is in the attached {ATTACHMENT_NAME}."


#: The last word of a text that does not end in a space (it may be cut in two).
_WORD_TAIL = re.compile(r"(?<=\s)\S{1,40}$")


class MessageLayout:
    """Discord messages: ``limit`` characters each, as Discord counts them.

    With ``max_messages`` (Discord caps the followups of an interaction where the
    bot is only installed by a user), the last message allowed shows what fits
    and, at the end, the whole reply comes as a Markdown file attached to it.
    """

    def __init__(self, limit: int = MESSAGE_LIMIT, max_messages: int | None = None) -> None:
        self._limit = limit
        self._max = max_messages

    def _tail(self, state: ReplyState) -> str:
        usage = state.usage
        stats = Stats(
            model=state.model,
            first_token=state.first_token,
            total=state.elapsed(),
            output_tokens=usage.output_tokens if usage else state.estimated_tokens,
            exact_tokens=usage is not None,
        )
        tail = final_tail(state.ending, state.detail, stats, state.notes)
        if state.ending == "completed" and state.characters == 0:
            tail = f"*{errors.EMPTY_REPLY}*\n" + tail
        return tail

    def _room(self, state: ReplyState) -> int:
        """Room for the text of a message: the limit less the lines under it and a fence close."""
        if state.done:
            decoration = discord_len(self._tail(state)) + 1
        else:
            decoration = LIVE_RESERVE + sum(discord_len(n) + 4 for n in state.notes)
        return self._limit - decoration - FENCE_RESERVE

    def _last_allowed(self, pages_before: int) -> bool:
        return self._max is not None and pages_before >= self._max - 1

    def paginate(
        self, body: str, state: ReplyState, keep: int, sealed: int
    ) -> tuple[list[str], str]:
        """Cut full messages off ``body``, keeping room for what goes under the text."""
        room = self._room(state)
        full: list[str] = []
        while discord_len(body) > room and not self._last_allowed(sealed + len(full)):
            # Cut after what the message already shows, so no shown text vanishes.
            head, body = take_chunk(body, room, keep=keep)
            full.append(head)
            keep = 0
        return full, body

    def _clip(self, body: str, state: ReplyState) -> str:
        """What fits of the last allowed message's text, marked as clipped."""
        marker = _CLIPPED_FINAL if state.done else _CLIPPED_LIVE
        room = self._room(state) - discord_len(marker)
        head, _ = take_chunk(body, room)
        return head + marker

    def render(self, body: str, state: ReplyState) -> str | None:
        """The current message: live with the indicator, or final with the footer."""
        if discord_len(body) > self._room(state):
            body = self._clip(body, state)
        if state.done:
            return final(body, self._tail(state))
        if not body.strip() and state.status is None and not state.notes:
            return None  # nothing to show yet: the typing indicator or "thinking" covers it
        return live(body, state.estimated_tokens, state.status, state.notes)

    def cut(
        self,
        body: str,
        state: ReplyState,  # noqa: ARG002 - the Layout protocol's signature
        note: str,
    ) -> tuple[str, str]:
        """A message finished early (its interaction token is expiring).

        Returns the text so far with ``note`` (where the reply continues) under it,
        and what the next message starts with: an open code block goes on there.
        """
        room = self._limit - discord_len(note) - 4
        if discord_len(body) > room:
            head, rest = take_chunk(body, room)
            return final(head, f"-# {note}"), rest
        # A word cut in two goes whole to the next message.
        partial = _WORD_TAIL.search(body)
        tail = partial.group() if partial is not None and partial.start() > 0 else ""
        head = body[: len(body) - len(tail)]
        fence = open_fence(head)
        rest = (fence.opening() if fence is not None else "") + tail
        return final(head, f"-# {note}"), rest

    def attachment(self, body: str, state: ReplyState) -> Attachment | None:
        """The whole reply as a file, when the last allowed message could not hold the rest."""
        if discord_len(body) <= self._room(state):
            return None
        return Attachment(ATTACHMENT_NAME, state.text().encode("utf-8"))
