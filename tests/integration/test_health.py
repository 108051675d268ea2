"""The heartbeat follows the gateway connection; the healthcheck command reads it."""

from __future__ import annotations

import asyncio
import sys

from bot import health
from tests.integration.conftest import ROOT


async def test_heartbeat_written_while_connected_and_removed_on_close(
    make_harness, tmp_path, monkeypatch
):
    monkeypatch.setattr(health, "INTERVAL", 0.05)
    path = health.heartbeat_path(tmp_path)
    async with make_harness(data_dir=str(tmp_path)) as h:
        async with asyncio.timeout(5):
            while not path.exists():  # noqa: ASYNC110 - the file system has no event to await
                await asyncio.sleep(0.05)
        assert h.bot.gateway_connected()
        assert health.check(path)[0]
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "healthcheck",
            cwd=ROOT,
            env={"BOT_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await proc.communicate()
        assert proc.returncode == 0
        assert out.decode().startswith("healthy: heartbeat")
        await h.discord.close_gateway(4000)  # a dropped connection: discord.py resumes
    assert not path.exists()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "healthcheck",
        cwd=ROOT,
        env={"BOT_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 1
    assert out.decode().startswith("unhealthy: no heartbeat")
