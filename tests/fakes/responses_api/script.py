"""What the fake model does for one request: ``Script``, and helpers that build events.

The helpers' events go into ``Script.before_text`` / ``Script.between``; ``pause``
makes a pseudo-event the server sleeps on instead of sending.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

Ending = Literal[
    "completed", "incomplete", "failed", "error_flat", "error_nested", "cut", "eof", "done_marker"
]
ENDINGS: frozenset[str] = frozenset(
    {"completed", "incomplete", "failed", "error_flat", "error_nested", "cut", "eof", "done_marker"}
)

#: Type of the pseudo-event made by :func:`pause`; it is never sent, the server sleeps instead.
PAUSE = "__fake_pause__"

#: How a text-only model refuses an image: see ``Script.reject_images``.
ImageRejection = Literal["openai", "vllm", "llama_cpp"]
IMAGE_REJECTIONS: frozenset[str] = frozenset({"openai", "vllm", "llama_cpp"})

_WORDISH = re.compile(r"\S+\s*|\s+")


def split_words(text: str) -> list[str]:
    r"""Split text into word-ish tokens: each one word plus the whitespace after it.

    Leading whitespace becomes its own token. ``"".join(split_words(t)) == t``.
    """
    return _WORDISH.findall(text)


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(24)}"


# --------------------------------------------------------------------------- scripts


@dataclass
class Script:
    """What the fake model does for one request.

    ``between`` keys at or past the number of deltas are sent after the last delta.
    ``before_text`` and ``between`` events are dicts with at least ``"type"``;
    ``sequence_number`` is filled in unless given. A ``{"type": PAUSE, "seconds": s}``
    entry (see :func:`pause`) sleeps instead of sending. ``response.output_item.done``
    items among ``before_text`` events are included in the final ``response.output``
    (before the message), and each ``response.output_item.added`` there shifts the
    message's ``output_index`` by one.

    Model and server behaviour (each documented in the package docstring):

    - ``reject_images``: a text-only model. ``True`` (same as ``"openai"``, or
      ``"llama_cpp"`` when ``llama_cpp`` is set), ``"vllm"`` or ``"llama_cpp"`` picks whose
      error a request with an ``input_image`` part gets. A rejected request does not
      consume the script, so the SDK's retries meet the same model.
    - ``served_model``: the name put in the response's ``model`` (an alias resolved).
    - ``model_in_created=False``: ``response.created``/``in_progress`` say ``model: ""``.
    - ``cut_at_max_tokens``: honour the request's ``max_output_tokens`` (one token per
      delta) like OpenAI: at most that many deltas, then ``response.incomplete``
      (``max_output_tokens``). ``cut_at_max_tokens_as_completed``: the same cut, ended by
      ``response.completed`` like llama.cpp.
    - ``repeat_created_after=N``: send ``response.created`` again after delta N.
    - ``sequence_numbers=False``: events carry no ``sequence_number``.
    - ``llama_cpp``: llama-server's stream (see the package docstring); it turns on
      ``cut_at_max_tokens_as_completed`` and ``sequence_numbers=False`` unless given.
    """

    text: str = "Hello from the fake model."
    chunk: int | None = None
    deltas: list[str] | None = None
    ttft: float = 0.0
    rate: float | None = None
    ending: Ending = "completed"
    incomplete_reason: str = "max_output_tokens"
    error_code: str = "server_error"
    error_message: str = "The model had a problem."
    error_type: str = "server_error"
    http_status: int | None = None
    http_error: dict[str, Any] | None = None
    retry_after: float | None = 0.01
    should_retry: bool | None = None
    usage: dict[str, Any] | None = None
    before_text: list[dict[str, Any]] = field(default_factory=list)
    between: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    refusal: str | None = None
    reject_images: bool | ImageRejection = False
    served_model: str | None = None
    model_in_created: bool = True
    cut_at_max_tokens: bool = False
    cut_at_max_tokens_as_completed: bool | None = None
    repeat_created_after: int | None = None
    sequence_numbers: bool | None = None
    llama_cpp: bool = False

    def __post_init__(self) -> None:
        if self.ending not in ENDINGS:
            raise ValueError(f"unknown ending {self.ending!r}; expected one of {sorted(ENDINGS)}")
        if self.reject_images is True:
            self.reject_images = "llama_cpp" if self.llama_cpp else "openai"
        if self.reject_images is not False and self.reject_images not in IMAGE_REJECTIONS:
            raise ValueError(
                f"reject_images must be a bool or one of {sorted(IMAGE_REJECTIONS)}, "
                f"not {self.reject_images!r}"
            )
        if self.cut_at_max_tokens_as_completed is None:
            self.cut_at_max_tokens_as_completed = self.llama_cpp and not self.cut_at_max_tokens
        if self.cut_at_max_tokens and self.cut_at_max_tokens_as_completed:
            raise ValueError(
                "cut_at_max_tokens and cut_at_max_tokens_as_completed exclude each other"
            )
        if self.sequence_numbers is None:
            self.sequence_numbers = not self.llama_cpp
        if self.repeat_created_after is not None and self.repeat_created_after < 1:
            raise ValueError("repeat_created_after counts deltas: it must be >= 1")
        if self.llama_cpp and self.refusal is not None:
            raise ValueError("llama.cpp never streams a refusal")
        if self.chunk is not None and self.chunk < 1:
            raise ValueError("chunk must be >= 1")
        if self.rate is not None and self.rate <= 0:
            raise ValueError("rate must be > 0 (or None for no pacing)")

    @property
    def reply(self) -> str:
        """The full text (or refusal) the deltas add up to."""
        return "".join(self.pieces())

    def pieces(self) -> list[str]:
        """The deltas this script sends, in order."""
        if self.deltas is not None:
            return list(self.deltas)
        source = self.refusal if self.refusal is not None else self.text
        if self.chunk is None:
            return split_words(source)
        return [source[i : i + self.chunk] for i in range(0, len(source), self.chunk)]


def pause(seconds: float) -> dict[str, Any]:
    """A pseudo-event for ``before_text``/``between``: sleep ``seconds`` instead of sending."""
    return {"type": PAUSE, "seconds": seconds}


def unknown_event(type_: str = "response.future_feature.delta", **fields: Any) -> dict[str, Any]:
    """An event of a type the SDK does not know (it is yielded, not raised)."""
    return {"type": type_, "item_id": "x_1", "output_index": 0, **fields}


def reasoning_summary_events(
    summary: str, *, output_index: int = 0, item_id: str | None = None
) -> list[dict[str, Any]]:
    """Events of a reasoning item whose summary streams as word-ish deltas (for ``before_text``)."""
    item_id = item_id or _new_id("rs")
    base = {"item_id": item_id, "output_index": output_index}
    item: dict[str, Any] = {"id": item_id, "type": "reasoning", "summary": []}
    events: list[dict[str, Any]] = [
        {"type": "response.output_item.added", "output_index": output_index, "item": item},
        {
            "type": "response.reasoning_summary_part.added",
            **base,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": ""},
        },
    ]
    events += [
        {
            "type": "response.reasoning_summary_text.delta",
            **base,
            "summary_index": 0,
            "delta": piece,
        }
        for piece in split_words(summary)
    ]
    done_part = {"type": "summary_text", "text": summary}
    events += [
        {
            "type": "response.reasoning_summary_text.done",
            **base,
            "summary_index": 0,
            "text": summary,
        },
        {
            "type": "response.reasoning_summary_part.done",
            **base,
            "summary_index": 0,
            "part": done_part,
        },
        {
            "type": "response.output_item.done",
            "output_index": output_index,
            "item": {**item, "summary": [done_part]},
        },
    ]
    return events


def web_search_events(
    query: str = "fake search", *, output_index: int = 0, item_id: str | None = None
) -> list[dict[str, Any]]:
    """Events of one web_search_call: added, in_progress, searching, completed, done."""
    item_id = item_id or _new_id("ws")
    base = {"item_id": item_id, "output_index": output_index}

    def item(status: str) -> dict[str, Any]:
        return {
            "id": item_id,
            "type": "web_search_call",
            "status": status,
            "action": {"type": "search", "query": query},
        }

    return [
        {
            "type": "response.output_item.added",
            "output_index": output_index,
            "item": item("in_progress"),
        },
        {"type": "response.web_search_call.in_progress", **base},
        {"type": "response.web_search_call.searching", **base},
        {"type": "response.web_search_call.completed", **base},
        {
            "type": "response.output_item.done",
            "output_index": output_index,
            "item": item("completed"),
        },
    ]
