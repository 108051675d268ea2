"""A conversation as the model sees it: turns of text and images, oldest first.

Fronts turn what they read (a Discord reply chain, a thread, a terminal session)
into :class:`Turn` s; :func:`fit` keeps the newest turns within the message and
size budgets; :func:`to_input` builds the Responses API ``input`` items. The
model gets no state from the server between requests (``store=False``, no
``previous_response_id``), so every request carries the whole context.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["user", "assistant"]
#: An estimate of what one image costs in input tokens (OpenAI's detail:auto is 85-1105).
IMAGE_TOKENS = 800


def estimate_tokens(characters: int) -> int:
    """About four characters per token: an honest estimate where no tokenizer is at hand."""
    return (characters + 3) // 4


@dataclass(frozen=True)
class Image:
    """An image to show the model, sent as a data URL (a local server cannot fetch URLs)."""

    mime: str
    data: bytes = field(repr=False)

    def data_url(self) -> str:
        """``data:<mime>;base64,...``."""
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode()}"


@dataclass(frozen=True)
class Turn:
    """One message of the conversation.

    ``author`` names who wrote a user turn (shown to the model when several people
    take part); ``files`` are text attachments as ``(filename, text)``.
    """

    role: Role
    text: str
    author: str | None = None
    images: tuple[Image, ...] = ()
    files: tuple[tuple[str, str], ...] = ()

    def size(self) -> int:
        """Estimated input tokens of this turn."""
        characters = len(self.text) + sum(len(name) + len(text) for name, text in self.files)
        return estimate_tokens(characters) + IMAGE_TOKENS * len(self.images)


@dataclass(frozen=True)
class Fitted:
    """The turns that fit, and how many older ones were left out."""

    turns: tuple[Turn, ...]
    trimmed: int


def fit(turns: Sequence[Turn], *, max_messages: int, max_tokens: int) -> Fitted:
    """Keep the newest turns within both budgets; the newest turn is always kept."""
    kept: list[Turn] = []
    used = 0
    for turn in reversed(turns):
        size = turn.size()
        if kept and (len(kept) >= max_messages or used + size > max_tokens):
            break
        kept.append(turn)
        used += size
    kept.reverse()
    # A conversation sent to the model starts with the user, never mid-answer.
    while len(kept) > 1 and kept[0].role == "assistant":
        kept.pop(0)
    return Fitted(tuple(kept), len(turns) - len(kept))


def _speakers(turns: Sequence[Turn]) -> int:
    return len({t.author for t in turns if t.role == "user" and t.author})


def _user_parts(turn: Turn, *, named: bool) -> list[dict[str, Any]]:
    text = f"{turn.author}: {turn.text}" if named and turn.author else turn.text
    parts: list[dict[str, Any]] = []
    if text:
        parts.append({"type": "input_text", "text": text})
    parts.extend(
        {"type": "input_text", "text": f"Attached file {name}:\n{content}"}
        for name, content in turn.files
    )
    parts.extend({"type": "input_image", "image_url": image.data_url()} for image in turn.images)
    return parts


def to_input(turns: Sequence[Turn]) -> list[dict[str, Any]]:
    """Responses API ``input`` items: user turns as parts, assistant turns as plain text.

    With several people in the conversation, each user turn starts with its
    author's name, so the model knows who said what. Consecutive turns of one
    role become one item, because some servers' chat templates insist that user
    and assistant alternate.
    """
    named = _speakers(turns) > 1
    items: list[dict[str, Any]] = []
    for turn in turns:
        previous = items[-1] if items else None
        if turn.role == "assistant":
            # A plain string is the form every server accepts for assistant turns.
            if previous is not None and previous["role"] == "assistant":
                previous["content"] += "\n\n" + turn.text
            else:
                items.append({"role": "assistant", "content": turn.text})
            continue
        parts = _user_parts(turn, named=named)
        if previous is not None and previous["role"] == "user":
            previous["content"].extend(parts)
        else:
            items.append({"role": "user", "content": parts})
    for item in items:
        if item["role"] == "user" and not item["content"]:
            item["content"].append({"type": "input_text", "text": ""})
    return items
