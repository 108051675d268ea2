"""The reply log: ``reply.started`` and one canonical ``reply.finished`` record per reply.

A bus listener (see :mod:`bot.core.bus`): it never sits on a reply's path.
"""

from __future__ import annotations

from bot.core.bus import ReplyEvent, ReplyFinished, ReplyStarted
from bot.core.reply import Origin
from bot.core.request import Request
from bot.logs import get_logger

log = get_logger("bot.session")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _who(reply_id: str, origin: Origin, request: Request) -> dict[str, object]:
    """Who asked, where, for which model, with how much context: on both records."""
    return {
        "session_id": reply_id,
        "trigger": origin.trigger,
        **origin.where,
        "user_id": origin.user_id,
        "model": request.model,
        "prompt_chars": len(request.prompt),
        "context_messages": len(request.conversation()),
        "context_trimmed": request.trimmed,
    }


class ReplyLog:
    """Writes the records of each reply; ``log_content`` adds prompt and reply text."""

    def __init__(self, *, log_content: bool = False) -> None:
        self._log_content = log_content

    def __call__(self, event: ReplyEvent) -> None:
        """Log ``event`` if it starts or ends a reply (progress is not logged)."""
        if isinstance(event, ReplyStarted):
            self.started(event)
        elif isinstance(event, ReplyFinished):
            self.finished(event)

    def started(self, event: ReplyStarted) -> None:
        """Emit ``reply.started``."""
        fields = _who(event.reply_id, event.origin, event.request)
        if self._log_content:
            fields["prompt"] = event.request.prompt
        log.info("reply.started", **fields)

    def finished(self, event: ReplyFinished) -> None:
        """Emit the canonical ``reply.finished`` record with every number of the reply."""
        outcome = event.outcome
        usage = outcome.usage
        output_tokens = usage.output_tokens if usage else None
        tokens_per_second = (
            round(output_tokens / outcome.total, 1) if output_tokens and outcome.total > 0 else None
        )
        shutdown = outcome.ending == "shutdown"
        fields: dict[str, object] = {
            **_who(event.reply_id, event.origin, event.request),
            # The model that answered (a server may answer an alias with another name).
            "model": outcome.model or event.request.model,
            "model_requested": event.request.model,
            "response_id": outcome.response_id,
            # A restart is an interruption; the detail says which kind.
            "status": "interrupted" if shutdown else outcome.ending,
            "detail": "bot shutting down" if shutdown else outcome.detail,
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
            "rate_limited": outcome.rate_limited,
        }
        if self._log_content:
            fields["prompt"] = event.request.prompt
            fields["reply"] = event.text
        log.info("reply.finished", **fields)
