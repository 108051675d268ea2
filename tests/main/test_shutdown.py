"""SIGTERM mid-stream: short replies finish in the grace period, long ones end visibly."""

from __future__ import annotations

import asyncio
import json
import signal
import time

from tests.fakes.discord_api import FakeDiscord
from tests.fakes.responses_api import FakeResponses, Script
from tests.support.process import fakes_env, run_bot


async def test_sigterm_mid_stream_interrupts_visibly_closes_stream_and_exits_0(tmp_path):
    async with FakeDiscord() as discord_fake, FakeResponses() as model_fake:
        long_text = " ".join(f"w{i}" for i in range(2000))  # ~100 s at 20/s: cannot finish
        model_fake.route(
            lambda body: (
                Script(text="Short reply that finishes.", rate=5)
                if body["input"][-1]["content"][0]["text"] == "short"
                else Script(text=long_text, rate=20)
            )
        )
        env = fakes_env(
            discord_fake,
            model_fake,
            BOT_SHUTDOWN_GRACE="2",
            BOT_DATA_DIR=str(tmp_path),
        )
        proc = await run_bot(env, module="tests.fakes.launch")
        try:
            await asyncio.wait_for(discord_fake.identified.wait(), 30)
            await discord_fake.wait_for(lambda f: f.commands, timeout=30)
            long_id = await discord_fake.inject_message(10, "long")
            await discord_fake.wait_for(
                lambda f: any(m.reference_id == long_id and m.edits >= 2 for m in f.bot_messages()),
                timeout=30,
            )
            # Another user: one person may have one reply in flight at a time.
            short_id = await discord_fake.inject_message(11, "short", author_id=43)
            await discord_fake.wait_for(
                lambda f: any(m.reference_id == short_id for m in f.bot_messages()), timeout=30
            )
        finally:
            stopped_at = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(proc.communicate(), 30)
        elapsed = time.monotonic() - stopped_at
        # A mention after SIGTERM is not served by a new reply.
        streams = {s.request.prompt: s for s in model_fake.streams}

    assert proc.returncode == 0, err.decode()
    assert elapsed < 10  # grace (2 s) + final writes, well inside compose's grace period
    [long_reply] = [m for m in discord_fake.bot_messages() if m.reference_id == long_id]
    assert long_reply.content.startswith("w0 w1 w2")
    assert "⚠️ Interrupted: the bot restarted before this reply finished." in long_reply.content
    assert "⏳" not in long_reply.content
    [short_reply] = [m for m in discord_fake.bot_messages() if m.reference_id == short_id]
    assert short_reply.content.startswith("Short reply that finishes.\n-# ")
    assert streams["long"].closed_by_client
    assert streams["long"].ended_how == "client_closed"
    assert streams["short"].ended_how == "completed"
    records = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    finished = {r["channel_id"]: r for r in records if r["event"] == "reply.finished"}
    assert finished[10]["status"] == "interrupted"
    assert finished[10]["detail"] == "bot shutting down"
    assert finished[11]["status"] == "completed"
    assert [r["event"] for r in records][-1] == "bot.stopped"


async def test_new_requests_during_drain_get_a_busy_notice(make_harness):
    async with make_harness() as h:
        h.model.default = Script(text=" ".join(["word"] * 300), rate=50)
        await h.mention("long one")
        await h.discord.wait_for(lambda f: f.bot_messages() and f.bot_messages()[0].edits >= 1)
        closing = asyncio.create_task(h.bot.close())
        await asyncio.sleep(0)  # close() stops accepting before its first await returns
        assert not h.bot.replies.accepting
        asked = await h.mention("too late", channel=11)
        await h.discord.wait_for(
            lambda f: any(m.reference_id == asked for m in f.bot_messages()), timeout=5
        )
        await closing
    [busy] = [m for m in h.discord.bot_messages() if m.reference_id == asked]
    assert "restarting" in busy.content
    assert len(h.model.requests) == 1
