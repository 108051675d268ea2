"""The types every part of a reply shares: where it is written, who asked, how it ended.

A front provides a :class:`Sink` (where pages of a reply are written) and an
:class:`Origin` (who asked and where, in the front's own terms); the core hands
back an :class:`Outcome` when the reply has ended.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from bot.core.events import Usage

Ending = Literal["completed", "incomplete", "failed", "error", "interrupted", "stopped", "shutdown"]


@dataclass(frozen=True)
class Attachment:
    """A file written with a page (a reply too long for the pages it may have)."""

    name: str
    data: bytes = field(repr=False)


class SinkGoneError(Exception):
    """The reply can no longer be written anywhere.

    Its page was deleted, or the channel is gone or closed to the bot; the message
    names the place and the cause.
    """


class SinkMovedError(Exception):
    """The current page can no longer be edited, but the reply can go on in new pages.

    The relay finishes the page as it stands with ``note`` (where the rest continues)
    and writes the rest on new pages.
    """

    def __init__(self, note: str) -> None:
        super().__init__(note)
        self.note = note


class Sink(Protocol):
    """Where a reply is written, page by page: a channel message, an interaction response."""

    @property
    def bucket(self) -> str:
        """The pacing bucket its writes count against (e.g. ``channel:<id>``)."""
        ...

    @property
    def existing(self) -> int:
        """Pages that exist before the first write (1 for a deferred interaction)."""
        ...

    async def send(self, content: str, *, live: bool, attachment: Attachment | None = None) -> None:
        """Create the next page of the reply; ``live`` while the reply is still streaming."""
        ...

    async def edit(
        self, index: int, content: str, *, live: bool, attachment: Attachment | None = None
    ) -> None:
        """Replace the content of page ``index``; ``live`` only for the current page."""
        ...

    def unpaced(self, index: int) -> bool:
        """Whether the next write of page ``index`` needs no pacing slot.

        True when the platform offers a write outside the page's rate-limit
        bucket, such as answering a button press on that page.
        """
        ...

    def rate_limited(self) -> int:
        """How many of this sink's requests the platform answered with 429 so far."""
        ...

    def must_seal(self, page: int) -> str | None:
        """A note when the current page (index ``page``) must be finished now, else ``None``.

        The platform will soon refuse edits to it; the reply continues on new pages,
        and the note (shown on the finished page) says where.
        """
        ...

    def landed(self) -> float | None:
        """When the last write was accepted, on ``time.monotonic()``; ``None``: when it returned.

        A platform client may hold a call after the platform answered (discord.py sleeps
        out an exhausted rate-limit bucket before returning); staleness counts to the
        answer, which is when people could see the text.
        """
        ...


@dataclass(frozen=True)
class Origin:
    """Who asked for a reply and where, in the terms of the front that took the request.

    ``trigger`` names how the front was asked (``mention``, ``slash``, ...);
    ``where`` holds the front's own location fields (for Discord: guild and channel
    ids). Both go into the reply's log records as they are.
    """

    trigger: str
    user_id: int | str
    where: Mapping[str, int | str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """How a reply ended, with the numbers for the canonical log record."""

    ending: Ending
    detail: str | None
    response_id: str | None
    first_token: float | None
    total: float
    usage: Usage | None
    deltas: int
    characters: int
    writes: int
    messages: int
    write_errors: int
    final_written: bool
    rate_limited: int = 0
    model: str = ""
    code: str | None = None  # the model server's error code, for a failure
