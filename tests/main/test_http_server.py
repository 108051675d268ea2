"""``python -m bot`` with BOT_HTTP_ADDR: the server comes up beside Discord, or says why not."""

from __future__ import annotations

import asyncio
import signal
import socket

import aiohttp

from tests.fakes.discord_api import FakeDiscord
from tests.fakes.responses_api import FakeResponses, Script
from tests.support.process import clean_env, fakes_env, run_bot


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_env(discord_fake: FakeDiscord, model_fake: FakeResponses, **extra: str) -> dict[str, str]:
    return fakes_env(discord_fake, model_fake, **{"BOT_LOG_FORMAT": "json", **extra})


async def test_the_bot_serves_health_metrics_and_chat_and_stops_cleanly(tmp_path):
    port = free_port()
    async with FakeDiscord() as discord_fake, FakeResponses() as model_fake:
        model_fake.default = Script(text="Hello over HTTP.")
        env = bot_env(
            discord_fake, model_fake, BOT_HTTP_ADDR=f"127.0.0.1:{port}", BOT_DATA_DIR=str(tmp_path)
        )
        proc = await run_bot(env, module="tests.fakes.launch")
        url = f"http://127.0.0.1:{port}"
        try:
            await asyncio.wait_for(discord_fake.identified.wait(), 30)
            async with aiohttp.ClientSession() as session:
                async with asyncio.timeout(20):
                    while True:
                        try:
                            async with session.get(f"{url}/healthz") as response:
                                if response.status == 200:
                                    health = await response.json()
                                    break
                        except aiohttp.ClientConnectionError:
                            pass
                        await asyncio.sleep(0.1)
                async with session.post(f"{url}/api/chat", json={"prompt": "hi"}) as response:
                    body = await response.text()
                async with session.get(f"{url}/metrics") as response:
                    metrics = await response.text()
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    assert health["status"] == "ok"
    assert "Hello over HTTP." in body
    assert 'relaybot_replies_total{status="completed",trigger="http"} 1.0' in metrics
    assert '"event": "http.listening"' in out.decode() + err.decode()


async def test_a_public_address_without_a_token_is_refused_with_exit_2(tmp_path):
    env = clean_env(
        DISCORD_TOKEN="x" * 60,
        OPENAI_API_KEY="sk-test",
        BOT_HTTP_ADDR="0.0.0.0:8080",
        BOT_DATA_DIR=str(tmp_path),
        BOT_LOG_FORMAT="console",
    )
    proc = await run_bot(env)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: BOT_HTTP_TOKEN: is required when BOT_HTTP_ADDR listens")
    assert out == b""


async def test_a_port_in_use_is_one_line_and_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with FakeDiscord() as discord_fake, FakeResponses() as model_fake:
            env = bot_env(
                discord_fake,
                model_fake,
                BOT_HTTP_ADDR=f"127.0.0.1:{port}",
                BOT_DATA_DIR=str(tmp_path),
                BOT_LOG_FORMAT="console",
            )
            proc = await run_bot(env, module="tests.fakes.launch")
            out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert f"BOT_HTTP_ADDR: cannot listen on 127.0.0.1:{port} (already in use)" in err.decode()
    assert "Traceback" not in err.decode() + out.decode()
