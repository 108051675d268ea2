"""One reply session's structured log: ``reply.started`` and a canonical ``reply.finished``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from bot.core.relay.relay import Outcome
from bot.logs import get_logger

log = get_logger("bot.core.reply_log")

Trigger = Literal["mention", "slash"]


@dataclass(frozen=True)
class SessionInfo:
    """Who asked, where, and for what."""

    trigger: Trigger
    guild_id: int | None
    channel_id: int | None
    user_id: int
    model: str
    prompt: str
    bucket: str
    session_id: str = ""

    @staticmethod
    def new_id() -> str:
        """A short random id that ties a session's records together."""
        return uuid.uuid4().hex[:16]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _who(info: SessionInfo) -> dict[str, object]:
    """Who asked, where, and for which model: on both records of a session."""
    return {
        "trigger": info.trigger,
        "guild_id": info.guild_id,
        "channel_id": info.channel_id,
        "user_id": info.user_id,
        "model": info.model,
        "prompt_chars": len(info.prompt),
    }


def started(info: SessionInfo, *, log_content: bool) -> None:
    """Emit ``reply.started``."""
    fields = _who(info)
    if log_content:
        fields["prompt"] = info.prompt
    log.info("reply.started", **fields)


def finished(
    info: SessionInfo,
    outcome: Outcome,
    *,
    rate_limited: int,
    reply_text: str | None = None,
) -> None:
    """Emit the canonical ``reply.finished`` record with every number of the session."""
    usage = outcome.usage
    output_tokens = usage.output_tokens if usage else None
    tokens_per_second = (
        round(output_tokens / outcome.total, 1) if output_tokens and outcome.total > 0 else None
    )
    fields: dict[str, object] = {
        **_who(info),
        "response_id": outcome.response_id,
        # A restart is an interruption; the detail says which kind.
        "status": "interrupted" if outcome.ending == "shutdown" else outcome.ending,
        "detail": "bot shutting down" if outcome.ending == "shutdown" else outcome.detail,
        "first_token_s": _round(outcome.first_token),
        "total_s": _round(outcome.total),
        "input_tokens": usage.input_tokens if usage else None,
        "output_tokens": output_tokens,
        "reasoning_tokens": usage.reasoning_tokens if usage else None,
        "tokens_per_s": tokens_per_second,
        "deltas": outcome.deltas,
        "characters": outcome.characters,
        "writes": outcome.writes,
        "messages": outcome.messages,
        "write_errors": outcome.write_errors,
        "final_written": outcome.final_written,
        "rate_limited": rate_limited,
    }
    if reply_text is not None:
        fields["prompt"] = info.prompt
        fields["reply"] = reply_text
    log.info("reply.finished", **fields)
