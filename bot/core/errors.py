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
    """A model outside the operator's allow-list was asked for."""
    names = ", ".join(f"`{m}`" for m in offered)
    return f"`{model[:100]}` is not a model offered here. Choose one of: {names}."


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


def _api_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    message: object = None
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else None
    return str(message or exc.message)[:_MAX_DETAIL]


def describe_exception(exc: BaseException, model: str) -> tuple[FailureStatus, str, str]:
    """Map a client exception to (status, user-facing message, short code)."""
    status: FailureStatus = "error"
    text: str
    code: str
    if isinstance(exc, openai.AuthenticationError):
        text, code = "The model server rejected the API key (401). Check OPENAI_API_KEY.", "401"
    elif isinstance(exc, openai.PermissionDeniedError):
        text, code = "The API key may not use this model (403).", "403"
    elif isinstance(exc, openai.NotFoundError):
        text, code = f"The model server does not know the model `{model}` (404).", "404"
    elif isinstance(exc, openai.RateLimitError):
        text = "The model server is rate limiting requests (429). Try again in a moment."
        code = "429"
    elif isinstance(exc, openai.BadRequestError):
        text, code = f"The model server refused the request (400): {_api_message(exc)}", "400"
    elif isinstance(exc, openai.InternalServerError):
        text = f"The model server had an error ({exc.status_code}). Try again in a moment."
        code = str(exc.status_code)
    elif isinstance(exc, openai.APIStatusError):
        text = f"The model server answered {exc.status_code}: {_api_message(exc)}"
        code = str(exc.status_code)
    elif isinstance(exc, openai.APITimeoutError):
        status, text, code = (
            "interrupted",
            "The model server stopped answering (timed out).",
            "timeout",
        )
    elif isinstance(exc, openai.APIConnectionError):
        status, text, code = (
            "interrupted",
            "The connection to the model server was lost.",
            "connection",
        )
    elif isinstance(exc, openai.APIError):
        text, code = server_error(exc.message), "api_error"
    else:
        text, code = "Something went wrong while talking to the model server.", type(exc).__name__
    return status, text, code
