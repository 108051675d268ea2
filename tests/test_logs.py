import io
import json
import logging

import structlog

from bot.logs import REDACTED, SecretScrubber, configure_logging, get_logger


def test_json_lines_and_secrets_scrubbed_from_all_loggers():
    stream = io.StringIO()
    configure_logging(
        log_format="json",
        level="INFO",
        scrubber=SecretScrubber(["sk-very-secret"]),
        stream=stream,
    )
    try:
        get_logger("bot.test").info(
            "hello", key="sk-very-secret", nested={"a": ["x sk-very-secret"]}
        )
        logging.getLogger("discord.http").warning("token is %s", "sk-very-secret")
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
    assert [r["event"] for r in lines] == ["hello", f"token is {REDACTED}"]
    assert lines[0]["key"] == REDACTED
    assert lines[0]["nested"] == {"a": [f"x {REDACTED}"]}
    assert lines[1]["logger"] == "discord.http"
    assert lines[1]["level"] == "warning"
    assert "sk-very-secret" not in stream.getvalue()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def console_output(stream: io.StringIO) -> str:
    configure_logging(log_format="console", level="INFO", stream=stream)
    try:
        get_logger("bot.test").warning("coloured", field="value")
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
    return stream.getvalue()


def test_console_logs_are_coloured_only_on_a_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" in console_output(Terminal())
    piped = console_output(io.StringIO())
    assert "coloured" in piped
    assert "\x1b[" not in piped


def test_no_color_turns_colour_off_even_on_a_terminal(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    out = console_output(Terminal())
    assert "coloured" in out
    assert "\x1b[" not in out
