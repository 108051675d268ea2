"""``python -m bot backup FILE`` while the bot streams a reply: a consistent copy."""

from __future__ import annotations

import asyncio
import signal
import sqlite3

from tests.fakes.discord_api import FakeDiscord
from tests.fakes.responses_api import FakeResponses, Script
from tests.support.process import clean_env, fakes_env, run_bot


async def test_a_backup_taken_mid_stream_is_a_consistent_database(tmp_path):
    data, copy = tmp_path / "data", tmp_path / "backup.db"
    async with FakeDiscord() as discord_fake, FakeResponses() as model_fake:
        model_fake.default = Script(text=" ".join(f"w{i}" for i in range(400)), rate=40)
        env = fakes_env(
            discord_fake,
            model_fake,
            BOT_DATA_DIR=str(data),
        )
        bot = await run_bot(env, module="tests.fakes.launch")
        try:
            await asyncio.wait_for(discord_fake.identified.wait(), 30)
            asked = await discord_fake.inject_message(10, "keep talking")
            await discord_fake.wait_for(
                lambda f: any(m.reference_id == asked and m.edits >= 1 for m in f.bot_messages()),
                timeout=30,
            )
            backup = await run_bot(env, "backup", str(copy), cwd=tmp_path)
            out, err = await asyncio.wait_for(backup.communicate(), 30)
        finally:
            bot.send_signal(signal.SIGTERM)
            await asyncio.wait_for(bot.communicate(), 30)
    assert backup.returncode == 0, err.decode()
    assert out.decode().startswith(f"backup of {data / 'relaybot.db'} written to {copy} (")
    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        versions = [r[0] for r in db.execute("SELECT version FROM schema_migrations")]
        in_flight = db.execute("SELECT COUNT(*) FROM replies_in_flight").fetchone()[0]
    assert versions == sorted(versions)
    assert versions
    assert in_flight == 1  # the reply that was streaming when the copy was taken


async def test_a_backup_without_a_database_is_one_clear_line(tmp_path):
    env = clean_env(BOT_DATA_DIR=str(tmp_path / "empty"), BOT_LOG_FORMAT="console")
    proc = await run_bot(env, "backup", str(tmp_path / "x.db"), cwd=tmp_path)
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert err.decode().startswith(f"error: there is no database at {tmp_path / 'empty'}")
