"""Settings read from the environment (and ``.env``), validated up front.

Every problem is reported as one :class:`ConfigError` naming the variable, so the
entry point can print a single line and exit with code 2.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from bot.discord_front import limits
from bot.logs import LogFormat

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful assistant answering in a Discord chat. Be concise and use Discord markdown."
)


class ConfigError(Exception):
    """A setting is missing or invalid."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


@dataclass(frozen=True)
class Settings:
    """Everything the bot needs to run; secrets are hidden from ``repr``."""

    discord_token: str = field(repr=False)
    openai_api_key: str = field(repr=False)
    openai_base_url: str | None = None
    model: str = DEFAULT_MODEL
    models: tuple[str, ...] = (DEFAULT_MODEL,)
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    guild_id: int | None = None
    channel_writes: int = limits.CHANNEL_WRITES
    channel_window: float = limits.CHANNEL_WINDOW
    interaction_writes: int = limits.CHANNEL_WRITES
    interaction_window: float = limits.CHANNEL_WINDOW
    openai_timeout: float = 60.0
    shutdown_grace: float = 10.0
    data_dir: str = "data"
    log_format: LogFormat = "auto"
    log_level: str = "INFO"
    log_content: bool = False

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in logs or Discord messages."""
        return tuple(s for s in (self.discord_token, self.openai_api_key) if len(s) >= 6)


# A placeholder key for servers that do not check one (Ollama, vLLM, LM Studio).
_NO_KEY = "not-needed"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _required(env: Mapping[str, str], name: str, hint: str) -> str:
    value = _text(env, name)
    if value is None:
        raise ConfigError(name, f"is not set; {hint}")
    if re.search(r"\s", value):
        raise ConfigError(name, "contains whitespace; paste the value without spaces or quotes")
    return value


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"must be between {low:g} and {high:g}, got {raw}")
    return value


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = _text(env, name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]+", raw):
        raise ConfigError(name, f"must be a whole number, got {raw!r}")
    value = int(raw)
    if not low <= value <= high:
        raise ConfigError(name, f"must be between {low} and {high}, got {raw}")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(name, f"must be true or false, got {raw!r}")


def _base_url(env: Mapping[str, str]) -> str | None:
    raw = _text(env, "OPENAI_BASE_URL")
    if raw is None:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise ConfigError(
            "OPENAI_BASE_URL",
            f"must be an http(s) URL such as http://localhost:11434/v1, got {raw!r}",
        )
    return raw.rstrip("/")


def _models(env: Mapping[str, str], default_model: str) -> tuple[str, ...]:
    raw = _text(env, "BOT_MODELS")
    names = [m.strip() for m in raw.split(",")] if raw else []
    if any(not n or len(n) > 100 for n in names):
        raise ConfigError("BOT_MODELS", "must be a comma-separated list of model names")
    if len(names) > 25:
        raise ConfigError("BOT_MODELS", "can offer at most 25 models (Discord's choice limit)")
    ordered = [default_model, *(n for n in names if n != default_model)]
    return tuple(dict.fromkeys(ordered))


def data_dir(env: Mapping[str, str] | None = None) -> str:
    """``BOT_DATA_DIR``: where the bot keeps its files (default ``data``)."""
    env = os.environ if env is None else env
    return _text(env, "BOT_DATA_DIR") or "data"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    discord_token = _required(
        env, "DISCORD_TOKEN", "copy the bot token from the Discord developer portal (Bot tab)"
    )
    base_url = _base_url(env)
    if base_url is None:
        openai_api_key = _required(
            env, "OPENAI_API_KEY", "set your OpenAI API key, or OPENAI_BASE_URL for another server"
        )
    else:
        openai_api_key = _text(env, "OPENAI_API_KEY") or _NO_KEY

    model = _text(env, "BOT_MODEL") or DEFAULT_MODEL
    if len(model) > 100:
        raise ConfigError("BOT_MODEL", "is longer than 100 characters")

    guild_raw = _text(env, "BOT_GUILD_ID")
    if guild_raw is not None and not re.fullmatch(r"[0-9]{1,20}", guild_raw):
        raise ConfigError("BOT_GUILD_ID", f"must be a numeric server id, got {guild_raw!r}")

    log_format = (_text(env, "BOT_LOG_FORMAT") or "auto").lower()
    if log_format not in {"auto", "json", "console"}:
        raise ConfigError("BOT_LOG_FORMAT", f"must be auto, json or console, got {log_format!r}")
    log_level = (_text(env, "BOT_LOG_LEVEL") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError("BOT_LOG_LEVEL", f"must be one of {', '.join(LOG_LEVELS)}")

    return Settings(
        discord_token=discord_token,
        openai_api_key=openai_api_key,
        openai_base_url=base_url,
        model=model,
        models=_models(env, model),
        system_prompt=_text(env, "BOT_SYSTEM_PROMPT") or DEFAULT_SYSTEM_PROMPT,
        guild_id=int(guild_raw) if guild_raw else None,
        channel_writes=_integer(env, "BOT_CHANNEL_WRITES", limits.CHANNEL_WRITES, 1, 50),
        channel_window=_number(env, "BOT_CHANNEL_WINDOW", limits.CHANNEL_WINDOW, 0.5, 60.0),
        interaction_writes=_integer(env, "BOT_INTERACTION_WRITES", limits.CHANNEL_WRITES, 1, 50),
        interaction_window=_number(env, "BOT_INTERACTION_WINDOW", limits.CHANNEL_WINDOW, 0.5, 60.0),
        openai_timeout=_number(env, "BOT_OPENAI_TIMEOUT", 60.0, 1.0, 3600.0),
        shutdown_grace=_number(env, "BOT_SHUTDOWN_GRACE", 10.0, 0.0, 600.0),
        data_dir=data_dir(env),
        log_format=log_format,  # type: ignore[arg-type]  # checked against LogFormat above
        log_level=log_level,
        log_content=_flag(env, "BOT_LOG_CONTENT"),
    )
