"""``python -m bot`` as an operator runs it: config errors, a bad token, logs, SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal

from tests.fakes.discord_api import FakeDiscord
from tests.fakes.responses_api import FakeResponses, Script
from tests.support.process import clean_env, fakes_env, run_bot

SECRET_KEY = "sk-test-secret-value-123"


def json_records(out: bytes) -> list[dict]:
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


async def test_missing_setting_is_a_json_record_and_exit_2_when_logs_are_json(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET_KEY)  # stdout is a pipe: auto means JSON
    proc = await run_bot(env, cwd=tmp_path)  # no .env here
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    [record] = json_records(out)
    assert record["event"] == "bot.fatal"
    assert record["level"] == "critical"
    assert record["exit_code"] == 2
    assert record["error"].startswith("DISCORD_TOKEN: is not set")
    assert "timestamp" in record
    assert err.decode() == ""
    assert SECRET_KEY not in (out + err).decode()


async def test_every_problem_is_reported_at_once_one_line_each(tmp_path):
    env = clean_env(
        OPENAI_API_KEY=SECRET_KEY,
        BOT_CHANNEL_WINDOW="soon",
        BOT_LOG_LEVEL="verbose",
        BOT_MODELS="a,,b",
        BOT_LOG_FORMAT="console",
    )
    proc = await run_bot(env, cwd=tmp_path)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert out.decode() == ""
    lines = err.decode().strip().splitlines()
    assert lines[0].startswith("error: DISCORD_TOKEN: is not set;")
    assert lines[1:] == [
        "error: BOT_MODELS: entry 2 of 3 is empty in 'a,,b'",
        "error: BOT_CHANNEL_WINDOW: must be a number, got 'soon'",
        "error: BOT_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, got 'verbose'",
    ]
    assert "Traceback" not in err.decode()


def discord_env(discord_fake: FakeDiscord, **extra: str) -> dict[str, str]:
    return clean_env(
        OPENAI_API_KEY=SECRET_KEY,
        FAKE_DISCORD_API=discord_fake.base_url,
        FAKE_DISCORD_GATEWAY=discord_fake.gateway_url,
        **extra,
    )


async def test_rejected_discord_token_is_one_clear_line_and_exit_3():
    async with FakeDiscord() as discord_fake:
        env = discord_env(discord_fake, DISCORD_TOKEN="wrong-token-value", BOT_LOG_FORMAT="console")
        proc = await run_bot(env, module="tests.fakes.launch")
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 3
    assert err.decode().strip().splitlines() == [
        (
            "error: DISCORD_TOKEN was rejected by Discord (401); reset the token on the Bot tab "
            "of the developer portal and paste it again."
        )
    ]
    assert "wrong-token-value" not in (out + err).decode()


async def test_forbidden_login_is_one_json_record_naming_the_cause_and_exit_3():
    async with FakeDiscord() as discord_fake:
        discord_fake.fail_next("GET", r"^/users/@me$", status=403, count=10)
        env = discord_env(discord_fake, DISCORD_TOKEN=discord_fake.token, BOT_LOG_FORMAT="json")
        proc = await run_bot(env, module="tests.fakes.launch")
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 3
    fatal = [r for r in json_records(out) if r["event"] == "bot.fatal"]
    assert [r["error"] for r in fatal] == [
        (
            "Discord refused the login (403 Forbidden): a proxy in between, or a ban of this "
            "bot or this machine's IP address. Check that this machine reaches discord.com "
            "directly."
        )
    ]
    assert "Traceback" not in (out + err).decode()
    assert discord_fake.token not in (out + err).decode()


async def test_a_configuration_error_holds_until_stopped_when_asked(tmp_path):
    env = clean_env(BOT_HOLD_ON_CONFIG_ERROR="true", BOT_LOG_FORMAT="json")
    proc = await run_bot(env, cwd=tmp_path)
    assert proc.stdout is not None
    lines = [json.loads(await asyncio.wait_for(proc.stdout.readline(), 30)) for _ in range(3)]
    assert [r["event"] for r in lines] == ["bot.fatal", "bot.fatal", "bot.holding"]
    await asyncio.sleep(0.3)
    assert proc.returncode is None  # still there: a supervisor sees no exit to restart
    proc.send_signal(signal.SIGTERM)
    await asyncio.wait_for(proc.wait(), 10)
    assert proc.returncode == 2


async def test_bot_process_replies_logs_json_without_secrets_and_stops_on_sigterm():
    async with FakeDiscord() as discord_fake, FakeResponses(api_key=SECRET_KEY) as model_fake:
        model_fake.default = Script(text="Reply from a subprocess bot.", rate=20)
        model_fake.models = ["gpt-4o-mini", "llama3"]
        env = fakes_env(discord_fake, model_fake, OPENAI_API_KEY=SECRET_KEY)
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
    # The first start says what an operator needs: the model server, the invite, the sync.
    [checked] = [r for r in records if r["event"] == "model_server.checked"]
    assert checked["server"] == model_fake.base_url
    assert checked["model"] == "gpt-4o-mini"
    assert checked["model_listed"] is True
    assert checked["models"] == ["gpt-4o-mini", "llama3"]
    [logged_in] = [r for r in records if r["event"] == "discord.logged_in"]
    invite = logged_in["invite_url"]
    assert invite.startswith("https://discord.com/oauth2/authorize?client_id=")
    assert "scope=bot+applications.commands" in invite
    assert "permissions=309237713920" in invite
    [synced] = [r for r in records if r["event"] == "commands.synced"]
    assert synced["scope"] == "global"
    assert "BOT_GUILD_ID" in synced["note"]


async def test_a_data_directory_that_cannot_be_written_is_one_line_and_exit_2(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data directory should be")
    async with FakeDiscord() as discord_fake:
        env = discord_env(
            discord_fake,
            DISCORD_TOKEN=discord_fake.token,
            BOT_DATA_DIR=str(blocker / "sub"),
            BOT_LOG_FORMAT="console",
        )
        proc = await run_bot(env, module="tests.fakes.launch")
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    [line] = err.decode().strip().splitlines()
    assert line.startswith(f"error: BOT_DATA_DIR: {blocker / 'sub'} is not a writable directory")
