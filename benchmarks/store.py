"""What the store costs a reply: the SQLite work of one reply, timed on a real file.

Per reply the bot reads the place's settings and access lists (cached after the
first reply in a place: on the reply's path), and writes the reply's in-flight
record, one row per message, the record's removal and the usage row (queued, off
the reply's path). Both are timed here over ``REPLIES`` replies of 3 messages each
against a database file in a temporary directory, as the bot does them.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass

from bot.core.access import AccessPolicy, Asker, Lists
from bot.core.models import ModelCatalog
from bot.core.server_settings import Place, ServerSettings
from bot.core.storage import InFlight, UsageRecord, today
from bot.store.sqlite import SqliteStore

REPLIES = 300
MESSAGES = 3


@dataclass
class StoreResult:
    """Milliseconds per reply: reads on the reply's path, and background writes."""

    path_ms: list[float]
    background_ms: list[float]


async def _measure() -> StoreResult:
    with tempfile.TemporaryDirectory(prefix="relaybot-store-") as directory:
        store = await SqliteStore.open(directory)
        settings = ServerSettings(
            store,
            defaults={"model": "m"},
            models=ModelCatalog(None, default="m"),
            max_output_tokens=4096,
        )
        access = AccessPolicy(store, Lists(), allow_dms=True)
        await settings.change("guild", "1", "temperature", "0.5", by="admin")
        result = StoreResult([], [])
        try:
            for i in range(REPLIES):
                channel = str(10 + i % 20)  # twenty channels: most reads come from the cache
                started = time.perf_counter()
                await settings.effective(Place("1", channel))
                await access.check(Asker(str(i % 50), "1", (channel,)))
                result.path_ms.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                reply_id = f"r{i}"
                await store.reply_started(InFlight(reply_id, channel))
                for message in range(MESSAGES):
                    await store.reply_message(reply_id, str(i * 10 + message))
                await store.reply_done(reply_id)
                await store.record_usage(UsageRecord(today(), "1", str(i % 50), "m", 500, 300, 0))
                result.background_ms.append((time.perf_counter() - started) * 1000)
        finally:
            await store.close()
        return result


def measure_store() -> StoreResult:
    """Time the store's work for ``REPLIES`` replies."""
    return asyncio.run(_measure())


def store_table(result: StoreResult) -> list[str]:
    """The markdown lines for the report."""

    def cell(values: list[float]) -> str:
        ordered = sorted(values)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        return f"{statistics.fmean(values):.2f} / {p95:.2f} / {max(values):.2f}"

    return [
        f"### The store's cost per reply ({REPLIES} replies of {MESSAGES} messages, SQLite file)",
        "",
        "| work | ms per reply (mean / p95 / max) |",
        "|---|---:|",
        f"| on the reply's path: settings and access (cached) | {cell(result.path_ms)} |",
        f"| in the background: in-flight record, messages, usage | {cell(result.background_ms)} |",
        "",
    ]
