"""Every user-facing failure text, in one place.

Fronts show these words as they are (a Discord message, a terminal line, an HTTP
error event); they never compose failure texts of their own. Nothing here may
contain a secret: texts built from server answers are passed through the
caller's scrubber by :mod:`bot.core.llm`.
"""

from __future__ import annotations

from typing import Final

import openai

from bot.core.events import FailureStatus
from bot.core.reply import Ending

STREAM_ENDED_EARLY: Final = "The model stream ended before the reply was complete."
EMPTY_REPLY: Final = "The model returned an empty reply."
BUSY: Final = "I'm restarting and can't take new requests for a moment. Please try again shortly."
COMMAND_FAILED: Final = "Something went wrong while handling that command. It has been logged."
NOT_ALLOWED: Final = "You can't use this bot here. An admin of this server decides who can."
THREAD_FAILED: Final = (
    "I could not open a thread here: I need the Create Public Threads and Send Messages in "
    "Threads permissions in this channel."
)

_MAX_DETAIL = 300
_MAX_NOTICE = 300
_INCOMPLETE_REASONS = {
    "max_output_tokens": "it reached the max_output_tokens limit",
    "content_filter": "the content filter stopped it",
    "max_messages": "it reached the message limit",
}


def incomplete_reason_text(reason: str | None) -> str:
    """Say in words why a reply was cut off."""
    if reason is None:
        return "the server stopped it early"
    return _INCOMPLETE_REASONS.get(reason, f"the server stopped it ({reason})")


def model_failed(message: str | None) -> str:
    """A ``response.failed`` event's error, for users."""
    return f"The model failed: {str(message or 'the model failed')[:_MAX_DETAIL]}"


def server_error(message: str | None) -> str:
    """An ``error`` event's message, for users."""
    return f"The model server reported an error: {str(message or 'unknown error')[:_MAX_DETAIL]}"


def model_not_offered(model: str, offered: tuple[str, ...]) -> str:
    """A model that is not on offer was asked for."""
    names = ", ".join(f"`{m}`" for m in offered[:10])
    more = f" (and {len(offered) - 10} more)" if len(offered) > 10 else ""
    return f"`{model[:100]}` is not a model offered here. Choose one of: {names}{more}."


def output_ceiling(ceiling: int) -> str:
    """A reply asked for more output tokens than the operator allows."""
    return f"`max_output_tokens` can be at most {ceiling} here."


def notice(ending: Ending, detail: str | None) -> str | None:
    """The line that explains a reply that did not simply complete."""
    text: str | None
    if ending == "completed":
        text = None
    elif ending == "incomplete":
        text = f"⚠️ Cut off: {detail or 'the server stopped the reply early'}."
    elif ending == "stopped":
        text = f"⏹️ Stopped {detail}." if detail else "⏹️ Stopped."
    elif ending == "shutdown":
        text = "⚠️ Interrupted: the bot restarted before this reply finished."
    else:
        text = f"❌ {detail or 'The reply failed.'}"
    if text is not None and len(text) > _MAX_NOTICE:
        text = text[: _MAX_NOTICE - 1] + "…"
    return text


def _api_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    message: object = None
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else None
    return str(message or exc.message)[:_MAX_DETAIL]


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__ or exc
    return (str(cause) or type(cause).__name__)[:120]


_NOT_FOUND = (
    "The model server answered 404 for the model `{model}`: it does not serve that model, "
    "or OPENAI_BASE_URL does not point at its API (it usually ends in /v1)."
)
_STATUS_TEXTS: list[tuple[type[openai.APIStatusError], str]] = [
    (
        openai.AuthenticationError,
        "The model server rejected the API key (401). Check OPENAI_API_KEY.",
    ),
    (openai.PermissionDeniedError, "The API key may not use this model (403)."),
    (openai.NotFoundError, _NOT_FOUND),
    (
        openai.RateLimitError,
        "The model server is rate limiting requests (429). Try again in a moment.",
    ),
    (openai.BadRequestError, "The model server refused the request (400): {detail}"),
    (
        openai.InternalServerError,
        "The model server had an error ({status}). Try again in a moment.",
    ),
]
_OTHER_STATUS = "The model server answered {status}: {detail}"


def describe_exception(
    exc: BaseException, model: str, *, streaming: bool = False, server: str = "its address"
) -> tuple[FailureStatus, str, str]:
    """Map a client exception to (status, user-facing message, short code).

    ``streaming`` says whether the reply had started: a connection that fails
    before is "could not connect" (an error), one that fails after is "lost
    mid-reply" (an interruption).
    """
    status: FailureStatus = "interrupted" if streaming else "error"
    if isinstance(exc, openai.APIStatusError):
        template = next((t for kind, t in _STATUS_TEXTS if isinstance(exc, kind)), _OTHER_STATUS)
        detail = _api_message(exc)
        text = template.format(model=model, status=exc.status_code, detail=detail)
        return "error", text, str(exc.status_code)
    if isinstance(exc, openai.APITimeoutError):
        if streaming:
            text = "The model server stopped answering (timed out)."
        else:
            text = f"The model server at {server} did not answer in time (timed out)."
        return status, text, "timeout"
    if isinstance(exc, openai.APIConnectionError):
        if streaming:
            return status, "The connection to the model server was lost mid-reply.", "connection"
        text = (
            f"Could not connect to the model server at {server} ({_cause(exc)}). "
            "Check that it is running and that OPENAI_BASE_URL is right."
        )
        return status, text, "connect"
    if isinstance(exc, openai.APIError):
        return "error", server_error(exc.message), "api_error"
    return "error", "Something went wrong while talking to the model server.", type(exc).__name__
