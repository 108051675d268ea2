"""What a reply looks like: the live indicator, endings and the latency footer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.discord_front.split import open_fence

Ending = Literal["completed", "incomplete", "failed", "error", "interrupted", "stopped", "shutdown"]

LIVE_INDICATOR = "⏳"
# Room kept under the body while live: the indicator line needs ~40 characters, but
# keeping room for the final footer (<= ~130 with a 60-character model name) means a
# completed reply never has to cut text it already showed to make the footer fit.
LIVE_RESERVE = 160
_MAX_MODEL = 60
_MAX_NOTICE = 300


@dataclass(frozen=True)
class Stats:
    """Numbers for the footer; latencies in seconds."""

    model: str
    first_token: float | None
    total: float
    output_tokens: int
    exact_tokens: bool = True


def _seconds(value: float) -> str:
    return f"{value:.2f} s"


def footer(stats: Stats) -> str:
    """``-# model · first token 0.41 s · total 1.98 s · 312 tokens · 157 tok/s``."""
    model = stats.model if len(stats.model) <= _MAX_MODEL else stats.model[: _MAX_MODEL - 1] + "…"
    parts = [model]
    if stats.first_token is not None:
        parts.append(f"first token {_seconds(stats.first_token)}")
    parts.append(f"total {_seconds(stats.total)}")
    approx = "" if stats.exact_tokens else "~"
    parts.append(f"{approx}{stats.output_tokens} tokens")
    if stats.total > 0 and stats.output_tokens > 0:
        parts.append(f"{stats.output_tokens / stats.total:.0f} tok/s")
    return "-# " + " · ".join(parts)


def _close_fence(body: str) -> str:
    fence = open_fence(body)
    return body if fence is None else body + fence.closing()


def live(body: str, tokens: int, status: str | None = None) -> str:
    """A message still being written: text so far, then the indicator line."""
    line = f"-# {LIVE_INDICATOR} {status or 'writing…'}"
    if tokens:
        line += f" · {tokens} tokens"
    if not body.strip():
        return line
    return f"{_close_fence(body)}\n{line}"


def notice(ending: Ending, detail: str | None) -> str | None:
    """The line that explains a reply that did not simply complete."""
    text: str | None
    if ending == "completed":
        text = None
    elif ending == "incomplete":
        text = f"⚠️ Cut off: {detail or 'the server stopped the reply early'}."
    elif ending == "stopped":
        text = "⏹️ Stopped."
    elif ending == "shutdown":
        text = "⚠️ Interrupted: the bot restarted before this reply finished."
    else:
        text = f"❌ {detail or 'The reply failed.'}"
    if text is not None and len(text) > _MAX_NOTICE:
        text = text[: _MAX_NOTICE - 1] + "…"
    return text


def final_tail(ending: Ending, detail: str | None, stats: Stats) -> str:
    """The lines under the last message: an optional notice, then the footer."""
    lines = [notice(ending, detail), footer(stats)]
    return "\n".join(line for line in lines if line)


def final(body: str, tail: str) -> str:
    """A finished message: text (fence closed), then the tail lines."""
    if not body.strip():
        return tail
    return f"{_close_fence(body.rstrip())}\n{tail}"
