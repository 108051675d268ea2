"""What the fake server saw: every request (``Received``) and every stream (``StreamRecord``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.fakes.responses_api.script import Script


@dataclass
class Received:
    """One HTTP request the fake received (every attempt, including rejected ones).

    ``headers`` keys are lower-cased. ``attempt_status`` is the HTTP status answered.
    """

    t: float
    body: dict[str, Any]
    headers: dict[str, str]
    attempt_status: int = 0

    @property
    def prompt(self) -> str:
        """The text of ``input`` (a string, or the text parts of input messages)."""
        return _input_text(self.body.get("input"))


@dataclass
class StreamRecord:
    """One streamed response, as the server saw it."""

    response_id: str
    model: str
    started: float
    request: Received
    script: Script
    delta_times: list[tuple[float, int]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""
    ended: float | None = None
    ended_how: str | None = None
    closed_by_client: bool = False

    @property
    def event_types(self) -> list[str]:
        """Types of the events written so far, in order."""
        return [e["type"] for e in self.events]

    @property
    def ttft(self) -> float | None:
        """Seconds from the request arriving to the first delta being written."""
        return self.delta_times[0][0] - self.request.t if self.delta_times else None


# --------------------------------------------------------------------------- helpers


def _input_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    parts: list[str] = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                parts.append(item)
            elif isinstance(item, dict):
                content = item.get("content")
                if isinstance(content, str):
                    parts.append(content)
                elif isinstance(content, list):
                    parts.extend(
                        p["text"]
                        for p in content
                        if isinstance(p, dict) and isinstance(p.get("text"), str)
                    )
    return "\n".join(parts)
