"""Running ``python -m bot`` as a child process, as an operator would."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.fakes.discord_api import FakeDiscord
    from tests.fakes.responses_api import FakeResponses

ROOT = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "OPENAI_", "BOT_"))}
    env.update(extra)
    return env


def fakes_env(discord_fake: FakeDiscord, model_fake: FakeResponses, **extra: str) -> dict[str, str]:
    """What a new user sets (token, key, model server), pointed at the fakes; ``extra`` wins."""
    return clean_env(
        **{
            "DISCORD_TOKEN": discord_fake.token,
            "OPENAI_API_KEY": "test-key",
            "OPENAI_BASE_URL": model_fake.base_url,
            "FAKE_DISCORD_API": discord_fake.base_url,
            "FAKE_DISCORD_GATEWAY": discord_fake.gateway_url,
            **extra,
        }
    )


async def run_bot(
    env: dict[str, str], *args: str, module: str = "bot", cwd: Path = ROOT
) -> asyncio.subprocess.Process:
    """``python -m <module> <args>`` with ``env``; the project importable from any ``cwd``."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *args,
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
