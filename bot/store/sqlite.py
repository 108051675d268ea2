"""The store in an embedded SQLite file (``BOT_DATA_DIR/relaybot.db``), WAL mode.

aiosqlite runs the standard sqlite3 driver in a thread of its own and keeps the
calls of one connection in order, so the event loop never waits on the disk and
writes land in the order they were made. One connection, in autocommit mode;
statements that must change together run in a transaction under a lock.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import aiosqlite

from bot import exits
from bot.core.storage import (
    AccessEntry,
    SettingChange,
    now_iso,
)
from bot.exits import FatalError
from bot.logs import get_logger
from bot.store.migrate import migrate
from bot.store.records import Records

log = get_logger(__name__)

FILENAME = "relaybot.db"


def database_path(data_dir: str | os.PathLike[str]) -> Path:
    """Where the database lives in the data directory."""
    return Path(data_dir) / FILENAME


def _unwritable(data_dir: Path, error: Exception) -> FatalError:
    return FatalError(
        exits.CONFIG,
        f"BOT_DATA_DIR: {data_dir} is not a writable directory ({error}); create it, or "
        "give the bot's user write access (in Docker: the relaybot-data volume at /data)",
    )


def _writable(directory: Path) -> Path:
    """``directory``, created if need be, once a file could be written in it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise _unwritable(directory, exc) from exc
    return directory


class SqliteStore(Records):
    """:class:`~bot.core.storage.Store` on SQLite.

    Settings and access lists are here; usage and replies in flight in
    :class:`~bot.store.records.Records`.
    """

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        super().__init__(db)
        self.path = path

    @classmethod
    async def open(
        cls, data_dir: str | os.PathLike[str], *, up_to: int | None = None
    ) -> SqliteStore:
        """Open (or create) the database and bring its schema up to date."""
        directory = _writable(Path(data_dir))
        path = database_path(directory)
        try:
            db = await aiosqlite.connect(path, isolation_level=None)
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=NORMAL")
            await db.execute("PRAGMA busy_timeout=5000")
        except sqlite3.Error as exc:
            raise _unwritable(directory, exc) from exc
        store = cls(db, path)
        try:
            applied = await migrate(db, str(path), up_to=up_to)
        except BaseException:
            await db.close()
            raise
        if applied:
            log.info("store.migrated", path=str(path), versions=applied)
        return store

    async def close(self) -> None:
        """Close the connection (pending statements run first)."""
        await self._db.close()

    # -- settings -------------------------------------------------------------------

    async def settings(self, scope: str, scope_id: str) -> dict[str, str]:
        """The settings stored for one scope."""
        rows = await self._rows(
            "SELECT key, value FROM settings WHERE scope = ? AND scope_id = ?", (scope, scope_id)
        )
        return dict(rows)

    async def change_setting(
        self, scope: str, scope_id: str, key: str, value: str | None, by: str
    ) -> str | None:
        """Set or remove one setting and record the change, in one transaction."""
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                rows = await self._rows(
                    "SELECT value FROM settings WHERE scope = ? AND scope_id = ? AND key = ?",
                    (scope, scope_id, key),
                )
                old = rows[0][0] if rows else None
                at = now_iso()
                if value is None:
                    await self._db.execute(
                        "DELETE FROM settings WHERE scope = ? AND scope_id = ? AND key = ?",
                        (scope, scope_id, key),
                    )
                else:
                    await self._db.execute(
                        "INSERT INTO settings (scope, scope_id, key, value, updated_by, updated_at)"
                        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scope, scope_id, key) DO UPDATE"
                        " SET value = excluded.value, updated_by = excluded.updated_by,"
                        " updated_at = excluded.updated_at",
                        (scope, scope_id, key, value, by, at),
                    )
                if old != value:
                    await self._db.execute(
                        "INSERT INTO setting_changes (scope, scope_id, key, old_value, new_value,"
                        " changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (scope, scope_id, key, old, value, by, at),
                    )
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
        return old

    async def setting_history(
        self, scopes: list[tuple[str, str]], limit: int
    ) -> list[SettingChange]:
        """The latest changes in these scopes, newest first."""
        found: list[tuple[int, SettingChange]] = []
        for scope, scope_id in scopes:
            rows = await self._rows(
                "SELECT id, scope, scope_id, key, old_value, new_value, changed_by, changed_at"
                " FROM setting_changes WHERE scope = ? AND scope_id = ? ORDER BY id DESC LIMIT ?",
                (scope, scope_id, limit),
            )
            found.extend((row[0], SettingChange(*row[1:])) for row in rows)
        found.sort(key=lambda pair: pair[0], reverse=True)
        return [change for _, change in found[:limit]]

    # -- access -----------------------------------------------------------------------

    async def access(self, guild_id: str) -> list[AccessEntry]:
        """A server's access lists."""
        rows = await self._rows(
            "SELECT guild_id, rule, target, target_id, added_by, added_at FROM access"
            " WHERE guild_id = ? ORDER BY rule, target, target_id",
            (guild_id,),
        )
        return [AccessEntry(*row) for row in rows]

    async def change_access(self, entry: AccessEntry, *, add: bool) -> bool:
        """Add or remove one entry; False when there was nothing to change."""
        key = (entry.guild_id, entry.rule, entry.target, entry.target_id)
        if add:
            cursor = await self._db.execute(
                "INSERT INTO access (guild_id, rule, target, target_id, added_by, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (*key, entry.by, entry.at or now_iso()),
            )
        else:
            cursor = await self._db.execute(
                "DELETE FROM access WHERE guild_id = ? AND rule = ? AND target = ?"
                " AND target_id = ?",
                key,
            )
        return cursor.rowcount > 0
