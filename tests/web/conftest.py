"""The bot with its HTTP server on, against the fakes; an HTTP client for the tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import structlog

from bot.web.server import WebServer
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.responses_api import FakeResponses
from tests.support.harness import Harness, make_settings, running_bot


@dataclass
class Web:
    """The running bot (``h``), its HTTP server and a client session for it."""

    h: Harness
    server: WebServer
    url: str
    session: aiohttp.ClientSession

    async def metrics(self) -> str:
        async with self.session.get(f"{self.url}/metrics") as response:
            assert response.status == 200
            return await response.text()


@pytest.fixture
def make_web(
    discord_fake: FakeDiscord, model_fake: FakeResponses, tmp_path: Path
) -> Callable[..., Any]:
    """``async with make_web(**settings) as web``: the bot and its HTTP server on loopback."""

    @contextlib.asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[Web]:
        overrides.setdefault("data_dir", str(tmp_path / "data"))
        overrides.setdefault("http_addr", ("127.0.0.1", 0))
        settings = make_settings(discord_fake, model_fake, **overrides)
        with structlog.testing.capture_logs() as records:
            async with running_bot(
                settings, discord_fake, grace=2.0, guild_ready_timeout=0.1
            ) as bot:
                server = WebServer(bot.app, front=bot)
                await server.start()
                try:
                    async with aiohttp.ClientSession() as session:
                        harness = Harness(bot, discord_fake, model_fake, records)
                        yield Web(harness, server, f"http://127.0.0.1:{server.port}", session)
                finally:
                    await server.stop()

    return run
