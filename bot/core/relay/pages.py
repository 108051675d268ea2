"""Which page of a reply to write next, and with what: the relay's bookkeeping.

A reply is written as a sequence of pages (for Discord, messages of at most 2000
characters). The front's :class:`Layout` decides where a page is full and how a
page looks; :class:`Pages` remembers what each page shows, so a page that has
reached its final form is never written again, and text a page already showed
never vanishes from it when the page fills up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.core.relay.state import ReplyState
from bot.core.reply import Attachment


class Layout(Protocol):
    """How a growing text becomes pages: a front's page size, markup and decorations."""

    def paginate(
        self, body: str, state: ReplyState, keep: int, sealed: int
    ) -> tuple[list[str], str]:
        """Cut full pages off the front of ``body``.

        Returns the final content of each full page and the text left for the
        current page. ``keep`` is how much of ``body`` the current page already
        shows (a cut should not fall before it); ``sealed`` is how many pages are
        full already (a front may allow only so many).
        """
        ...

    def render(self, body: str, state: ReplyState) -> str | None:
        """The current page's content, or ``None`` when there is nothing to show yet."""
        ...

    def attachment(self, body: str, state: ReplyState) -> Attachment | None:
        """A file for the final write of the last page, when its text did not fit."""
        ...

    def cut(self, body: str, state: ReplyState, note: str) -> tuple[str, str]:
        """Finish a page early.

        Returns its final content, ending with ``note``, and the text the next page
        starts with (e.g. a code fence to reopen).
        """
        ...


@dataclass(frozen=True)
class Write:
    """One write to make: which page, what it shows, whether it is live, and a file."""

    index: int
    content: str
    live: bool
    attachment: Attachment | None = None


class Pages:
    """The pages written so far and the text of the current one."""

    def __init__(self, layout: Layout, existing: int = 0) -> None:
        self._layout = layout
        self._sealed: list[str] = []  # final content of every page before the current one
        # For each sealed page: how many of the characters taken from the reply's text it
        # shows with those before it (estimated from the page sizes within one seal).
        self._sealed_upto: list[int] = []
        self._written: list[str | None] = [None] * existing
        self._settled = 0  # leading sealed pages already written in their final form
        self._body = ""  # the current page's text
        self._shown = 0  # body characters the current page showed in its last write
        self._rendered = 0  # body characters of the content _current() returned last

    @property
    def count(self) -> int:
        """Pages that exist (written at least once, or existing before the reply)."""
        return len(self._written)

    def _current(self, state: ReplyState) -> str | None:
        """Seal full pages; return the content the current page should have."""
        body = self._body + state.take_text()
        full, body = self._layout.paginate(body, state, self._shown, len(self._sealed))
        if full:
            # Whatever the current page keeps was taken last; the sealed pages hold the
            # rest, split between them by size (a continuation may repeat a fence line).
            upto = max(0, state.taken_chars - len(body))
            start = self._sealed_upto[-1] if self._sealed_upto else 0
            for page in full:
                start = min(upto, start + len(page))
                self._sealed_upto.append(start)
            self._sealed_upto[-1] = max(self._sealed_upto[-1], upto)
            self._sealed.extend(full)
            self._shown = 0
        self._body = body
        self._rendered = len(body)
        return self._layout.render(body, state)

    def next_write(self, state: ReplyState) -> Write | None:
        """The page to write now, its content and whether it is still live.

        ``None`` when everything is shown. Only the current page of a reply that
        has not ended is live; a full page or a final one is not.
        """
        current = self._current(state)
        sealed, written = self._sealed, self._written
        while (
            self._settled < len(sealed)
            and self._settled < len(written)
            and written[self._settled] == sealed[self._settled]
        ):
            self._settled += 1
        if self._settled < len(sealed):
            return Write(self._settled, sealed[self._settled], live=False)
        index = len(sealed)
        if current is None:
            return None
        if index < len(written) and written[index] == current:
            return None
        attachment = self._layout.attachment(self._body, state) if state.done else None
        return Write(index, current, not state.done, attachment)

    @property
    def current_index(self) -> int:
        """The index of the page still growing."""
        return len(self._sealed)

    def is_current(self, index: int) -> bool:
        """Whether page ``index`` is the one still growing."""
        return index == len(self._sealed)

    def cut(self, state: ReplyState, note: str, *, shown_only: bool = False) -> None:
        """Finish the current page with ``note``; the text goes on in the next page.

        ``shown_only``: the page can no longer be written, so it is finished as it was
        last shown and everything after that goes to the next page (nothing is lost).
        """
        body = self._body + state.take_text()
        rest = ""
        if shown_only:
            body, rest = body[: self._shown], body[self._shown :]
        content, carry = self._layout.cut(body, state, note)
        carry += rest
        previous = self._sealed_upto[-1] if self._sealed_upto else 0
        self._sealed_upto.append(max(previous, state.taken_chars - len(carry)))
        self._sealed.append(content)
        self._body = carry
        self._shown = 0
        self._rendered = len(carry)

    def is_new(self, index: int) -> bool:
        """Whether writing page ``index`` creates it (rather than editing it)."""
        return index >= len(self._written)

    def shown_upto(self, index: int) -> int | None:
        """Characters of the reply's text visible once page ``index`` landed (``None``: all)."""
        return self._sealed_upto[index] if index < len(self._sealed_upto) else None

    def record(self, index: int, content: str) -> bool:
        """Remember that page ``index`` now shows ``content``; True for the current page."""
        if index < len(self._written):
            self._written[index] = content
        else:
            self._written.append(content)
        current = index == len(self._sealed)
        if current:
            self._shown = self._rendered
        return current
