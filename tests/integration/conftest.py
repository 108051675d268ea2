"""The real bot (discord.py + AsyncOpenAI) against the fake Discord and fake Responses API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import structlog

from bot.config import Settings
from bot.discord_front.client import RelayBot
from tests.fakes.discord_server import FakeDiscord, FakeMessage
from tests.fakes.responses_server import FakeResponses

ROOT = Path(__file__).resolve().parents[2]
MODEL = "gpt-test"
OTHER_MODEL = "gpt-other"
FOOTER = f"-# {MODEL} · "
CHANNEL = 10


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


def make_settings(discord_fake: FakeDiscord, model_fake: FakeResponses, **overrides) -> Settings:
    values: dict[str, Any] = {
        "discord_token": discord_fake.token,
        "openai_api_key": "test-key",
        "openai_base_url": model_fake.base_url,
        "model": MODEL,
        "models": (MODEL, OTHER_MODEL),
        "system_prompt": "Default system prompt.",
        "openai_timeout": 5.0,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Harness:
    bot: RelayBot
    discord: FakeDiscord
    model: FakeResponses
    records: list[dict[str, Any]]

    def finished(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r["event"] == "reply.finished"]

    async def mention(self, text: str, channel: int = CHANNEL) -> int:
        return await self.discord.inject_message(channel, f"<@{self.discord.bot_user_id}> {text}")

    async def wait_finished(self, count: int = 1, limit: float = 30.0) -> list[dict[str, Any]]:
        """Wait for ``count`` canonical ``reply.finished`` records (logged after the last write)."""
        async with asyncio.timeout(limit):
            # structlog's capture list has no notification hook, so look every 20 ms.
            while len(self.finished()) < count:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        return self.finished()

    def replies_to(self, message_id: int) -> list[FakeMessage]:
        """The bot's messages of the reply that answers ``message_id`` (first + continuations)."""
        bot_msgs = self.discord.bot_messages()
        first = next(i for i, m in enumerate(bot_msgs) if m.reference_id == message_id)
        out = [bot_msgs[first]]
        for m in bot_msgs[first + 1 :]:
            if m.reference_id is not None or m.channel_id != out[0].channel_id:
                break
            out.append(m)
        return out


@pytest.fixture
def make_harness(
    discord_fake: FakeDiscord, model_fake: FakeResponses, tmp_path: Path
) -> Callable[..., Any]:
    """``async with make_harness(**settings) as h`` runs the bot until the block ends."""

    @contextlib.asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[Harness]:
        overrides.setdefault("data_dir", str(tmp_path / "data"))
        settings = make_settings(discord_fake, model_fake, **overrides)
        bot = RelayBot(settings, grace=2.0, guild_ready_timeout=0.1)
        with structlog.testing.capture_logs() as records:
            async with discord_fake.running(bot):
                yield Harness(bot, discord_fake, model_fake, records)

    return run
