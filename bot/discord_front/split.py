"""Cut long replies into Discord-sized messages without breaking markdown.

A cut prefers a paragraph break, then a line break, then a sentence end, then a
space; a code block open at the cut is closed in the old message and reopened
(same language) at the start of the new one.

Code blocks are tracked the way Discord renders them, not as CommonMark says:
Discord pairs ``` markers lazily, in order, wherever they stand (a "```python"
line inside an open block closes it), and does not know ~~~ fences. Deciding
the state any other way would make the closing marker added at a cut show as
stray backticks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARKER = "```"
# What Discord takes as a code block's language: letters, digits and a few signs, up to
# the end of the line the opening marker is on.
_LANGUAGE = re.compile(r"[A-Za-z0-9_+\-.#]*")
_SENTENCE_END = re.compile(r"[.!?…][)\]\"'*_]*\s")
# Languages longer than this are not carried into the next message.
_MAX_INFO = 32
#: Room kept for closing an open fence after a body ("\n" plus the marker).
FENCE_RESERVE = 12


@dataclass(frozen=True)
class Fence:
    """An open code block: its marker (always ```` ``` ```` for Discord) and language."""

    marker: str = _MARKER
    info: str = ""

    def opening(self) -> str:
        """The line that reopens this fence, newline included."""
        info = self.info if len(self.info) <= _MAX_INFO else ""
        return f"{self.marker}{info}\n"

    def closing(self) -> str:
        """What closes this fence after arbitrary text."""
        return f"\n{self.marker}"


def discord_len(text: str) -> int:
    """Length as Discord may count it (UTF-16 code units: an emoji can count twice)."""
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int) -> int:
    """The longest prefix length of ``text`` whose Discord length is at most ``limit``."""
    n = min(len(text), limit)
    while n > 0:
        excess = discord_len(text[:n]) - limit
        if excess <= 0:
            break
        n -= max(1, excess // 2)
    return max(n, 0)


def open_fence(text: str, state: Fence | None = None) -> Fence | None:
    """The code block still open at the end of ``text``, starting from ``state``.

    Every ``` toggles the state, as Discord pairs them; an opening marker takes
    the language written right after it on its line.
    """
    at = text.find(_MARKER)
    while at != -1:
        end = at + len(_MARKER)
        if state is None:
            line_end = text.find("\n", end)
            rest = text[end:] if line_end == -1 else text[end:line_end]
            language = rest if _LANGUAGE.fullmatch(rest) else ""
            state = Fence(_MARKER, language)
        else:
            state = None
        at = text.find(_MARKER, end)
    return state


def split_point(text: str, limit: int, keep: int = 0) -> int:
    """Where to cut ``text`` so that the first part has at most ``limit`` characters.

    Returns an index just after the chosen boundary. Soft boundaries in the first
    half are ignored so every message carries a fair amount of text, and, where a
    boundary exists after it, the cut does not fall before ``keep`` (text already
    shown in this message, which should not vanish from it).
    """
    n = fit(text, limit)
    if n >= len(text):
        return len(text)
    window = text[:n]
    floors = [n // 2]
    if n // 2 < keep < n:
        floors.insert(0, keep)
    for floor in floors:
        for separator in ("\n\n", "\n"):
            at = window.rfind(separator, floor)
            if at != -1:
                return at + len(separator)
        ends = [m.end() for m in _SENTENCE_END.finditer(window, floor)]
        if ends:
            return ends[-1]
        at = window.rfind(" ", floor)
        if at != -1:
            return at + 1
    return n


def take_chunk(body: str, limit: int, keep: int = 0) -> tuple[str, str]:
    """Split ``body`` into a message of at most ``limit`` and the text that follows.

    The first part is final content (any open fence closed); the rest starts with
    the reopened fence if one was open. ``body`` must be longer than ``limit``;
    ``keep`` is how much of it the message already shows (see :func:`split_point`).
    """
    cut = split_point(body, limit - FENCE_RESERVE, keep)
    head, rest = body[:cut], body[cut:]
    fence = open_fence(head)
    head = head.rstrip()
    if fence is None:
        return head, rest.lstrip("\n")
    opening = fence.opening()
    if len(opening) >= cut:
        opening = f"{fence.marker}\n"
    return head + fence.closing(), opening + rest.lstrip("\n")
