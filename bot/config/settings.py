"""The bot's settings, read from the environment (and ``.env``) and validated up front.

Every problem is collected into one :class:`ConfigError` (one line per variable),
so the entry point can report them all at once and exit with code 2.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.config.env import EnvReader
from bot.discord_front import limits
from bot.logs import LogFormat

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful assistant answering in a Discord chat. Be concise and use Discord markdown."
)


@dataclass(frozen=True)
class Settings:
    """Everything the bot needs to run; secrets are hidden from ``repr``."""

    discord_token: str = field(repr=False)
    openai_api_key: str = field(repr=False)
    openai_base_url: str | None = None
    model: str = DEFAULT_MODEL
    #: The operator's allow-list (BOT_MODELS, default model first); empty: what the server lists.
    models: tuple[str, ...] = ()
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    max_messages: int = 25
    max_input_tokens: int = 8000
    allow_dms: bool = True
    max_image_bytes: int = 8 * 1024 * 1024
    max_text_file_bytes: int = 256 * 1024
    #: Users who may change settings everywhere (besides members with Manage Server).
    admin_ids: tuple[str, ...] = ()
    #: Access lists from the environment: (rule, target) -> ids, applied in every server.
    access: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    user_concurrency: int = 1
    user_requests: int = 20
    user_window: float = 600.0
    user_daily_tokens: int = 0
    server_daily_tokens: int = 0
    max_output_tokens: int = 4096
    #: Where the HTTP server listens (host, port); ``None``: no HTTP server.
    http_addr: tuple[str, int] | None = None
    http_token: str | None = field(default=None, repr=False)
    http_streams: int = 4
    guild_id: int | None = None
    channel_writes: int = limits.CHANNEL_WRITES
    #: Discord's bot-wide limit on REST requests per second (all routes but interactions).
    global_requests: int = limits.GLOBAL_REQUESTS
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
        values = (self.discord_token, self.openai_api_key, self.http_token or "")
        return tuple(s for s in values if len(s) >= 6)


def _loopback(host: str) -> bool:
    return host in {"localhost", "::1"} or host.startswith("127.")


def http_addr(env: Mapping[str, str] | None = None) -> tuple[str, int] | None:
    """``BOT_HTTP_ADDR`` alone (for the health check), ``None`` when unset or invalid."""
    read = EnvReader(os.environ if env is None else env)
    return _http_addr(read)


def _http_addr(read: EnvReader) -> tuple[str, int] | None:
    raw = read.text("BOT_HTTP_ADDR")
    if raw is None:
        return None
    host, _, port = raw.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        read.fail("BOT_HTTP_ADDR", f"must be host:port such as 127.0.0.1:8080, got {raw!r}")
        return None
    return host, int(port)


# A placeholder key for servers that do not check one (Ollama, vLLM, LM Studio).
_NO_KEY = "not-needed"


def data_dir(env: Mapping[str, str] | None = None) -> str:
    """``BOT_DATA_DIR``: where the bot keeps its files (default ``data``)."""
    env = os.environ if env is None else env
    return EnvReader(env).text("BOT_DATA_DIR") or "data"


def log_format(env: Mapping[str, str] | None = None) -> LogFormat:
    """``BOT_LOG_FORMAT`` read leniently (``auto`` when unset or invalid), for fatal errors."""
    env = os.environ if env is None else env
    value = (EnvReader(env).text("BOT_LOG_FORMAT") or "auto").lower()
    return value if value in {"json", "console"} else "auto"  # type: ignore[return-value]


def load_settings(env: Mapping[str, str] | None = None, *, discord: bool = True) -> Settings:
    """Build :class:`Settings` from ``env`` (default: the process environment).

    ``discord=False`` (the terminal chat) does not ask for a Discord token. Raises
    :class:`ConfigError` listing every missing or invalid variable.
    """
    read = EnvReader(os.environ if env is None else env)
    discord_token = read.secret(
        "DISCORD_TOKEN",
        "copy the bot token from the Discord developer portal (Bot tab); see the README, "
        "'Create the Discord application'",
        required=discord,
    )
    base_url = read.url("OPENAI_BASE_URL", "http://localhost:11434/v1")
    openai_api_key = read.secret(
        "OPENAI_API_KEY",
        "set your OpenAI API key, or OPENAI_BASE_URL for another server",
        required=base_url is None and read.text("OPENAI_BASE_URL") is None,
    )
    model = read.text("BOT_MODEL") or DEFAULT_MODEL
    if len(model) > 100:
        read.fail("BOT_MODEL", f"is longer than 100 characters ({model[:20]!r}…)")
        model = DEFAULT_MODEL
    models = read.names("BOT_MODELS", max_count=25)
    fmt: LogFormat = read.choice("BOT_LOG_FORMAT", "auto", ("auto", "json", "console"))  # type: ignore[assignment]
    settings = Settings(
        discord_token=discord_token or "",
        openai_api_key=openai_api_key or _NO_KEY,
        openai_base_url=base_url,
        model=model,
        models=tuple(dict.fromkeys([model, *models])) if models else (),
        system_prompt=read.text("BOT_SYSTEM_PROMPT") or DEFAULT_SYSTEM_PROMPT,
        max_messages=read.integer("BOT_MAX_MESSAGES", 25, 1, 200),
        max_input_tokens=read.integer("BOT_MAX_INPUT_TOKENS", 8000, 100, 2_000_000),
        allow_dms=read.flag("BOT_ALLOW_DMS", default=True),
        max_image_bytes=int(read.number("BOT_MAX_IMAGE_MB", 8.0, 0.0, 100.0) * 1024 * 1024),
        max_text_file_bytes=int(read.number("BOT_MAX_TEXT_FILE_KB", 256.0, 0.0, 10_240.0) * 1024),
        guild_id=read.snowflake("BOT_GUILD_ID"),
        channel_writes=read.integer("BOT_CHANNEL_WRITES", limits.CHANNEL_WRITES, 1, 50),
        global_requests=read.integer("BOT_GLOBAL_REQUESTS", limits.GLOBAL_REQUESTS, 1, 10_000),
        channel_window=read.number("BOT_CHANNEL_WINDOW", limits.CHANNEL_WINDOW, 0.5, 60.0),
        interaction_writes=read.integer("BOT_INTERACTION_WRITES", limits.CHANNEL_WRITES, 1, 50),
        interaction_window=read.number("BOT_INTERACTION_WINDOW", limits.CHANNEL_WINDOW, 0.5, 60.0),
        openai_timeout=read.number("BOT_OPENAI_TIMEOUT", 60.0, 1.0, 3600.0),
        shutdown_grace=read.number("BOT_SHUTDOWN_GRACE", 10.0, 0.0, 600.0),
        data_dir=read.text("BOT_DATA_DIR") or "data",
        log_format=fmt,
        log_level=read.choice("BOT_LOG_LEVEL", "INFO", LOG_LEVELS),
        log_content=read.flag("BOT_LOG_CONTENT"),
        admin_ids=read.ids("BOT_ADMIN_IDS"),
        access=tuple(
            (rule, target, ids)
            for rule in ("allow", "block")
            for target in ("user", "role", "channel", "category")
            if (ids := read.ids(f"BOT_{rule.upper()}_{target.upper()}S"))
        ),
        user_concurrency=read.integer("BOT_USER_CONCURRENCY", 1, 1, 50),
        user_requests=read.integer("BOT_USER_REQUESTS", 20, 1, 100_000),
        user_window=read.number("BOT_USER_WINDOW", 600.0, 1.0, 86_400.0),
        user_daily_tokens=read.integer("BOT_USER_DAILY_TOKENS", 0, 0, 10**12),
        server_daily_tokens=read.integer("BOT_SERVER_DAILY_TOKENS", 0, 0, 10**12),
        max_output_tokens=read.integer("BOT_MAX_OUTPUT_TOKENS", 4096, 16, 128_000),
        http_addr=_http_addr(read),
        http_token=read.secret("BOT_HTTP_TOKEN", "", required=False),
        http_streams=read.integer("BOT_HTTP_STREAMS", 4, 1, 100),
    )
    if settings.http_addr and not settings.http_token and not _loopback(settings.http_addr[0]):
        host = settings.http_addr[0]
        read.fail(
            "BOT_HTTP_TOKEN",
            f"is required when BOT_HTTP_ADDR listens beyond this machine ({host}); "
            "set a long random token, or listen on 127.0.0.1",
        )
    read.check()
    return settings
