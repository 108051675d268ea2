"""``--http``: the bot's HTTP server on, with a live-view client and a Prometheus scraper.

The reply path must not notice them: the scenario's figures are compared with and
without. The bot's own staleness histogram is also read back and set beside the
staleness the benchmark measures from the fakes' clocks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.discord_front.client import RelayBot
from bot.web.server import WebServer

SCRAPE_EVERY = 1.0


@dataclass
class Observed:
    """What the observers saw."""

    live_events: int = 0
    live_bytes: int = 0
    scrapes: int = 0
    staleness_count: float = 0.0
    staleness_sum: float = 0.0

    @property
    def staleness_mean(self) -> float:
        return self.staleness_sum / self.staleness_count if self.staleness_count else float("nan")


async def _follow(url: str, seen: Observed, session: aiohttp.ClientSession) -> None:
    async with session.get(f"{url}/api/live") as response:
        async for line in response.content:
            seen.live_bytes += len(line)
            if line.startswith(b"event: "):
                seen.live_events += 1


async def _scrape(url: str, seen: Observed, session: aiohttp.ClientSession) -> None:
    while True:
        async with session.get(f"{url}/metrics") as response:
            text = await response.text()
        seen.scrapes += 1
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.labels.get("front") != "discord":
                    continue
                if sample.name == "relaybot_reply_staleness_seconds_count":
                    seen.staleness_count = sample.value
                elif sample.name == "relaybot_reply_staleness_seconds_sum":
                    seen.staleness_sum = sample.value
        await asyncio.sleep(SCRAPE_EVERY)


@contextlib.asynccontextmanager
async def observing(bot: RelayBot) -> AsyncIterator[Observed]:
    """Run the HTTP server, a live-view client and a scraper until the block ends."""
    server = WebServer(bot.app, front=bot)
    await server.start()
    url = f"http://127.0.0.1:{server.port}"
    seen = Observed()
    async with aiohttp.ClientSession() as session:
        tasks = [
            asyncio.create_task(_follow(url, seen, session)),
            asyncio.create_task(_scrape(url, seen, session)),
        ]
        try:
            yield seen
        finally:
            tasks[1].cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await tasks[1]
            await _scrape_once(url, seen, session)
            tasks[0].cancel()
            with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError):
                await tasks[0]
            await server.stop()


async def _scrape_once(url: str, seen: Observed, session: aiohttp.ClientSession) -> None:
    task = asyncio.create_task(_scrape(url, seen, session))
    await asyncio.sleep(0.2)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
