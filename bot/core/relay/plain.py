"""A layout for fronts that show text as it comes: one page, no size limit, no decorations.

A terminal or an HTTP stream shows the reply's text itself and tells the ending
its own way; this layout just hands over the text written so far.
"""

from __future__ import annotations

from bot.core.relay.state import ReplyState
from bot.core.reply import Attachment


class PlainLayout:
    """One unlimited page holding exactly the model's text."""

    def paginate(
        self,
        body: str,
        state: ReplyState,  # noqa: ARG002 - the Layout protocol's signature
        keep: int,  # noqa: ARG002
        sealed: int,  # noqa: ARG002
    ) -> tuple[list[str], str]:
        """Never cuts."""
        return [], body

    def render(self, body: str, state: ReplyState) -> str | None:
        """The text so far (``None`` before the first text, unless the reply ended)."""
        if not body and not state.done:
            return None
        return body

    def attachment(
        self,
        body: str,  # noqa: ARG002 - the Layout protocol's signature
        state: ReplyState,  # noqa: ARG002
    ) -> Attachment | None:
        """Never a file."""
        return None

    def cut(
        self,
        body: str,
        state: ReplyState,  # noqa: ARG002 - the Layout protocol's signature
        note: str,  # noqa: ARG002
    ) -> tuple[str, str]:
        """Never needed (one page), but harmless: the text as it stands."""
        return body, ""


class TextSink:
    """A sink for :class:`PlainLayout` outputs: every write hands over the text so far.

    Subclasses implement :meth:`show`; there is one page, nothing is rate limited
    beyond the local bucket, and files are never written.
    """

    existing = 0

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def show(self, content: str, live: bool) -> None:
        """Show ``content`` (the whole text so far); ``live`` until the reply ended."""
        raise NotImplementedError

    async def send(
        self,
        content: str,
        *,
        live: bool,
        attachment: Attachment | None = None,  # noqa: ARG002 - the Sink protocol's signature
    ) -> None:
        """The first text."""
        self.show(content, live)

    async def edit(
        self,
        index: int,  # noqa: ARG002 - one page only
        content: str,
        *,
        live: bool,
        attachment: Attachment | None = None,  # noqa: ARG002
    ) -> None:
        """More text."""
        self.show(content, live)

    def unpaced(self, index: int) -> bool:  # noqa: ARG002 - the Sink protocol's signature
        """Every write takes a (local) slot."""
        return False

    def rate_limited(self) -> int:
        """Nothing local says 429."""
        return 0

    def landed(self) -> float | None:
        """A local write is visible when it returns."""
        return None

    def must_seal(self, page: int) -> str | None:  # noqa: ARG002 - the Sink protocol's signature
        """A local output never expires."""
        return None
