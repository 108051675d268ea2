"""Running ``relaybot chat`` in a pseudo-terminal, as a person at a terminal would."""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect

from tests.fakes.responses_api import FakeResponses
from tests.support.process import ROOT, clean_env

#: ``(first token 0.41 s · total 1.98 s · 312 tokens · 158 tok/s)``
LATENCY = re.compile(r"\(first token \d+\.\d\d s · total \d+\.\d\d s · ~?\d+ tokens · \d+ tok/s\)")
#: Control sequences, and the live token counter (drawn between save and restore cursor,
#: cleared by the next text) as a whole.
ANSI = re.compile(r"\x1b7[\s\S]*?\x1b8|\x1b\[[0-9;?]*[A-Za-z]")
COUNTER = re.compile(r"\x1b7(?:\x1b\[[0-9;]*m)? ~(\d+) tokens")


def chat_env(fake: FakeResponses, data_dir: Path, **extra: str) -> dict[str, str]:
    """Only what a newcomer sets: the model server and its key (no Discord token)."""
    env = {
        "OPENAI_BASE_URL": fake.base_url,
        "OPENAI_API_KEY": fake.api_key,
        "BOT_DATA_DIR": str(data_dir),
        "PYTHONPATH": str(ROOT),
        # The pty is not a terminal emulator: nothing answers cursor position requests.
        "PROMPT_TOOLKIT_NO_CPR": "1",
    }
    return clean_env(**{**env, **extra})


@contextlib.contextmanager
def terminal(env: dict[str, str], *args: str, cwd: Path) -> Iterator[pexpect.spawn]:
    """``python -m bot chat <args>`` attached to a pty; killed if the test leaves it running."""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bot", "chat", *args],
        env=env,
        cwd=str(cwd),
        encoding="utf-8",
        timeout=15,
        dimensions=(50, 200),
    )
    try:
        yield child
    finally:
        if child.isalive():
            child.terminate(force=True)


async def at_prompt(child: pexpect.spawn) -> None:
    """Wait until the prompt is drawn (and the terminal is in prompt mode)."""
    await child.expect("you> ?", async_=True)


async def ask(child: pexpect.spawn, text: str) -> None:
    """Send ``text`` at the prompt; wait for the reply's latency line and the next prompt."""
    child.sendline(text)
    await shows(child, LATENCY)
    await at_prompt(child)


async def shows(child: pexpect.spawn, pattern: str | re.Pattern[str]) -> str:
    """Wait until the screen text (control sequences removed) matches ``pattern``.

    Returns the plain text up to and including the match; what came after it stays
    in the child's buffer for the next wait.
    """
    wanted = re.compile(re.escape(pattern)) if isinstance(pattern, str) else pattern
    raw = ""
    while True:
        text = plain(raw)
        found = wanted.search(text)
        if found:
            # Give back what follows the match: re-find it in the raw output.
            cut = _raw_end(raw, found.end())
            child.buffer = raw[cut:] + child.buffer
            child.raw_seen = raw[:cut]
            return text[: found.end()]
        await child.expect(r"[\s\S]+", async_=True)
        raw += child.before + child.after


def _raw_end(raw: str, plain_end: int) -> int:
    """The index in ``raw`` just past its first ``plain_end`` plain characters."""
    count = 0
    index = 0
    while index < len(raw) and count < plain_end:
        escape = ANSI.match(raw, index)
        if escape:
            index = escape.end()
            continue
        if raw[index] != "\r":
            count += 1
        index += 1
    return index


def plain(text: str) -> str:
    """``text`` without terminal control sequences."""
    return ANSI.sub("", text).replace("\r", "")
