"""What a chat front reports about itself to observers (health checks, metrics).

The Discord front implements :class:`FrontStatus`; the HTTP server reads it without
knowing which front it is, so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Gateway:
    """The front's live connection: open or not, and its round-trip time."""

    connected: bool
    latency: float | None = None


@dataclass(frozen=True)
class Traffic:
    """Counters of the front's requests to its platform since start.

    ``requests`` counts by (kind, HTTP status), kind being ``send``, ``edit``,
    ``respond``, ``typing``, ``read`` or ``other``; ``rate_limited`` counts 429s by
    the scope the platform gave (``user``, ``global``, ``shared``, ...).
    """

    requests: Mapping[tuple[str, str], int] = field(default_factory=dict)
    rate_limited: Mapping[str, int] = field(default_factory=dict)


class FrontStatus(Protocol):
    """A front that can say how it is doing."""

    name: str

    def gateway(self) -> Gateway:
        """The connection's state now."""
        ...

    def traffic(self) -> Traffic:
        """The request counters now."""
        ...
