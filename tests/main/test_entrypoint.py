"""``python -m bot`` as an operator runs it: config errors, a bad token, logs, SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal

from tests.fakes.discord_api import FakeDiscord
from tests.fakes.responses_api import FakeResponses, Script
from tests.support.process import clean_env, run_bot

SECRET_KEY = "sk-test-secret-value-123"


async def test_missing_setting_is_one_line_and_exit_2(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET_KEY)
    proc = await run_bot(env, cwd=tmp_path)  # no .env here
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert lines == [lines[0]]
    assert lines[0].startswith("error: DISCORD_TOKEN: is not set")
    assert "Traceback" not in err.decode()
    assert SECRET_KEY not in (out + err).decode()


async def test_invalid_setting_names_the_variable(tmp_path):
    env = clean_env(DISCORD_TOKEN="x", OPENAI_API_KEY="y", BOT_CHANNEL_WINDOW="soon")
    proc = await run_bot(env, cwd=tmp_path)
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert err.decode().strip() == "error: BOT_CHANNEL_WINDOW: must be a number, got 'soon'"


async def test_rejected_discord_token_is_one_clear_line():
    async with FakeDiscord() as discord_fake:
        env = clean_env(
            DISCORD_TOKEN="wrong-token-value",
            OPENAI_API_KEY=SECRET_KEY,
            FAKE_DISCORD_API=discord_fake.base_url,
            FAKE_DISCORD_GATEWAY=discord_fake.gateway_url,
            BOT_LOG_FORMAT="json",
        )
        proc = await run_bot(env, module="tests.fakes.launch")
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    assert err.decode().strip().splitlines()[-1] == (
        "error: DISCORD_TOKEN was rejected by Discord; reset and copy the bot token."
    )
    assert "Traceback" not in err.decode()
    assert "wrong-token-value" not in (out + err).decode()


async def test_bot_process_replies_logs_json_without_secrets_and_stops_on_sigterm():
    async with FakeDiscord() as discord_fake, FakeResponses(api_key=SECRET_KEY) as model_fake:
        model_fake.default = Script(text="Reply from a subprocess bot.", rate=20)
        env = clean_env(
            DISCORD_TOKEN=discord_fake.token,
            OPENAI_API_KEY=SECRET_KEY,
            OPENAI_BASE_URL=model_fake.base_url,
            FAKE_DISCORD_API=discord_fake.base_url,
            FAKE_DISCORD_GATEWAY=discord_fake.gateway_url,
        )
        proc = await run_bot(env, module="tests.fakes.launch")
        try:
            await discord_fake.wait_for(lambda f: f.commands, timeout=30)
            await asyncio.wait_for(discord_fake.identified.wait(), 30)
            asked = await discord_fake.inject_message(10, "hello")
            await discord_fake.wait_for(
                lambda f: any(
                    m.reference_id == asked and "\n-# " in m.content and "⏳" not in m.content
                    for m in f.bot_messages()
                ),
                timeout=30,
            )
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    text = out.decode()
    assert SECRET_KEY not in text + err.decode()
    assert discord_fake.token not in text + err.decode()
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    events = [r["event"] for r in records]
    assert "reply.started" in events
    assert "bot.stopped" in events
    [finished] = [r for r in records if r["event"] == "reply.finished"]
    assert finished["status"] == "completed"
    assert finished["level"] == "info"
    assert finished["session_id"]
    assert "timestamp" in finished
    # discord.py's own records come through the same JSON pipeline.
    assert any(r.get("logger", "").startswith("discord") for r in records)
