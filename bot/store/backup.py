"""``relaybot backup FILE``: a consistent copy of the database, also while the bot runs.

SQLite's online backup API copies the database page by page and restarts when a
write lands in between, so the copy is always a consistent state (the bot keeps
running). The copy is written beside the target and renamed into place, so a
half-written backup never takes the target's name.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from bot import exits
from bot.exits import FatalError
from bot.store.sqlite import database_path


def backup(data_dir: str | os.PathLike[str], target: str | os.PathLike[str]) -> str:
    """Copy the database in ``data_dir`` to ``target``; returns one line saying what was done."""
    source = database_path(data_dir)
    if not source.is_file():
        raise FatalError(
            exits.CONFIG,
            f"there is no database at {source}; check BOT_DATA_DIR (the bot makes it at start)",
        )
    destination = Path(target)
    partial = destination.with_name(destination.name + ".partial")
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)
            finally:
                dst.close()
        partial.replace(destination)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise FatalError(exits.FAILURE, f"the backup to {destination} failed: {exc}") from exc
    size = destination.stat().st_size
    return f"backup of {source} written to {destination} ({size / 1024:,.0f} KB)"
