"""One look at the model server at start-up: is it reachable, what does it serve.

Reachable? Which models? Does the URL look right?

The result goes into one log line (a warning when something looks wrong) and
never stops the bot: the server may come up later, and some servers do not list
their models at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import openai

from bot.core.llm import LLM
from bot.logs import get_logger

log = get_logger(__name__)

TIMEOUT = 5.0
_SHOWN_MODELS = 10


@dataclass(frozen=True)
class ServerCheck:
    """What the check found; ``models`` is ``None`` when the server lists none."""

    server: str
    model: str
    reachable: bool
    models: tuple[str, ...] | None = None
    problem: str | None = None

    @property
    def model_listed(self) -> bool | None:
        """Whether the default model is among the listed ones (``None``: unknown)."""
        return None if not self.models else self.model in self.models


async def _missing_v1(llm: LLM) -> tuple[str, ...] | None:
    """The models listed under ``<base>/v1``, when the base URL lacks it and that works."""
    base = llm.base_url
    if base.endswith("/v1"):
        return None
    try:
        return tuple(await llm.list_models(within=TIMEOUT, base_url=f"{base}/v1"))
    except openai.OpenAIError:
        return None


async def check_server(llm: LLM, model: str) -> ServerCheck:
    """Ask the server for its models once, with a short timeout."""
    try:
        models = tuple(await llm.list_models(within=TIMEOUT))
    except openai.APIConnectionError as exc:  # includes timeouts
        cause = exc.__cause__ or exc
        problem = f"cannot connect ({str(cause)[:120] or type(cause).__name__})"
        return ServerCheck(llm.server, model, reachable=False, problem=problem)
    except openai.APIStatusError as exc:
        listed_under_v1 = await _missing_v1(llm) if exc.status_code == 404 else None
        if listed_under_v1 is not None:
            problem = (
                f"OPENAI_BASE_URL probably needs /v1 at the end: {llm.server}/v1 answers "
                f"and lists {len(listed_under_v1)} models"
            )
        elif exc.status_code in {401, 403}:
            problem = f"the server refused the API key ({exc.status_code}); check OPENAI_API_KEY"
        else:
            problem = f"listing models answered {exc.status_code}"
        return ServerCheck(llm.server, model, reachable=True, problem=problem)
    except openai.OpenAIError as exc:
        return ServerCheck(llm.server, model, reachable=True, problem=str(exc)[:200])
    check = ServerCheck(llm.server, model, reachable=True, models=models or None)
    if check.model_listed is False:
        return ServerCheck(
            llm.server,
            model,
            reachable=True,
            models=models,
            problem=f"the default model {model!r} is not among the {len(models)} listed",
        )
    return check


def log_check(check: ServerCheck) -> None:
    """One line: info when all is well, a warning naming the problem otherwise."""
    fields: dict[str, object] = {
        "server": check.server,
        "model": check.model,
        "reachable": check.reachable,
        "models_listed": None if check.models is None else len(check.models),
        "model_listed": check.model_listed,
    }
    if check.models:
        fields["models"] = list(check.models[:_SHOWN_MODELS])
    if check.problem:
        log.warning("model_server.check_failed", problem=check.problem, **fields)
    else:
        log.info("model_server.checked", **fields)
