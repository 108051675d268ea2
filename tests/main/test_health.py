"""The heartbeat follows the gateway connection; the healthcheck command reads it."""

from __future__ import annotations

import asyncio

from bot import health
from tests.support.process import run_bot


async def healthcheck(data_dir) -> tuple[int | None, str]:
    proc = await run_bot({"BOT_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin"}, "healthcheck")
    out, _ = await proc.communicate()
    return proc.returncode, out.decode()


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
        code, out = await healthcheck(tmp_path)
        assert code == 0
        assert out.startswith("healthy: heartbeat")
        await h.discord.close_gateway(4000)  # a dropped connection: discord.py resumes
    assert not path.exists()
    code, out = await healthcheck(tmp_path)
    assert code == 1
    assert out.startswith("unhealthy: no heartbeat")
