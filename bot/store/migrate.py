"""Numbered schema migrations, applied in order at start-up.

``migrations/NNNN_name.sql`` files are the schema's history; the database records
which it has (``schema_migrations``). A database newer than this code, or a data
directory the bot cannot write, stops the bot with one clear line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import aiosqlite

from bot import exits
from bot.exits import FatalError

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    """One step of the schema."""

    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """Every migration shipped with the bot, in order."""
    found = []
    for entry in resources.files("bot.store.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    return found


LATEST = migrations()[-1].version
_COMMENT = re.compile(r"--[^\n]*")


def _statements(sql: str) -> list[str]:
    """The statements of a migration (no semicolons inside string literals, please)."""
    return [part.strip() for part in _COMMENT.sub("", sql).split(";") if part.strip()]


async def current_version(db: aiosqlite.Connection) -> int:
    """The newest migration applied to ``db`` (0 for an empty database)."""
    await db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    async with db.execute("SELECT MAX(version) FROM schema_migrations") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


async def migrate(db: aiosqlite.Connection, path: str, *, up_to: int | None = None) -> list[int]:
    """Apply what ``db`` lacks (up to ``up_to``, default all); returns the versions applied."""
    have = await current_version(db)
    if have > LATEST:
        raise FatalError(
            exits.CONFIG,
            f"the database {path} has schema version {have}, newer than this relaybot knows "
            f"({LATEST}): run the newer relaybot, or restore a backup made for this one",
        )
    applied = []
    for step in migrations():
        if step.version <= have or (up_to is not None and step.version > up_to):
            continue
        await db.execute("BEGIN")
        try:
            for statement in _statements(step.sql):
                await db.execute(statement)
            await db.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) "
                "VALUES (?, ?, datetime('now'))",
                (step.version, step.name),
            )
            await db.execute("COMMIT")
        except BaseException:
            await db.execute("ROLLBACK")
            raise
        applied.append(step.version)
    return applied
