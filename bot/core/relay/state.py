"""One reply's state as its model events arrive: text, counters, timing and ending.

Pure bookkeeping with O(1) work per delta; the relay reads it when a write slot
comes up, and a front's layout reads it to draw a page.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from bot.core import errors
from bot.core.clock import Clock
from bot.core.conversation import estimate_tokens
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
        notes: tuple[str, ...] = (),
    ) -> None:
        self.requested_model = model
        #: The model that answered, once the server names it (the requested one until then).
        self.model = model
        #: Short lines a front shows with the reply (e.g. attachments it could not read).
        self.notes = notes
        self._clock = clock
        self._t0 = started_at
        self._on_text = on_text
        self._text: list[str] = []  # every delta, in order
        self._taken = 0  # deltas already handed to the page layout
        self._arrivals: list[float] = []  # when each delta not yet handed over arrived
        # Deltas handed over, not yet known to be shown: (arrival, end offset in the text).
        self._rendered: deque[tuple[float, int]] = deque()
        #: Characters handed to the page layout so far.
        self.taken_chars = 0
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
        self.code: str | None = None  # the model server's error code, for a failure
        #: Set when the reply is being stopped (by a user, or shutdown): its ending.
        self.stop_ending: Ending | None = None
        self.stop_detail: str | None = None

    def apply(self, event: StreamEvent) -> bool:
        """Take one model event into the state; True when what a page shows may change."""
        if isinstance(event, TextDelta):
            now = self._clock.now()
            if self.first_token is None:
                self.first_token = now - self._t0
                self.status = None
            self._text.append(event.text)
            self._arrivals.append(now)
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
            # Some servers send response.created again mid-stream: the first id stays.
            self.response_id = self.response_id or event.response_id or None
            self.model = event.model or self.model
            return False
        if isinstance(event, Finished):
            self.usage = event.usage
            self.model = event.model or self.model
            self.end(event.status, None if event.status == "completed" else event.reason)
            return True
        self.code = event.code
        self.end(event.status, event.message)
        return True

    def end(self, ending: Ending | None = None, detail: str | None = None) -> None:
        """Mark the reply ended (once); a requested stop wins over what the stream said."""
        if self.done:
            return
        if self.stop_ending is not None:
            ending, detail = self.stop_ending, self.stop_detail
        elif ending is None:
            ending, detail = "interrupted", errors.STREAM_ENDED_EARLY
        if ending == "incomplete":
            detail = errors.incomplete_reason_text(detail)
        self.ending, self.detail = ending, detail
        self.total = self._clock.now() - self._t0
        self.done = True

    @property
    def estimated_tokens(self) -> int:
        """Output tokens estimated from the text (servers merge and split deltas freely)."""
        return estimate_tokens(self.characters)

    def elapsed(self) -> float:
        """Seconds since the request, frozen at the ending."""
        return self.total if self.total is not None else self._clock.now() - self._t0

    def take_text(self) -> str:
        """The text that arrived since the last call."""
        if self._taken == len(self._text):
            return ""
        pieces = self._text[self._taken :]
        self._taken = len(self._text)
        end = self.taken_chars
        for piece, arrived in zip(pieces, self._arrivals, strict=True):
            end += len(piece)
            self._rendered.append((arrived, end))
        self.taken_chars = end
        self._arrivals.clear()
        return "".join(pieces)

    def shown(self, at: float, upto: int | None = None) -> list[float]:
        """Staleness of text now shown: seconds from each delta's arrival to ``at``.

        ``upto``: only the deltas that end within the first ``upto`` characters taken
        (a full page landed); ``None``: everything taken so far (the current page landed).
        """
        rendered = self._rendered
        samples = []
        while rendered and (upto is None or rendered[0][1] <= upto):
            samples.append(at - rendered.popleft()[0])
        return samples

    def text(self) -> str:
        """The reply's text as the model sent it."""
        return "".join(self._text)
