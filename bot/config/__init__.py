"""Settings from the environment: ``env`` reads and validates, ``settings`` defines them."""

from bot.config.env import ConfigError, EnvReader, Problem
from bot.config.settings import (
    DEFAULT_MODEL,
    DEFAULT_SYSTEM_PROMPT,
    LOG_LEVELS,
    Settings,
    data_dir,
    http_addr,
    load_settings,
    log_format,
)

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_SYSTEM_PROMPT",
    "LOG_LEVELS",
    "ConfigError",
    "EnvReader",
    "Problem",
    "Settings",
    "data_dir",
    "http_addr",
    "load_settings",
    "log_format",
]
