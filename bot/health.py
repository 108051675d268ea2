"""Liveness for container health checks: a heartbeat file and the check that reads it.

The bot rewrites the file every few seconds, but only while its gateway connection
is open; ``python -m bot healthcheck`` passes while the file is fresh. A stalled
event loop stops the writes too, so the check catches both a lost gateway and a
hung process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

from bot.logs import get_logger

log = get_logger(__name__)

HEARTBEAT_FILE = "heartbeat.json"
#: Seconds between heartbeats, and the age past which the bot counts as unhealthy.
INTERVAL = 5.0
MAX_AGE = 30.0


def heartbeat_path(data_dir: str | os.PathLike[str]) -> Path:
    """Where the heartbeat lives inside the data directory."""
    return Path(data_dir) / HEARTBEAT_FILE


def write_heartbeat(path: Path, details: Mapping[str, object]) -> None:
    """Atomically replace the heartbeat file (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"time": time.time(), **details}))
    temporary.replace(path)


async def beat(
    path: Path, connected: Callable[[], bool], details: Callable[[], Mapping[str, object]]
) -> None:
    """Write the heartbeat every :data:`INTERVAL` seconds while ``connected()``; runs forever."""
    failed = False
    while True:
        if connected():
            try:
                write_heartbeat(path, details())
                failed = False
            except OSError as exc:
                if not failed:  # say it once, not every five seconds
                    log.error("health.write_failed", path=str(path), error=str(exc))
                failed = True
        await asyncio.sleep(INTERVAL)


def clear_heartbeat(path: Path) -> None:
    """Remove the heartbeat so a stopping bot is not reported healthy."""
    with contextlib.suppress(OSError):
        path.unlink()


def check_http(host: str, port: int, timeout: float = 3.0) -> tuple[bool, str]:
    """Whether the bot's ``/healthz`` answers 200, and one line saying why (server on)."""
    if host in {"0.0.0.0", "::", ""}:  # noqa: S104 - listening everywhere: ask on loopback
        host = "127.0.0.1"
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return False, f"unhealthy: {url} answered {exc.code} ({exc.read().decode()[:200]})"
    except (OSError, ValueError) as exc:
        return False, f"unhealthy: {url} did not answer ({exc})"
    return True, f"healthy: {url} {json.dumps(body, separators=(',', ':'))}"


def check(path: Path, max_age: float = MAX_AGE, now: float | None = None) -> tuple[bool, str]:
    """Whether the heartbeat at ``path`` is fresh, and one line saying why."""
    try:
        data = json.loads(path.read_text())
        written = float(data["time"])
    except FileNotFoundError:
        return False, f"unhealthy: no heartbeat at {path} (starting, stopped or never connected)"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return False, f"unhealthy: unreadable heartbeat at {path}: {exc}"
    age = (time.time() if now is None else now) - written
    if age > max_age:
        return False, f"unhealthy: last heartbeat {age:.0f} s ago (gateway down or loop stuck)"
    return True, f"healthy: heartbeat {age:.1f} s ago"
