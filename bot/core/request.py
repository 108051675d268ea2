"""Request building: a conversation, the user's options and the defaults become one request.

Fronts never merge defaults themselves: they pass the conversation and whatever
options the user chose for this reply, and :class:`RequestBuilder` applies the
defaults, the operator's model policy (:class:`~bot.core.models.ModelCatalog`)
and the context budgets, refusing with a text users can read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core import errors
from bot.core.conversation import Turn, fit
from bot.core.models import ModelCatalog


@dataclass(frozen=True)
class Request:
    """What to ask the model; ``instructions`` is the system prompt.

    ``turns`` is the conversation sent as ``input`` (the newest turn last);
    ``prompt`` is the newest user text, for logs; ``trimmed`` counts older turns
    left out to stay within the budgets.
    """

    prompt: str
    model: str
    instructions: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_output_tokens: int | None = None
    turns: tuple[Turn, ...] = ()
    trimmed: int = 0

    def conversation(self) -> tuple[Turn, ...]:
        """The turns to send: ``turns``, or the prompt alone."""
        return self.turns or (Turn("user", self.prompt),)


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
    """The operator's defaults: the system prompt and the context budgets."""

    system_prompt: str
    max_messages: int = 25
    max_input_tokens: int = 8000


class RequestRejectedError(Exception):
    """The request breaks the operator's policy; ``str(exc)`` is the text for the user."""


class RequestBuilder:
    """Turns a conversation and a user's options into a :class:`Request`."""

    def __init__(self, defaults: Defaults, models: ModelCatalog) -> None:
        self.defaults = defaults
        self.models = models

    def check_model(self, model: str | None) -> str:
        """The model to use; raises :class:`RequestRejectedError` when it is not offered."""
        chosen = model or self.models.default
        if not self.models.allowed(chosen):
            raise RequestRejectedError(errors.model_not_offered(chosen, self.models.offered()))
        return chosen

    def build(
        self,
        conversation: str | Sequence[Turn],
        options: Options | None = None,
        *,
        left_out: int = 0,
    ) -> Request:
        """The request for ``conversation`` (a prompt, or turns with the newest last).

        ``left_out`` counts older turns the front did not even read (past its limit).
        """
        options = options or Options()
        model = self.check_model(options.model)
        turns = [Turn("user", conversation)] if isinstance(conversation, str) else conversation
        fitted = fit(
            turns,
            max_messages=self.defaults.max_messages,
            max_tokens=self.defaults.max_input_tokens,
        )
        return Request(
            prompt=turns[-1].text if turns else "",
            model=model,
            instructions=options.system or self.defaults.system_prompt,
            temperature=options.temperature,
            top_p=options.top_p,
            max_output_tokens=options.max_output_tokens,
            turns=fitted.turns,
            trimmed=fitted.trimmed + left_out,
        )
