"""The bot in its own process against the fakes in this one: start, watch, read, stop.

A benchmark that measures the bot's memory or CPU, or that must not let the fakes share
the bot's event loop, runs the fakes here and the bot as ``python -m tests.fakes.launch``
(the production entry point pointed at the fakes), configured only through its
environment, its JSON log written to a file. Its resident memory and CPU time are read
from ``/proc/<pid>``; a reply is finished when the fake recorded its final write.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from benchmarks.replies import FOOTER, LIVE_INDICATOR, MODEL, WORD
from bot import health
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.responses_api import FakeResponses
from tests.support.process import ROOT, fakes_env

STOP_TIMEOUT = 30.0  # s for the bot to exit after SIGTERM before it is killed
NOTES = 8  # log lines kept as notes


def rss_mib(pid: int | str = "self") -> float:
    """Resident memory of a process, from ``/proc/<pid>/status`` (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from ``/proc/<pid>/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bot_env(
    discord_fake: FakeDiscord, model_fake: FakeResponses, data_dir: str, **extra: str
) -> dict[str, str]:
    """The bot's whole configuration: the fakes' addresses, per-user limits lifted.

    ``extra`` adds or overrides variables (e.g. ``BOT_CHANNEL_WRITES``); anything not set
    keeps the bot's default, such as Discord's own limits for the pacer.
    """
    return fakes_env(
        discord_fake,
        model_fake,
        BOT_DATA_DIR=data_dir,
        BOT_LOG_FORMAT="json",
        BOT_LOG_LEVEL="WARNING",
        BOT_MODEL=MODEL,
        BOT_MODELS=MODEL,  # an allow-list: the bot need not ask the model server for one
        # Few people ask many questions: lift the per-user limits (100,000 is the maximum).
        BOT_USER_CONCURRENCY="50",
        BOT_USER_REQUESTS="100000",
        BOT_SHUTDOWN_GRACE="2",
        PYTHONPATH=str(ROOT),
        **extra,
    )


async def spawn(env: dict[str, str], cwd: str, log: IO[bytes]) -> asyncio.subprocess.Process:
    """``python -m tests.fakes.launch``, its output to ``log`` so no pipe ever fills.

    The working directory is a fresh one: the bot reads a ``.env`` from it and above.
    """
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.launch",
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
    )


async def stop(proc: asyncio.subprocess.Process) -> int | None:
    """SIGTERM, as an operator stops it; SIGKILL if it does not exit."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(proc.wait(), STOP_TIMEOUT)
    except TimeoutError:
        proc.kill()
        return await proc.wait()


def ready(heartbeat: Path) -> bool:
    """Whether the bot has written its heartbeat (one stat, cheap enough for the loop)."""
    return heartbeat.exists()


@dataclass
class BotLog:
    """What the bot logged (JSON lines): its 429s, its warnings, lines that were not JSON."""

    rate_limited: list[dict[str, Any]] = field(default_factory=list)  # discord.rate_limited
    warnings: list[dict[str, Any]] = field(default_factory=list)  # warning and above
    other: list[str] = field(default_factory=list)  # lines that were not JSON
    notes: list[str] = field(default_factory=list)  # warnings and other lines, in order


def level(record: dict[str, Any]) -> str:
    """A record's level, lower case."""
    return str(record.get("level", record.get("log_level", ""))).lower()


def read_log(text: str) -> BotLog:
    """Parse the bot's JSON log output."""
    log = BotLog()
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            log.other.append(line[:200])
            log.notes.append(line[:200])
            continue
        if not isinstance(record, dict):
            continue
        if record.get("event") == "discord.rate_limited":
            log.rate_limited.append(record)
        if level(record) in {"warning", "error", "critical"}:
            log.warnings.append(record)
            log.notes.append(f"{record.get('logger', '')}: {str(record.get('event'))[:160]}")
    return log


@dataclass
class BotProcess:
    """A running bot; ``output`` and ``exit_code`` are filled in once it has stopped."""

    proc: asyncio.subprocess.Process
    data_dir: Path
    log_path: Path
    output: bytes = b""
    exit_code: int | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def heartbeat(self) -> Path:
        return health.heartbeat_path(self.data_dir)

    def log_offset(self) -> int:
        """How much the bot has logged so far (bytes): pass to ``log`` to skip it."""
        return self.log_path.stat().st_size

    def log(self, since: int = 0) -> BotLog:
        """The bot's log from byte ``since`` on (a partial first line is skipped)."""
        data = self.output[since:]
        if since > 0 and self.output[since - 1 : since] != b"\n":
            data = data.partition(b"\n")[2]
        return read_log(data.decode(errors="replace"))

    async def wait_ready(self, timeout: float) -> None:  # noqa: ASYNC109 - a bounded wait
        """Until the bot wrote its heartbeat (it does once ready) or exited."""
        async with asyncio.timeout(timeout):
            while not ready(self.heartbeat) and self.proc.returncode is None:  # noqa: ASYNC110
                await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def bot_process(
    discord_fake: FakeDiscord, model_fake: FakeResponses, prefix: str, **extra_env: str
) -> AsyncIterator[BotProcess]:
    """Start the bot against the running fakes; at the end SIGTERM it and keep its log.

    Everything lives in a fresh temporary directory (data, log, working directory),
    removed once the bot has stopped and its log has been read into ``output``.
    """
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        data_dir = Path(directory) / "data"
        log_path = Path(directory) / "bot.log"
        with log_path.open("wb") as log:
            env = bot_env(discord_fake, model_fake, str(data_dir), **extra_env)
            proc = await spawn(env, directory, log)
            bot = BotProcess(proc, data_dir, log_path)
            try:
                yield bot
            finally:
                bot.exit_code = await stop(proc)
                bot.output = log_path.read_bytes()


def final(content: str) -> bool:
    """A reply's last message: the footer on its last line and no live indicator."""
    return FOOTER in content.rsplit("\n", 1)[-1] and LIVE_INDICATOR not in content


class Finished:
    """Replies whose final write landed, found by scanning only the fake's new calls.

    The relay writes a reply's full pages in their final form before its last page's
    final write, so that write (footer, no live indicator) means the reply is done.
    """

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.cursor = 0
        self.at: dict[int, float] = {}  # reply -> when its final write landed

    def scan(self) -> int:
        """Look at the calls since the last scan; return how many replies are finished."""
        calls = self.fake.calls
        while self.cursor < len(calls):
            call = calls[self.cursor]
            self.cursor += 1
            if not (call.write and 200 <= call.status < 300 and call.message_id is not None):
                continue
            message = self.fake.messages.get(call.message_id)
            if message is None or not final(message.content):
                continue
            for reply in {int(r) for r, _ in WORD.findall(message.content)}:
                self.at.setdefault(reply, call.t)
        return len(self.at)
