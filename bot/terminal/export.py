"""``/export FILE``: the conversation as Markdown, or as JSON for a ``.json`` file."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol


class Exchange(Protocol):
    """A question and its answer."""

    question: str
    answer: str
    model: str


def markdown(exchanges: Sequence[Exchange]) -> str:
    """``## You`` / ``## <model>`` sections, in order."""
    parts = []
    for exchange in exchanges:
        parts += [f"## You\n\n{exchange.question}", f"## {exchange.model}\n\n{exchange.answer}"]
    return "\n\n".join(parts) + "\n"


def export(exchanges: Sequence[Exchange], path: str) -> Path:
    """Write the conversation to ``path``; returns where it went."""
    target = Path(path).expanduser()
    if target.suffix.lower() == ".json":
        data = [
            {"role": role, "text": text, **({"model": e.model} if role == "assistant" else {})}
            for e in exchanges
            for role, text in (("user", e.question), ("assistant", e.answer))
        ]
        target.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")
    else:
        target.write_text(markdown(exchanges), "utf-8")
    return target
