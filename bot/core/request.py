"""Request building: a conversation, the user's options and the defaults become one request.

Fronts never merge defaults themselves: they pass the conversation and whatever
options the user chose for this reply, and :class:`RequestBuilder` applies the
defaults, the operator's model policy (:class:`~bot.core.models.ModelCatalog`)
and the context budgets, refusing with a text users can read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.core import errors
from bot.core.conversation import Turn, fit
from bot.core.models import ModelCatalog
from bot.core.server_settings import Effective


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
    """The operator's defaults: the system prompt, the context budgets, the output ceiling.

    ``max_output_tokens`` is both the default and the most a reply may ask for.
    """

    system_prompt: str
    max_messages: int = 25
    max_input_tokens: int = 8000
    max_output_tokens: int = 4096


def _first(*values: Any) -> Any:  # noqa: ANN401 - the first value that is set, any type
    return next((v for v in values if v is not None), None)


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
        effective: Effective | None = None,
        left_out: int = 0,
    ) -> Request:
        """The request for ``conversation`` (a prompt, or turns with the newest last).

        ``options`` (the user's choice for this reply) win over ``effective`` (the
        settings of the place, from :mod:`bot.core.server_settings`), which win over
        the defaults. ``left_out`` counts older turns the front did not even read.
        """
        options = options or Options()
        place: dict[str, Any] = dict(effective.values) if effective else {}
        model = self.check_model(options.model or place.get("model"))
        ceiling = self.defaults.max_output_tokens
        max_output = options.max_output_tokens or place.get("max_output_tokens") or ceiling
        if max_output > ceiling:
            raise RequestRejectedError(errors.output_ceiling(ceiling))
        turns = [Turn("user", conversation)] if isinstance(conversation, str) else conversation
        fitted = fit(
            turns,
            max_messages=self.defaults.max_messages,
            max_tokens=self.defaults.max_input_tokens,
        )
        return Request(
            prompt=turns[-1].text if turns else "",
            model=model,
            instructions=options.system
            or place.get("system_prompt")
            or self.defaults.system_prompt,
            temperature=_first(options.temperature, place.get("temperature")),
            top_p=_first(options.top_p, place.get("top_p")),
            max_output_tokens=int(max_output),
            turns=fitted.turns,
            trimmed=fitted.trimmed + left_out,
        )
