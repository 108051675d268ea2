"""One structlog pipeline for the bot's records and for discord.py, openai and httpx2.

JSON lines when stdout is not a terminal (or when asked), readable console output
otherwise, coloured only on a terminal and never with ``NO_COLOR`` set. Known
secrets are scrubbed from every record before it is rendered.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from typing import Literal, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

LogFormat = Literal["auto", "json", "console"]
REDACTED = "[redacted]"


class SecretScrubber:
    """A processor that replaces known secret values anywhere in a record."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = tuple(s for s in secrets if s)

    def scrub(self, text: str) -> str:
        """Return ``text`` with every known secret replaced."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def _clean(self, value: object) -> object:
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {k: self._clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._clean(v) for v in value)
        return value

    def __call__(self, _: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        """Scrub one record (the structlog processor interface)."""
        if not self._secrets:
            return event_dict
        return {k: self._clean(v) for k, v in event_dict.items()}


def wants_json(log_format: LogFormat, stream: TextIO | None = None) -> bool:
    """JSON when asked, or in ``auto`` mode when ``stream`` (stdout) is not a terminal."""
    stream = sys.stdout if stream is None else stream
    return log_format == "json" or (log_format == "auto" and not stream.isatty())


def wants_color(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def _drop_color_message(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    event_dict.pop("color_message", None)
    return event_dict


def configure_logging(
    *,
    log_format: LogFormat = "auto",
    level: str = "INFO",
    scrubber: SecretScrubber | None = None,
    stream: TextIO | None = None,
) -> None:
    """Route structlog and stdlib logging through one formatter on ``stream``."""
    stream = sys.stdout if stream is None else stream
    scrubber = scrubber or SecretScrubber(())
    as_json = wants_json(log_format, stream)

    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        _drop_color_message,
    ]
    renderer: Processor
    if as_json:
        renderer = structlog.processors.JSONRenderer()
        final_pre: list[Processor] = [structlog.processors.dict_tracebacks]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=wants_color(stream))
        final_pre = []

    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *final_pre,
            scrubber,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx2 logs every request at INFO; keep it to warnings unless debugging.
    for noisy in ("httpx", "httpx2", "httpcore", "httpcore2"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """Return a named structlog logger."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


__all__ = ["REDACTED", "SecretScrubber", "configure_logging", "get_logger"]
