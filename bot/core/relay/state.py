"""One reply's state as its model events arrive: text, counters, timing and ending.

Pure bookkeeping with O(1) work per delta; the relay reads it when a write slot
comes up, and a front's layout reads it to draw a page.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core import errors
from bot.core.clock import Clock
from bot.core.events import Finished, Started, Status, StreamEvent, TextDelta, Usage
from bot.core.reply import Ending


class ReplyState:
    """Everything known about a reply so far."""

    def __init__(
        self,
        model: str,
        clock: Clock,
        started_at: float,
        on_text: Callable[[str], None] | None = None,
    ) -> None:
        self.model = model
        self._clock = clock
        self._t0 = started_at
        self._on_text = on_text
        self._text: list[str] = []  # every delta, in order
        self._taken = 0  # deltas already handed to the page layout
        self.status: str | None = None
        self.deltas = 0
        self.characters = 0
        self.first_token: float | None = None
        self.total: float | None = None
        self.done = False
        self.ending: Ending = "completed"
        self.detail: str | None = None
        self.usage: Usage | None = None
        self.response_id: str | None = None
        #: Set when the reply is being stopped (by a user, or shutdown): its ending.
        self.stop_ending: Ending | None = None

    def apply(self, event: StreamEvent) -> bool:
        """Take one model event into the state; True when what a page shows may change."""
        if isinstance(event, TextDelta):
            if self.first_token is None:
                self.first_token = self._clock.now() - self._t0
                self.status = None
            self._text.append(event.text)
            self.deltas += 1
            self.characters += len(event.text)
            if self._on_text is not None:
                self._on_text(event.text)
            return True
        if isinstance(event, Status):
            if self.first_token is not None:
                return False
            self.status = event.text
            return True
        if isinstance(event, Started):
            self.response_id = event.response_id or None
            return False
        if isinstance(event, Finished):
            self.usage = event.usage
            self.end(event.status, None if event.status == "completed" else event.reason)
            return True
        self.end(event.status, event.message)
        return True

    def end(self, ending: Ending | None = None, detail: str | None = None) -> None:
        """Mark the reply ended (once); a requested stop wins over what the stream said."""
        if self.done:
            return
        if self.stop_ending is not None:
            ending, detail = self.stop_ending, None
        elif ending is None:
            ending, detail = "interrupted", errors.STREAM_ENDED_EARLY
        if ending == "incomplete":
            detail = errors.incomplete_reason_text(detail)
        self.ending, self.detail = ending, detail
        self.total = self._clock.now() - self._t0
        self.done = True

    def elapsed(self) -> float:
        """Seconds since the request, frozen at the ending."""
        return self.total if self.total is not None else self._clock.now() - self._t0

    def take_text(self) -> str:
        """The text that arrived since the last call."""
        if self._taken == len(self._text):
            return ""
        new = "".join(self._text[self._taken :])
        self._taken = len(self._text)
        return new

    def text(self) -> str:
        """The reply's text as the model sent it."""
        return "".join(self._text)
