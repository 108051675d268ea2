"""What the core keeps between restarts, behind a small interface any database can serve.

:class:`Store` is all the core and the fronts know of storage; ``bot.store.sqlite``
implements it with an embedded SQLite file. Ids are kept as text (Discord's ids are
64-bit, and a front may use other kinds), times as ISO-8601 UTC text and days as
``YYYY-MM-DD`` (UTC), so the same SQL serves another database later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

Rule = Literal["allow", "block"]
Target = Literal["user", "role", "channel", "category"]


def now_iso() -> str:
    """The current time, as stored."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def today() -> str:
    """Today's date (UTC), as usage is counted."""
    return datetime.now(UTC).date().isoformat()


@dataclass(frozen=True)
class SettingChange:
    """One change of a setting: who changed what, when, from what to what."""

    scope: str
    scope_id: str
    key: str
    old: str | None
    new: str | None
    by: str
    at: str


@dataclass(frozen=True)
class AccessEntry:
    """One line of a server's access lists."""

    guild_id: str
    rule: Rule
    target: Target
    target_id: str
    by: str = ""
    at: str = ""


@dataclass(frozen=True)
class UsageRecord:
    """What one reply cost, from the API's usage."""

    day: str
    guild_id: str | None
    user_id: str
    model: str
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    estimated: bool = False


@dataclass(frozen=True)
class UsageTotal:
    """Tokens and replies summed over some usage records."""

    replies: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def tokens(self) -> int:
        """Input and output tokens together (what a budget counts)."""
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class InFlight:
    """A reply being written: where its messages are, until its final write lands.

    ``token`` is the interaction token for a reply written through an interaction
    (kept only while it can be used), ``messages`` the ids written so far.
    """

    reply_id: str
    channel_id: str
    token: str | None = None
    token_expires: float | None = None
    messages: tuple[str, ...] = ()


class Store(Protocol):
    """The bot's durable state."""

    async def close(self) -> None:
        """Finish pending writes and close."""
        ...

    async def settings(self, scope: str, scope_id: str) -> dict[str, str]:
        """The settings stored for one scope (``guild`` or ``channel``)."""
        ...

    async def change_setting(
        self, scope: str, scope_id: str, key: str, value: str | None, by: str
    ) -> str | None:
        """Set (or with ``None`` remove) a setting, record the change; returns the old value."""
        ...

    async def setting_history(
        self, scopes: list[tuple[str, str]], limit: int
    ) -> list[SettingChange]:
        """The latest changes in these scopes, newest first."""
        ...

    async def access(self, guild_id: str) -> list[AccessEntry]:
        """A server's access lists."""
        ...

    async def change_access(self, entry: AccessEntry, *, add: bool) -> bool:
        """Add or remove one entry; False when there was nothing to change."""
        ...

    async def record_usage(self, record: UsageRecord) -> None:
        """Add one reply's usage."""
        ...

    async def usage(
        self, day: str, *, user_id: str | None = None, guild_id: str | None = None
    ) -> UsageTotal:
        """Usage summed over a day, for one user and/or one server."""
        ...

    async def top_users(self, day: str, guild_id: str, limit: int) -> list[tuple[str, UsageTotal]]:
        """The users of a server who used the most tokens that day."""
        ...

    async def reply_started(self, reply: InFlight) -> None:
        """A reply began."""
        ...

    async def reply_message(self, reply_id: str, message_id: str) -> None:
        """A reply created a message."""
        ...

    async def reply_done(self, reply_id: str) -> None:
        """A reply's final write landed."""
        ...

    async def unfinished(self) -> list[InFlight]:
        """Replies that never finished (a crash): to clean up at start-up."""
        ...
