"""A crash (SIGKILL) mid-reply: after the restart the message no longer says "writing…"."""

from __future__ import annotations

import asyncio
import json
import signal
import time

from tests.fakes.discord_api import FakeDiscord
from tests.fakes.responses_api import FakeResponses, Script
from tests.support.process import fakes_env, run_bot

IDENTIFY = 2


def identifies(fake: FakeDiscord) -> int:
    return sum(1 for op in fake.received_ops if op.get("op") == IDENTIFY)


async def test_a_reply_left_writing_by_a_kill_is_finished_soon_after_the_restart(tmp_path):
    async with FakeDiscord() as discord_fake, FakeResponses() as model_fake:
        model_fake.default = Script(text=" ".join(f"w{i}" for i in range(2000)), rate=20)
        env = fakes_env(
            discord_fake,
            model_fake,
            BOT_DATA_DIR=str(tmp_path),
            BOT_LOG_FORMAT="json",
        )
        first = await run_bot(env, module="tests.fakes.launch")
        await discord_fake.wait_for(lambda f: identifies(f) == 1, timeout=30)
        asked = await discord_fake.inject_message(10, "talk for a long time")
        reply = await discord_fake.wait_for(
            lambda f: next(
                (m for m in f.bot_messages() if m.reference_id == asked and m.edits >= 2), None
            ),
            timeout=30,
        )
        first.send_signal(signal.SIGKILL)
        await asyncio.wait_for(first.wait(), 10)
        left = reply.content
        assert "⏳" in left  # what a crash leaves behind
        assert reply.components

        second = await run_bot(env, module="tests.fakes.launch")
        try:
            await discord_fake.wait_for(lambda f: identifies(f) == 2, timeout=30)
            ready = time.monotonic()
            await discord_fake.wait_for(lambda _: "⏳" not in reply.content, timeout=15)
            fixed_after = time.monotonic() - ready
        finally:
            second.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(second.communicate(), 30)
    assert second.returncode == 0, err.decode()
    assert fixed_after < 10
    lines = reply.content.splitlines()
    assert lines[0].startswith("w0 w1 w2")
    assert lines[-1] == "⚠️ Interrupted: the bot restarted before this reply finished."
    assert left.splitlines()[0].rstrip() in reply.content  # the text it had is kept
    assert reply.components == []
    events = [
        json.loads(line)["event"] for line in out.decode().splitlines() if line.startswith("{")
    ]
    assert "recovery.edited" in events
