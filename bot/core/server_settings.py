"""Settings per server and per channel, set by admins, layered over the environment's.

A reply's effective settings come from the most specific layer that has a value:
the channel (for a thread, its parent channel), then the server, then the
environment; ``/chat`` options override them for one reply. Values are validated
with the same rules as the environment and ``/chat`` (ranges, the model
allow-list), stored as text, and every change is recorded with who made it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

from bot.core.models import ModelCatalog
from bot.core.storage import SettingChange, Store
from bot.logs import get_logger

log = get_logger(__name__)

KEYS: Final = ("model", "system_prompt", "temperature", "top_p", "max_output_tokens")
Value = str | float | int
_CACHE = 1000
MAX_SYSTEM_PROMPT = 6000


class SettingRejectedError(Exception):
    """A value breaks the rules; ``str(exc)`` says which, for the admin."""


@dataclass(frozen=True)
class Place:
    """Where a reply is asked for, as far as settings go.

    ``channel_id`` is the channel settings apply to: for a thread, its parent.
    """

    guild_id: str | None
    channel_id: str | None


@dataclass(frozen=True)
class Effective:
    """The settings for one place, and where each value came from."""

    values: dict[str, Value | None]
    sources: dict[str, str]

    def get(self, key: str) -> Value | None:
        """The effective value of ``key`` (``None``: not set anywhere)."""
        return self.values.get(key)


def _number(key: str, raw: str, low: float, high: float, *, whole: bool) -> Value:
    try:
        value: float = int(raw) if whole else float(raw)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise SettingRejectedError(f"`{key}` must be {kind}, got `{raw[:40]}`") from None
    if not low <= value <= high:
        raise SettingRejectedError(f"`{key}` must be between {low:g} and {high:g}, got {raw}")
    return value


class ServerSettings:
    """Reads, validates and changes the layered settings."""

    def __init__(
        self,
        store: Store,
        *,
        defaults: dict[str, Value | None],
        models: ModelCatalog,
        max_output_tokens: int,
    ) -> None:
        self._store = store
        self._defaults = defaults
        self._models = models
        self._ceiling = max_output_tokens
        self._cache: OrderedDict[tuple[str, str], dict[str, str]] = OrderedDict()
        self._changes = 0  # a read that started before a change must not be cached

    def validate(self, key: str, raw: str) -> Value:
        """The typed value, or :class:`SettingRejectedError` with the reason."""
        raw = raw.strip()
        if key == "model":
            if not raw or len(raw) > 100:
                raise SettingRejectedError("`model` must be a model name of 1 to 100 characters")
            if not self._models.allowed(raw):
                offered = ", ".join(f"`{m}`" for m in self._models.offered()[:10])
                raise SettingRejectedError(f"`{raw}` is not offered here; choose one of {offered}")
            return raw
        if key == "system_prompt":
            if not raw or len(raw) > MAX_SYSTEM_PROMPT:
                raise SettingRejectedError(
                    f"`system_prompt` must be 1 to {MAX_SYSTEM_PROMPT} characters"
                )
            return raw
        if key == "temperature":
            return _number(key, raw, 0.0, 2.0, whole=False)
        if key == "top_p":
            return _number(key, raw, 0.0, 1.0, whole=False)
        if key == "max_output_tokens":
            return _number(key, raw, 16, self._ceiling, whole=True)
        raise SettingRejectedError(f"there is no setting `{key}`; there are {', '.join(KEYS)}")

    async def _layer(self, scope: str, scope_id: str | None) -> dict[str, str]:
        if scope_id is None:
            return {}
        key = (scope, scope_id)
        cached = self._cache.get(key)
        if cached is None:
            seen = self._changes
            cached = await self._store.settings(scope, scope_id)
            if seen == self._changes:
                self._cache[key] = cached
                while len(self._cache) > _CACHE:
                    self._cache.popitem(last=False)
        return cached

    async def effective(self, place: Place) -> Effective:
        """The settings that apply at ``place``, with their sources."""
        layers = [
            ("channel", await self._layer("channel", place.channel_id)),
            ("server", await self._layer("guild", place.guild_id)),
        ]
        values: dict[str, Value | None] = {}
        sources: dict[str, str] = {}
        for key in KEYS:
            values[key], sources[key] = self._defaults.get(key), "environment"
            for source, layer in layers:
                if key in layer:
                    try:
                        values[key], sources[key] = self.validate(key, layer[key]), source
                    except SettingRejectedError:
                        # Stored before the rules tightened (e.g. BOT_MODELS changed).
                        log.warning("settings.stale_value", key=key, source=source)
                        continue
                    break
        return Effective(values, sources)

    async def change(
        self, scope: str, scope_id: str, key: str, raw: str | None, by: str
    ) -> tuple[str | None, str | None]:
        """Set (or with ``None`` reset) one setting; returns (old, new) as stored text."""
        value = None if raw is None else str(self.validate(key, raw))
        old = await self._store.change_setting(scope, scope_id, key, value, by)
        self._changes += 1
        self._cache.pop((scope, scope_id), None)
        log.info(
            "settings.changed", scope=scope, scope_id=scope_id, key=key, by=by, old=old, new=value
        )
        return old, value

    async def history(self, place: Place, limit: int = 10) -> list[SettingChange]:
        """Recent changes that affect ``place``, newest first."""
        scopes = [("guild", place.guild_id), ("channel", place.channel_id)]
        return await self._store.setting_history([(s, i) for s, i in scopes if i], limit)
