"""Writing a reply to a terminal (or a pipe) as it streams.

:class:`TerminalSink` is a :class:`~bot.core.reply.Sink` for the plain layout:
each write prints only what is new. On a terminal with colour, a dim live token
counter follows the text while it streams (saved and restored cursor, so the
next text overwrites it); into a pipe only the text goes out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TextIO

from bot.core.conversation import estimate_tokens
from bot.core.errors import notice
from bot.core.pacing import LOCAL_PREFIX
from bot.core.relay.plain import TextSink
from bot.core.reply import Outcome

DIM, BOLD, RED, YELLOW, RESET = "\033[2m", "\033[1m", "\033[31m", "\033[33m", "\033[0m"
SAVE, RESTORE, CLEAR_BELOW = "\0337", "\0338", "\033[J"


@dataclass
class Screen:
    """Where the reply goes (``out``), where notes go (``err``), and whether to colour."""

    out: TextIO
    err: TextIO
    color: bool

    @classmethod
    def of(cls, out: TextIO, err: TextIO, *, no_color: bool) -> Screen:
        """Colour only on a terminal, never with ``--no-color`` or ``NO_COLOR``."""
        color = out.isatty() and not no_color and not os.environ.get("NO_COLOR")
        return cls(out, err, color)

    def paint(self, text: str, style: str) -> str:
        """``text`` in ``style`` when colouring."""
        return f"{style}{text}{RESET}" if self.color else text


def latency_line(outcome: Outcome) -> str:
    """``(first token 0.41 s · total 1.98 s · 312 tokens · 158 tok/s)``."""
    parts = []
    if outcome.first_token is not None:
        parts.append(f"first token {outcome.first_token:.2f} s")
    parts.append(f"total {outcome.total:.2f} s")
    usage = outcome.usage
    tokens = usage.output_tokens if usage else estimate_tokens(outcome.characters)
    if usage or tokens:
        parts.append(f"{'' if usage else '~'}{tokens} tokens")
    if tokens and outcome.total > 0:
        parts.append(f"{tokens / outcome.total:.0f} tok/s")
    return f"({' · '.join(parts)})"


class TerminalSink(TextSink):
    """Prints a reply as it grows: only the new text each time."""

    def __init__(self, screen: Screen, *, counter: bool) -> None:
        super().__init__(f"{LOCAL_PREFIX}terminal")
        self._screen = screen
        self._counter = counter and screen.color
        self._printed = ""

    def show(self, content: str, live: bool) -> None:
        """Print what is new; on a terminal, the live token counter after it."""
        new = content.removeprefix(self._printed)
        self._printed = content
        out = self._screen.out
        if self._counter:
            out.write(CLEAR_BELOW)
        out.write(new)
        if self._counter and live:
            count = f" ~{estimate_tokens(len(content))} tokens"
            out.write(SAVE + self._screen.paint(count, DIM) + RESTORE)
        out.flush()

    def finish(self, outcome: Outcome, *, latency_to: TextIO) -> None:
        """End the reply: its ending if it did not simply complete, then the latency line."""
        out = self._screen.out
        if self._counter:
            out.write(CLEAR_BELOW)
        if self._printed and not self._printed.endswith("\n"):
            out.write("\n")
        out.flush()
        ending = notice(outcome.ending, None if outcome.ending == "stopped" else outcome.detail)
        if ending:
            style = YELLOW if outcome.ending in {"incomplete", "stopped", "shutdown"} else RED
            self._screen.err.write(self._screen.paint(ending, style) + "\n")
        latency_to.write(self._screen.paint(latency_line(outcome), DIM) + "\n")
        latency_to.flush()
