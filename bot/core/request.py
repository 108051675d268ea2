"""Request building: what a front was asked, plus the defaults, becomes one model request.

Fronts never merge defaults themselves: they pass the prompt and whatever options
the user chose for this reply, and :class:`RequestBuilder` applies the defaults
and the operator's policy (the model allow-list), refusing with a text users can
read.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import errors


@dataclass(frozen=True)
class Request:
    """What to ask the model; ``instructions`` is the system prompt."""

    prompt: str
    model: str
    instructions: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_output_tokens: int | None = None


@dataclass(frozen=True)
class Options:
    """What a user chose for one reply; ``None`` means "the default"."""

    model: str | None = None
    system: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_output_tokens: int | None = None


@dataclass(frozen=True)
class Defaults:
    """The operator's defaults and policy: the model, the system prompt, the offered models."""

    model: str
    system_prompt: str
    models: tuple[str, ...]


class RequestRejectedError(Exception):
    """The request breaks the operator's policy; ``str(exc)`` is the text for the user."""


class RequestBuilder:
    """Turns a prompt and a user's options into a :class:`Request`."""

    def __init__(self, defaults: Defaults) -> None:
        self.defaults = defaults

    def allowed(self, model: str) -> bool:
        """Whether users may ask for ``model``."""
        return model in self.defaults.models

    def build(self, prompt: str, options: Options | None = None) -> Request:
        """The request for ``prompt``; raises :class:`RequestRejectedError` with the reason."""
        options = options or Options()
        defaults = self.defaults
        model = options.model or defaults.model
        if not self.allowed(model):
            raise RequestRejectedError(errors.model_not_offered(model, defaults.models))
        return Request(
            prompt=prompt,
            model=model,
            instructions=options.system or defaults.system_prompt,
            temperature=options.temperature,
            top_p=options.top_p,
            max_output_tokens=options.max_output_tokens,
        )
