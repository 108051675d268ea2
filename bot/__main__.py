"""Entry point: ``python -m bot`` (or the ``relaybot`` console script).

Configuration problems print one line naming the variable and exit with code 2;
a rejected Discord token or an unreachable Discord exits with code 1.
"""

from __future__ import annotations

import asyncio
import signal
import sys

import aiohttp
import discord
from dotenv import find_dotenv, load_dotenv

from bot.client import RelayBot
from bot.config import ConfigError, Settings, load_settings
from bot.logs import SecretScrubber, configure_logging, get_logger

log = get_logger("bot")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2


async def run(settings: Settings) -> None:
    """Run the bot until it is closed or receives SIGTERM/SIGINT."""
    bot = RelayBot(settings)
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
        await bot.start(settings.discord_token)
    if closing:
        await closing[0]
    log.info("bot.stopped")


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)  # noqa: T201 - the one line an operator reads
    return code


def main() -> int:
    """Load settings, configure logging and run; returns the process exit code."""
    load_dotenv(find_dotenv(usecwd=True))
    try:
        settings = load_settings()
    except ConfigError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    configure_logging(
        log_format=settings.log_format, level=settings.log_level, secrets=settings.secrets()
    )
    scrub = SecretScrubber(settings.secrets()).scrub
    try:
        asyncio.run(run(settings))
    except discord.LoginFailure:
        return _fail("DISCORD_TOKEN was rejected by Discord; reset and copy the bot token.", 1)
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
