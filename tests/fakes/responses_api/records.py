"""What the fake server saw: every request (``Received``) and every stream (``StreamRecord``).

``Received.messages`` is the parsed ``input``: a list of ``InputMessage(role, parts)``
whose parts are ``TextPart`` / ``ImagePart`` / ``OtherPart`` (parsed and validated by
inputs.py before any script runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from tests.fakes.responses_api.script import Script

# --------------------------------------------------------------------------- input parts


@dataclass(frozen=True)
class TextPart:
    """A text part: ``input_text`` (user/system/developer), ``output_text`` or ``refusal``.

    A plain-string ``content`` becomes one ``TextPart`` (``input_text``, or ``output_text``
    for an assistant message).
    """

    text: str
    type: str = "input_text"


@dataclass(frozen=True)
class ImagePart:
    """An ``input_image`` part.

    For a data URL: ``mime`` is the declared MIME type, ``size`` the decoded byte length and
    ``sha256`` the hex digest of the decoded bytes (``url`` is ``None``, to keep records
    small). For an ``https://`` URL only ``url`` is set (the fake never fetches it); for a
    ``file_id`` only ``file_id``. ``detail`` defaults to ``"auto"`` like OpenAI.
    """

    mime: str | None = None
    size: int | None = None
    sha256: str | None = None
    url: str | None = None
    file_id: str | None = None
    detail: str = "auto"


@dataclass(frozen=True)
class OtherPart:
    """A part this fake accepts but does not model (``input_file``): its raw dict."""

    type: str
    raw: dict[str, Any]


Part = TextPart | ImagePart | OtherPart


class InputMessage(NamedTuple):
    """One input message: ``role, parts = message`` unpacks it."""

    role: str
    parts: list[Part]

    @property
    def text(self) -> str:
        """The text parts (``input_text``, ``output_text``, ``refusal``) joined by newlines."""
        return "\n".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def images(self) -> list[ImagePart]:
        """The image parts, in order."""
        return [p for p in self.parts if isinstance(p, ImagePart)]


# --------------------------------------------------------------------------- requests


@dataclass
class Received:
    """One HTTP request the fake received (every attempt, including rejected ones).

    ``headers`` keys are lower-cased. ``attempt_status`` is the HTTP status answered.
    ``messages`` is the parsed ``input`` (a plain string is one user message); it stays
    empty when the request was rejected before its input was parsed (bad key, bad JSON,
    bad input). ``error`` is the ``error`` object of a JSON error answer, if any.
    """

    t: float
    body: dict[str, Any]
    headers: dict[str, str]
    attempt_status: int = 0
    messages: list[InputMessage] = field(default_factory=list)
    error: dict[str, Any] | None = None

    @property
    def prompt(self) -> str:
        """The text of the latest user turn.

        A plain-string ``input`` is returned as it is. For a list of messages it is the
        text of the last user message; when the list ends with several user messages in a
        row (one turn sent as several messages) their texts are joined by newlines. Older
        turns, assistant replies and system/developer messages are left out: use
        ``messages`` (or ``user_texts``) for those.
        """
        value = self.body.get("input")
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        return _last_user_turn(value)

    @property
    def user_texts(self) -> list[str]:
        """The text of each user message, in order (``user_texts[-1]``: the last one)."""
        return [m.text for m in self.messages if m.role == "user"]

    @property
    def images(self) -> list[ImagePart]:
        """Every image part of every message, in order."""
        return [image for m in self.messages for image in m.images]

    @property
    def model(self) -> str | None:
        """The requested ``model``."""
        return self.body.get("model")

    @property
    def instructions(self) -> str | None:
        """The ``instructions`` (system prompt), or ``None`` when not sent."""
        return self.body.get("instructions")

    @property
    def store(self) -> bool | None:
        """``store`` as sent; ``None`` when absent (OpenAI then stores: the default is true)."""
        return self.body.get("store")

    @property
    def previous_response_id(self) -> str | None:
        """``previous_response_id`` as sent, ``None`` when absent."""
        return self.body.get("previous_response_id")

    @property
    def max_output_tokens(self) -> int | None:
        """``max_output_tokens`` as sent, ``None`` when absent."""
        return self.body.get("max_output_tokens")


@dataclass
class StreamRecord:
    """One streamed response, as the server saw it.

    ``model`` is the requested model; ``response_model`` is what the response's ``model``
    field said (``Script.served_model``, or the requested name).
    """

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
    response_model: str = ""

    @property
    def event_types(self) -> list[str]:
        """Types of the events written so far, in order."""
        return [e["type"] for e in self.events]

    @property
    def ttft(self) -> float | None:
        """Seconds from the request arriving to the first delta being written."""
        return self.delta_times[0][0] - self.request.t if self.delta_times else None


# --------------------------------------------------------------------------- helpers


def _text_of_content(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    return ""


def _last_user_turn(value: Any) -> str:
    """Lenient (works on unvalidated input): the trailing run of user messages' text."""
    if not isinstance(value, list):
        return ""
    items = [item for item in value if isinstance(item, dict)]
    last = max((i for i, item in enumerate(items) if item.get("role") == "user"), default=None)
    if last is None:
        return ""
    first = last
    while first > 0 and items[first - 1].get("role") == "user":
        first -= 1
    return "\n".join(_text_of_content(item.get("content")) for item in items[first : last + 1])
