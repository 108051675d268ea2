"""``relaybot run``: the bot in production, from settings to a clean stop.

It checks the Discord token first (a clear line instead of a traceback when
Discord refuses or is down), builds the :class:`~bot.app.App`, looks at the model
server once, starts the HTTP server when ``BOT_HTTP_ADDR`` is set, and runs the
Discord client until SIGTERM or SIGINT, when replies in flight get their grace
period and the process exits 0.
"""

from __future__ import annotations

import asyncio
import signal

from bot.app import App
from bot.config import Settings
from bot.core.server_check import check_server, log_check
from bot.discord_front.client import RelayBot
from bot.discord_front.login import check_login, describe_failure
from bot.logs import SecretScrubber, get_logger
from bot.web.server import WebServer

log = get_logger("bot")


async def serve(settings: Settings, scrubber: SecretScrubber) -> None:
    """Run until stopped; raises :class:`~bot.exits.FatalError` when Discord will not have us."""
    async with await App.open(settings, scrubber=scrubber) as app:
        await check_login(settings.discord_token)
        checking = asyncio.create_task(_check_model_server(app), name="model-server-check")
        try:
            await _run_discord(app)
        except Exception as exc:
            fatal = describe_failure(exc)
            if fatal is None:
                raise
            raise fatal from exc
        finally:
            checking.cancel()
    log.info("bot.stopped")


async def _check_model_server(app: App) -> None:
    log_check(await check_server(app.llm, app.settings.model))


async def _run_discord(app: App) -> None:
    bot = RelayBot(app)
    if app.settings.http_addr is None:
        await _until_stopped(bot)
        return
    web = WebServer(app, front=bot)
    await web.start()
    try:
        await _until_stopped(bot)
    finally:
        await web.stop()


async def _until_stopped(bot: RelayBot) -> None:
    app = bot.app
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
