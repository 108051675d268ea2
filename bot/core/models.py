"""Which models users may ask for: the operator's list, or what the server serves.

With ``BOT_MODELS`` set, that list is the policy (it is the operator's cost
control): other names are refused. Without it, the models the server lists
(``GET /models``, refreshed every few minutes in the background) are offered,
and any name is accepted: the server itself answers a wrong one with its clear
404 ("does not know the model").
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import openai

from bot.core.clock import Clock, SystemClock
from bot.logs import get_logger

if TYPE_CHECKING:  # the model client imports request building, which imports this
    from bot.core.llm import LLM

log = get_logger(__name__)

#: Seconds a model list stays fresh.
REFRESH_SECONDS = 300.0
#: Discord shows at most 25 choices.
MAX_CHOICES = 25


class ModelCatalog:
    """The models on offer, from the allow-list or from the server's list."""

    def __init__(
        self,
        llm: LLM | None,
        *,
        default: str,
        allow: tuple[str, ...] = (),
        clock: Clock | None = None,
    ) -> None:
        self._llm = llm
        self.default = default
        self.allow = tuple(dict.fromkeys([default, *allow])) if allow else ()
        self._clock = clock or SystemClock()
        self._listed: tuple[str, ...] | None = None
        self._fetched_at: float | None = None
        self._refreshing: asyncio.Task[None] | None = None

    @property
    def listed(self) -> tuple[str, ...] | None:
        """What the server listed last time (``None``: it lists nothing, or not asked yet)."""
        return self._listed

    def offered(self) -> tuple[str, ...]:
        """The models to offer users, the default first."""
        if self.allow:
            return self.allow
        if self._listed:
            return tuple(dict.fromkeys([self.default, *self._listed]))
        return (self.default,)

    def allowed(self, model: str) -> bool:
        """Whether a user may ask for ``model``: only the allow-list refuses anything."""
        return model in self.allow if self.allow else True

    def choices(self, typed: str) -> list[str]:
        """Offered models containing ``typed`` (case-insensitive), at most 25."""
        self.refresh_if_stale()
        needle = typed.lower()
        return [m for m in self.offered() if needle in m.lower()][:MAX_CHOICES]

    def refresh_if_stale(self) -> None:
        """Start a background refresh when the list is older than REFRESH_SECONDS."""
        if self.allow or self._llm is None:
            return
        fresh = (
            self._fetched_at is not None and self._clock.now() - self._fetched_at < REFRESH_SECONDS
        )
        if fresh or (self._refreshing is not None and not self._refreshing.done()):
            return
        self._refreshing = asyncio.create_task(self.refresh(), name="model-list-refresh")

    async def refresh(self) -> None:
        """Ask the server for its models now; keep the last list when it fails."""
        if self._llm is None:
            return
        self._fetched_at = self._clock.now()
        try:
            self._listed = tuple(await self._llm.list_models()) or None
        except openai.APIStatusError as exc:
            if exc.status_code in {404, 405, 501}:
                self._listed = None  # the server does not list models
            log.debug("models.list_failed", status=exc.status_code)
        except openai.OpenAIError as exc:
            log.debug("models.list_failed", error=type(exc).__name__)

    async def close(self) -> None:
        """Stop a refresh in progress."""
        if self._refreshing is not None:
            self._refreshing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refreshing
