"""The usage and replies-in-flight tables of the SQLite store (see ``bot.store.sqlite``)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiosqlite

from bot.core.storage import InFlight, UsageRecord, UsageTotal, now_iso


class Records:
    """Usage rows and in-flight replies, on one aiosqlite connection."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._lock = asyncio.Lock()

    async def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        async with self._db.execute(sql, args) as cursor:
            return list(await cursor.fetchall())

    # -- usage -------------------------------------------------------------------------

    async def record_usage(self, record: UsageRecord) -> None:
        """Add one reply's usage."""
        await self._db.execute(
            "INSERT INTO usage (day, guild_id, user_id, model, input_tokens, output_tokens,"
            " reasoning_tokens, estimated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.day,
                record.guild_id,
                record.user_id,
                record.model,
                record.input_tokens,
                record.output_tokens,
                record.reasoning_tokens,
                int(record.estimated),
            ),
        )

    async def usage(
        self, day: str, *, user_id: str | None = None, guild_id: str | None = None
    ) -> UsageTotal:
        """Usage summed over a day, for one user and/or one server."""
        rows = await self._rows(
            "SELECT COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0)"
            " FROM usage WHERE day = ? AND (? IS NULL OR user_id = ?)"
            " AND (? IS NULL OR guild_id = ?)",
            (day, user_id, user_id, guild_id, guild_id),
        )
        return UsageTotal(*rows[0])

    async def top_users(self, day: str, guild_id: str, limit: int) -> list[tuple[str, UsageTotal]]:
        """The users of a server who used the most tokens that day."""
        rows = await self._rows(
            "SELECT user_id, COUNT(*), SUM(input_tokens), SUM(output_tokens) FROM usage"
            " WHERE day = ? AND guild_id = ? GROUP BY user_id"
            " ORDER BY SUM(input_tokens) + SUM(output_tokens) DESC LIMIT ?",
            (day, guild_id, limit),
        )
        return [(user, UsageTotal(n, i, o)) for user, n, i, o in rows]

    # -- replies in flight ---------------------------------------------------------------

    async def reply_started(self, reply: InFlight) -> None:
        """A reply began."""
        await self._db.execute(
            "INSERT INTO replies_in_flight (reply_id, channel_id, token, token_expires,"
            " started_at) VALUES (?, ?, ?, ?, ?)",
            (reply.reply_id, reply.channel_id, reply.token, reply.token_expires, now_iso()),
        )

    async def reply_message(self, reply_id: str, message_id: str) -> None:
        """A reply created a message."""
        await self._db.execute(
            "INSERT INTO reply_messages (reply_id, position, message_id) VALUES (?,"
            " (SELECT COUNT(*) FROM reply_messages WHERE reply_id = ?), ?)",
            (reply_id, reply_id, message_id),
        )

    async def reply_done(self, reply_id: str) -> None:
        """A reply's final write landed: forget it (and its token)."""
        async with self._lock:
            await self._db.execute("BEGIN")
            await self._db.execute("DELETE FROM reply_messages WHERE reply_id = ?", (reply_id,))
            await self._db.execute("DELETE FROM replies_in_flight WHERE reply_id = ?", (reply_id,))
            await self._db.execute("COMMIT")

    async def unfinished(self) -> list[InFlight]:
        """Replies that never finished (a crash)."""
        replies = await self._rows(
            "SELECT reply_id, channel_id, token, token_expires FROM replies_in_flight"
            " ORDER BY started_at"
        )
        found = []
        for reply_id, channel_id, token, expires in replies:
            messages = await self._rows(
                "SELECT message_id FROM reply_messages WHERE reply_id = ? ORDER BY position",
                (reply_id,),
            )
            found.append(
                InFlight(reply_id, channel_id, token, expires, tuple(m for (m,) in messages))
            )
        return found
