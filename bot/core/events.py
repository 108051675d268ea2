"""What a model stream is made of, once normalised: a few plain, frozen events.

:meth:`bot.core.llm.LLM.stream` yields these; the relay, the reply service and
every front consume them. The last event of a stream is always :class:`Finished`
or :class:`Failed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FailureStatus = Literal["failed", "error", "interrupted"]


@dataclass(frozen=True)
class Usage:
    """Token counts reported by the API."""

    input_tokens: int
    output_tokens: int
    reasoning_tokens: int = 0


@dataclass(frozen=True)
class Started:
    """The server accepted the request (``response.created``)."""

    response_id: str
    model: str


@dataclass(frozen=True)
class TextDelta:
    """A piece of the reply; ``refusal`` marks refusal text."""

    text: str
    refusal: bool = False


@dataclass(frozen=True)
class Status:
    """Progress worth showing while no text has arrived (searching, thinking)."""

    text: str


@dataclass(frozen=True)
class Finished:
    """The stream ended normally: completed, or incomplete with a reason.

    ``model`` is the model that answered, as the final response names it (``""``
    when it does not).
    """

    status: Literal["completed", "incomplete"]
    usage: Usage | None = None
    reason: str | None = None
    model: str = ""


@dataclass(frozen=True)
class Failed:
    """The stream ended badly. ``message`` is safe to show to users."""

    status: FailureStatus
    message: str
    code: str | None = None


StreamEvent = Started | TextDelta | Status | Finished | Failed
