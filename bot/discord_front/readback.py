"""Reading the bot's own messages back into the text the model wrote.

The inverse of :mod:`bot.discord_front.layout` and :mod:`bot.discord_front.split`:
the live indicator, notes, notices and footer are dropped (the model never sees
them), and a reply written as several messages is joined back into one text,
undoing the code-block close and reopen added at each cut.

This is the fallback for messages the bot has no record of (written before a
restart); replies it remembers are taken verbatim from its records.
"""

from __future__ import annotations

from bot.core import errors
from bot.discord_front.split import open_fence

#: Lines the layout puts under a reply's text start with one of these.
_NOTICES = ("⚠️ Cut off:", "⏹️ Stopped", "⚠️ Interrupted:", "❌ ")
_EMPTY = f"*{errors.EMPTY_REPLY}*"
_SMALL = "-# "


def body(content: str) -> tuple[str, bool]:
    """The model's text in one of the bot's messages, and whether it carried decorations.

    A message with decorations (the live indicator, or a footer) is the last
    part of a reply; a part before it carries none.
    """
    lines = content.split("\n")
    decorated = False
    while lines and lines[-1].startswith(_SMALL):
        lines.pop()
        decorated = True
    if decorated and lines and lines[-1].startswith(_NOTICES):
        lines.pop()
    if decorated and lines and lines[-1] == _EMPTY:
        lines.pop()
    return "\n".join(lines).rstrip(), decorated


def join(parts: list[str]) -> str:
    """One text from a reply's messages, oldest first.

    Where a code block was cut, the first part ends with the closing marker the
    bot added and the next begins with the marker that reopens it: both go.
    The whitespace at a cut is not known any more; a line break stands for it.
    """
    text = ""
    for part in parts:
        if not text:
            text = part
            continue
        head = text.removesuffix("\n```")
        fence = open_fence(head) if head != text else None
        if fence is not None:
            for opening in (fence.opening(), f"{fence.marker}\n"):
                if part.startswith(opening):
                    text = f"{head}\n{part[len(opening) :]}"
                    break
            else:
                text = f"{text}\n{part}"
        else:
            text = f"{text}\n{part}"
    return text
