"""Entry point: ``python -m bot`` (or the ``relaybot`` console script).

Configuration problems print one line naming the variable and exit with code 2;
a rejected Discord token or an unreachable Discord exits with code 1. SIGTERM and
SIGINT stop the bot gracefully (exit 0). ``python -m bot healthcheck`` exits 0
while the running bot's heartbeat is fresh, 1 otherwise.
"""

from __future__ import annotations

import asyncio
import signal
import sys

import aiohttp
import discord
from dotenv import find_dotenv, load_dotenv

from bot import health
from bot.app import App
from bot.config import ConfigError, Settings, data_dir, load_settings
from bot.discord_front.client import RelayBot
from bot.logs import SecretScrubber, configure_logging, get_logger

log = get_logger("bot")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2


async def run(settings: Settings, scrubber: SecretScrubber) -> None:
    """Run the bot until it is closed or receives SIGTERM/SIGINT."""
    async with App.build(settings, scrubber=scrubber) as app:
        await _run_bot(app)
    log.info("bot.stopped")


async def _run_bot(app: App) -> None:
    bot = RelayBot(app)
    loop = asyncio.get_running_loop()
    closing: list[asyncio.Task[None]] = []

    def request_stop(signame: str) -> None:
        if closing:
            return
        log.info("bot.stopping", signal=signame, active_replies=bot.replies.active)
        closing.append(loop.create_task(bot.close()))

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_stop, sig.name)
    async with bot:
        await bot.start(app.settings.discord_token)
    if closing:
        await closing[0]


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)  # noqa: T201 - the one line an operator reads
    return code


def healthcheck() -> int:
    """Exit 0 while the bot's heartbeat is fresh (gateway connected, loop answering)."""
    healthy, line = health.check(health.heartbeat_path(data_dir()))
    print(line)  # noqa: T201 - shown by `docker inspect` as the check's output
    return EXIT_OK if healthy else EXIT_FAILURE


def main(argv: list[str] | None = None) -> int:
    """Load settings, configure logging and run; returns the process exit code."""
    load_dotenv(find_dotenv(usecwd=True))
    args = sys.argv[1:] if argv is None else argv
    if args == ["healthcheck"]:
        return healthcheck()
    if args:
        return _fail(
            f"unknown arguments {' '.join(args)!r}; usage: python -m bot [healthcheck]", EXIT_CONFIG
        )
    try:
        settings = load_settings()
    except ConfigError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    scrubber = SecretScrubber(settings.secrets())
    configure_logging(log_format=settings.log_format, level=settings.log_level, scrubber=scrubber)
    return _run_until_stopped(settings, scrubber)


def _run_until_stopped(settings: Settings, scrubber: SecretScrubber) -> int:
    scrub = scrubber.scrub
    try:
        asyncio.run(run(settings, scrubber))
    except discord.LoginFailure:
        return _fail(
            "DISCORD_TOKEN was rejected by Discord; reset and copy the bot token.", EXIT_FAILURE
        )
    except discord.PrivilegedIntentsRequired:
        return _fail(
            "the Message Content intent is not enabled; turn it on in the Discord developer "
            "portal (Bot tab, Privileged Gateway Intents).",
            EXIT_FAILURE,
        )
    except (aiohttp.ClientConnectionError, OSError) as exc:
        return _fail(f"cannot reach Discord: {scrub(str(exc))}", EXIT_FAILURE)
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
