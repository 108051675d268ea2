"""The SQLite store: migrations, every kind of record, and the start-up failures."""

from __future__ import annotations

import sqlite3

import pytest

from bot import exits
from bot.core.storage import AccessEntry, InFlight, UsageRecord, UsageTotal
from bot.exits import FatalError
from bot.store.migrate import LATEST, migrations
from bot.store.sqlite import SqliteStore, database_path


def tables(path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


async def test_an_empty_database_gets_every_migration_in_wal_mode(tmp_path):
    store = await SqliteStore.open(tmp_path)
    await store.close()
    path = database_path(tmp_path)
    assert {"settings", "setting_changes", "access", "usage", "replies_in_flight"} <= tables(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        versions = [r[0] for r in db.execute("SELECT version FROM schema_migrations ORDER BY 1")]
    assert versions == [m.version for m in migrations()] == list(range(1, LATEST + 1))


@pytest.mark.parametrize("start", range(1, LATEST))
async def test_each_older_schema_is_migrated_and_keeps_its_data(tmp_path, start):
    old = await SqliteStore.open(tmp_path, up_to=start)
    await old.change_setting("guild", "1", "model", "m1", by="9")
    if start >= 2:
        await old.change_access(AccessEntry("1", "block", "user", "5", by="9"), add=True)
    await old.close()
    assert "usage" not in tables(database_path(tmp_path)) or start >= 3
    store = await SqliteStore.open(tmp_path)
    try:
        assert await store.settings("guild", "1") == {"model": "m1"}
        if start >= 2:
            assert [e.target_id for e in await store.access("1")] == ["5"]
        await store.record_usage(UsageRecord("2026-11-22", "1", "5", "m1", 10, 20, 0))
        assert (await store.usage("2026-11-22")).tokens == 30
    finally:
        await store.close()


async def test_a_database_from_a_newer_version_stops_the_bot(tmp_path):
    store = await SqliteStore.open(tmp_path)
    await store.close()
    with sqlite3.connect(database_path(tmp_path)) as db:
        db.execute("INSERT INTO schema_migrations VALUES (?, 'future', 'now')", (LATEST + 1,))
    with pytest.raises(FatalError) as caught:
        await SqliteStore.open(tmp_path)
    assert caught.value.code == exits.CONFIG
    assert f"schema version {LATEST + 1}, newer than this relaybot knows ({LATEST})" in str(
        caught.value
    )


async def test_a_data_directory_that_cannot_be_written_stops_the_bot(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the data directory should be")
    with pytest.raises(FatalError) as caught:
        await SqliteStore.open(blocker / "data")
    assert caught.value.code == exits.CONFIG
    assert caught.value.lines[0].startswith(f"BOT_DATA_DIR: {blocker / 'data'} is not a writable")


async def test_settings_changes_are_recorded_with_who_and_old_to_new(tmp_path):
    store = await SqliteStore.open(tmp_path)
    try:
        assert await store.change_setting("guild", "1", "temperature", "0.5", by="7") is None
        assert await store.change_setting("guild", "1", "temperature", "0.9", by="8") == "0.5"
        assert await store.change_setting("channel", "2", "model", "m2", by="7") is None
        assert await store.change_setting("guild", "1", "temperature", None, by="7") == "0.9"
        assert await store.settings("guild", "1") == {}
        history = await store.setting_history([("guild", "1"), ("channel", "2")], limit=10)
    finally:
        await store.close()
    assert [(c.scope, c.key, c.old, c.new, c.by) for c in history] == [
        ("guild", "temperature", "0.9", None, "7"),
        ("channel", "model", None, "m2", "7"),
        ("guild", "temperature", "0.5", "0.9", "8"),
        ("guild", "temperature", None, "0.5", "7"),
    ]
    assert all(c.at for c in history)


async def test_usage_sums_per_user_and_server_and_the_top_users(tmp_path):
    store = await SqliteStore.open(tmp_path)
    day = "2026-11-22"
    try:
        for user, guild, tokens in [("a", "1", 100), ("a", "1", 50), ("b", "1", 10), ("a", "2", 5)]:
            await store.record_usage(UsageRecord(day, guild, user, "m", tokens, tokens, 1))
        await store.record_usage(UsageRecord("2026-11-21", "1", "a", "m", 999, 999, 0))
        assert await store.usage(day, user_id="a") == UsageTotal(3, 155, 155)
        assert await store.usage(day, guild_id="1") == UsageTotal(3, 160, 160)
        assert await store.usage(day, user_id="a", guild_id="2") == UsageTotal(1, 5, 5)
        top = await store.top_users(day, "1", limit=5)
    finally:
        await store.close()
    assert top == [("a", UsageTotal(2, 150, 150)), ("b", UsageTotal(1, 10, 10))]


async def test_replies_in_flight_are_kept_until_done(tmp_path):
    store = await SqliteStore.open(tmp_path)
    try:
        await store.reply_started(InFlight("r1", "10"))
        await store.reply_started(InFlight("r2", "11", token="tok", token_expires=123.0))
        for message in ("100", "101", "102"):
            await store.reply_message("r1", message)
        await store.reply_done("r2")
    finally:
        await store.close()
    reopened = await SqliteStore.open(tmp_path)  # as after a crash
    try:
        assert await reopened.unfinished() == [
            InFlight("r1", "10", None, None, ("100", "101", "102"))
        ]
    finally:
        await reopened.close()
