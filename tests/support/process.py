"""Running ``python -m bot`` as a child process, as an operator would."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "OPENAI_", "BOT_"))}
    env.update(extra)
    return env


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
