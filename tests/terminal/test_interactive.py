"""``relaybot chat`` on a terminal: streaming, the latency line, commands, Ctrl-C, Ctrl-D."""

from __future__ import annotations

import json
import re

import pexpect

from tests.fakes.responses_api import FakeResponses, Script
from tests.fakes.responses_api.script import pause
from tests.support.terminal import COUNTER, LATENCY, ask, at_prompt, chat_env, shows, terminal


async def test_reply_streams_in_order_then_the_latency_line(model_fake: FakeResponses, tmp_path):
    model_fake.queue(
        Script(text="alpha beta gamma delta epsilon", chunk=6, between={2: [pause(1.0)]})
    )
    with terminal(chat_env(model_fake, tmp_path), cwd=tmp_path) as child:
        await at_prompt(child)
        child.sendline("hello there")
        await shows(child, "alpha beta ")
        # The first words are on screen while the model is still streaming the rest.
        assert model_fake.streams[-1].ended is None
        await shows(child, "gamma delta epsilon")
        # While it streamed, a live token counter followed the text.
        counts = [int(n) for n in COUNTER.findall(child.raw_seen)]
        assert counts
        assert counts == sorted(counts)
        latency = (await shows(child, LATENCY)).splitlines()[-1]
        await at_prompt(child)
    record = model_fake.streams[-1]
    assert record.ended_how == "completed"
    assert "· 5 tokens ·" in latency  # the usage the server reported, not an estimate


async def test_history_then_clear_forgets_it(model_fake: FakeResponses, tmp_path):
    model_fake.queue(Script(text="Paris."), Script(text="About 2 million."), Script(text="Hm?"))
    with terminal(chat_env(model_fake, tmp_path), cwd=tmp_path) as child:
        await at_prompt(child)
        await ask(child, "capital of France?")
        await ask(child, "how many people live there?")
        child.sendline("/clear")
        await shows(child, "forgotten")
        await at_prompt(child)
        await ask(child, "and there?")
    second, third = model_fake.requests[1], model_fake.requests[2]
    assert second.user_texts == ["capital of France?", "how many people live there?"]
    assert "Paris." in json.dumps(second.body["input"])
    assert third.user_texts == ["and there?"]


async def test_export_markdown_and_json(model_fake: FakeResponses, tmp_path):
    model_fake.queue(Script(text="Four."), Script(text="Five."))
    with terminal(chat_env(model_fake, tmp_path), "--model", "m-one", cwd=tmp_path) as child:
        await at_prompt(child)
        await ask(child, "2+2?")
        await ask(child, "2+3?")
        child.sendline("/export chat.md")
        await shows(child, re.compile(r"saved to \S*chat\.md"))
        await at_prompt(child)
        child.sendline("/export chat.json")
        await shows(child, "saved to")
        await at_prompt(child)
        child.sendline("/export /nonexistent-dir/x.md")
        await shows(child, "error: cannot write /nonexistent-dir/x.md")
        await at_prompt(child)
    markdown = (tmp_path / "chat.md").read_text()
    assert markdown == (
        "## You\n\n2+2?\n\n## m-one\n\nFour.\n\n## You\n\n2+3?\n\n## m-one\n\nFive.\n"
    )
    data = json.loads((tmp_path / "chat.json").read_text())
    assert data == [
        {"role": "user", "text": "2+2?"},
        {"role": "assistant", "text": "Four.", "model": "m-one"},
        {"role": "user", "text": "2+3?"},
        {"role": "assistant", "text": "Five.", "model": "m-one"},
    ]


async def test_ctrl_c_stops_the_reply_keeps_its_text_and_the_chat(
    model_fake: FakeResponses, tmp_path
):
    model_fake.queue(
        Script(text="one two three four five six", chunk=4, between={2: [pause(30)]}),
        Script(text="ok"),
    )
    with terminal(chat_env(model_fake, tmp_path), cwd=tmp_path) as child:
        await at_prompt(child)
        child.sendline("count")
        await shows(child, "one two ")
        child.sendintr()
        await shows(child, "Stopped")
        await shows(child, LATENCY)
        record = await model_fake.wait_closed(timeout=5)
        assert record.closed_by_client
        await at_prompt(child)
        child.sendline("go on")
        await shows(child, "ok")
        await at_prompt(child)
    # The words shown before Ctrl-C are the assistant's turn in the history.
    history = json.dumps(model_fake.requests[1].body["input"])
    assert "one two" in history
    assert "three" not in history


async def test_model_and_system_commands_change_the_next_request(
    model_fake: FakeResponses, tmp_path
):
    with terminal(chat_env(model_fake, tmp_path), cwd=tmp_path) as child:
        await at_prompt(child)
        child.sendline("/model other-model")
        await shows(child, "model: other-model")
        await at_prompt(child)
        child.sendline("/system Answer in French.")
        await shows(child, "system prompt set")
        await at_prompt(child)
        await ask(child, "hi")
        child.sendline("/help")
        await shows(child, "/export FILE")
        await at_prompt(child)
    received = model_fake.requests[-1]
    assert received.model == "other-model"
    assert received.instructions == "Answer in French."


async def test_ctrl_d_and_ctrl_c_at_the_prompt_quit_cleanly(model_fake: FakeResponses, tmp_path):
    env = chat_env(model_fake, tmp_path)
    for key in ("\x04", "\x03"):
        with terminal(env, cwd=tmp_path) as child:
            await at_prompt(child)
            child.send(key)
            await child.expect(pexpect.EOF, async_=True)
            child.close()
            assert child.exitstatus == 0, key
            assert "Traceback" not in child.before


async def test_model_failure_is_one_visible_line_and_the_chat_goes_on(
    model_fake: FakeResponses, tmp_path
):
    model_fake.queue(
        Script(text="partial answer", chunk=8, ending="failed", error_message="overloaded"),
        Script(text="fine now"),
    )
    with terminal(chat_env(model_fake, tmp_path), cwd=tmp_path) as child:
        await at_prompt(child)
        child.sendline("q")
        shown = await shows(child, LATENCY)
        await at_prompt(child)
        child.sendline("again")
        await shows(child, "fine now")
        await at_prompt(child)
    assert "partial answer" in shown
    assert "overloaded" in shown
