"""Fixtures for every test: the fake Discord, the fake Responses API, the real bot."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import structlog

from tests.fakes.discord_api import FakeDiscord
from tests.fakes.responses_api import FakeResponses
from tests.support.harness import Harness, make_settings, running_bot


@pytest.fixture
async def discord_fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    fake.patch_discord(monkeypatch)
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def model_fake() -> AsyncIterator[FakeResponses]:
    fake = FakeResponses()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
def make_harness(
    discord_fake: FakeDiscord, model_fake: FakeResponses, tmp_path: Path
) -> Callable[..., Any]:
    """``async with make_harness(**settings) as h`` runs the bot until the block ends."""

    @contextlib.asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[Harness]:
        overrides.setdefault("data_dir", str(tmp_path / "data"))
        settings = make_settings(discord_fake, model_fake, **overrides)
        with structlog.testing.capture_logs() as records:
            async with running_bot(
                settings, discord_fake, grace=2.0, guild_ready_timeout=0.1
            ) as bot:
                yield Harness(bot, discord_fake, model_fake, records)

    return run
