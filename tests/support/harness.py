"""The real bot (discord.py + AsyncOpenAI) against the fake Discord and fake Responses API.

The fixtures that build it are in ``tests/conftest.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from bot.app import App
from bot.config import Settings
from bot.discord_front.client import RelayBot
from tests.fakes.discord_api import FakeDiscord, FakeMessage
from tests.fakes.responses_api import FakeResponses

MODEL = "gpt-test"
OTHER_MODEL = "gpt-other"
FOOTER = f"-# {MODEL} · "
CHANNEL = 10


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


@contextlib.asynccontextmanager
async def running_bot(
    settings: Settings, discord_fake: FakeDiscord, **options: Any
) -> AsyncIterator[RelayBot]:
    """The real bot, wired by :class:`App`, logged in to the fake until the block ends."""
    async with await App.open(settings) as app:
        bot = RelayBot(app, **options)
        async with discord_fake.running(bot):
            yield bot


@dataclass
class Harness:
    bot: RelayBot
    discord: FakeDiscord
    model: FakeResponses
    records: list[dict[str, Any]]

    def finished(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r["event"] == "reply.finished"]

    async def mention(self, text: str, channel: int = CHANNEL, author_id: int | None = None) -> int:
        content = f"<@{self.discord.bot_user_id}> {text}"
        return await self.discord.inject_message(channel, content, author_id=author_id)

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
        out = [next(m for m in bot_msgs if m.reference_id == message_id)]
        # Each continuation replies to the part before it.
        while (
            following := next((m for m in bot_msgs if m.reference_id == out[-1].id), None)
        ) is not None:
            out.append(following)
        return out


def conversation(received) -> list[tuple[str, str]]:
    """A model request's input as (role, text) pairs, in order."""
    return [(message.role, message.text) for message in received.messages]


def rest_gets(fake: FakeDiscord) -> list[str]:
    """Paths of the message reads (GET one message, or a history) the bot made."""
    return [c.path for c in fake.calls if c.method == "GET" and "/messages" in c.path]


async def command(h: Harness, channel: int, name: str, options: dict, **kwargs) -> str:
    """Run a slash command and return the text of its (immediate) answer."""
    token = await h.discord.inject_interaction(channel, name, options, **kwargs)
    await h.discord.wait_for(lambda f: f.interaction(token).responded, timeout=10)
    [callback] = h.discord.interaction(token).callbacks
    return callback.get("data", {}).get("content", "")


def usage_of(stream) -> dict:
    """The usage the fake model server reported for a stream."""
    return stream.events[-1]["response"]["usage"]
