"""``relaybot chat "question"`` and piped stdin: the reply on stdout, everything else aside."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

from tests.fakes.responses_api import FakeResponses, Script
from tests.fakes.responses_api.script import pause
from tests.support.process import ROOT
from tests.support.terminal import LATENCY, chat_env


async def one_shot(
    env: dict[str, str], *args: str, stdin: bytes | None = None, cwd: Path
) -> tuple[int | None, str, str]:
    proc = await start(env, *args, cwd=cwd, stdin=stdin is not None)
    out, err = await asyncio.wait_for(proc.communicate(stdin), 30)
    return proc.returncode, out.decode(), err.decode()


async def start(
    env: dict[str, str], *args: str, cwd: Path, stdin: bool = False
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "chat",
        *args,
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def records(data_dir: Path) -> list[dict[str, object]]:
    lines = (data_dir / "chat-log.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


async def test_question_as_arguments_prints_only_the_reply(model_fake: FakeResponses, tmp_path):
    model_fake.queue(Script(text="The answer is 42.", chunk=5))
    env = chat_env(model_fake, tmp_path / "data")
    code, out, err = await one_shot(env, "what", "is", "it?", "--temperature", "0.3", cwd=tmp_path)
    assert code == 0, err
    assert out == "The answer is 42.\n"  # no colour, no counter, no notes: it pipes
    assert "\x1b" not in err
    assert LATENCY.fullmatch(err.strip()), err
    received = model_fake.requests[-1]
    assert received.user_texts == ["what is it?"]
    assert received.body["temperature"] == 0.3
    finished = [r for r in records(tmp_path / "data") if r["event"] == "reply.finished"]
    assert len(finished) == 1
    assert finished[0]["trigger"] == "terminal"
    assert finished[0]["status"] == "completed"
    assert finished[0]["characters"] == len("The answer is 42.")


async def test_question_on_stdin(model_fake: FakeResponses, tmp_path):
    model_fake.queue(Script(text="Summary: short."))
    env = chat_env(model_fake, tmp_path)
    code, out, _ = await one_shot(env, stdin=b"Summarise this:\nline one\nline two\n", cwd=tmp_path)
    assert code == 0
    assert out == "Summary: short.\n"
    assert model_fake.requests[-1].user_texts == ["Summarise this:\nline one\nline two"]


async def test_empty_stdin_is_a_usage_error(model_fake: FakeResponses, tmp_path):
    code, out, err = await one_shot(chat_env(model_fake, tmp_path), stdin=b"  \n", cwd=tmp_path)
    assert code == 2
    assert out == ""
    assert err == "error: nothing to ask: stdin was empty\n"
    assert model_fake.requests == []


async def test_a_failed_reply_keeps_its_text_and_exits_1(model_fake: FakeResponses, tmp_path):
    model_fake.queue(
        Script(text="Half of it", chunk=5, ending="failed", error_message="The model crashed.")
    )
    code, out, err = await one_shot(chat_env(model_fake, tmp_path), "q", cwd=tmp_path)
    assert code == 1
    assert out == "Half of it\n"
    lines = err.strip().splitlines()
    assert len(lines) == 2, err  # the ending, then the latency line
    assert "The model crashed." in lines[0]
    assert LATENCY.fullmatch(lines[1])


async def test_a_cut_off_reply_says_so(model_fake: FakeResponses, tmp_path):
    model_fake.queue(Script(text="one two three four", chunk=4, cut_at_max_tokens=True))
    env = chat_env(model_fake, tmp_path)
    code, out, err = await one_shot(env, "q", "--max-output-tokens", "16", cwd=tmp_path)
    assert model_fake.requests[-1].max_output_tokens == 16
    assert code == 0
    assert out == "one two three four\n"
    assert "Traceback" not in err


async def test_an_unreachable_server_is_one_line_and_exit_1(model_fake: FakeResponses, tmp_path):
    env = chat_env(model_fake, tmp_path, OPENAI_BASE_URL="http://127.0.0.1:9/v1")
    code, out, err = await one_shot(env, "q", cwd=tmp_path)
    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    assert "127.0.0.1:9" in err or "reach" in err.lower()


async def test_a_wrong_key_is_clear_and_not_echoed(model_fake: FakeResponses, tmp_path):
    env = chat_env(model_fake, tmp_path, OPENAI_API_KEY="sk-wrong-key-123456")
    code, out, err = await one_shot(env, "q", cwd=tmp_path)
    assert code == 1
    assert out == ""
    assert "sk-wrong-key-123456" not in err
    assert "OPENAI_API_KEY" in err


async def test_bad_settings_exit_2_with_one_line_each(model_fake: FakeResponses, tmp_path):
    env = chat_env(model_fake, tmp_path, BOT_MAX_OUTPUT_TOKENS="lots", OPENAI_BASE_URL="not a url")
    code, out, err = await one_shot(env, "q", cwd=tmp_path)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 2, err
    assert all(line.startswith("error: ") for line in lines)
    assert any("BOT_MAX_OUTPUT_TOKENS" in line for line in lines)
    assert any("OPENAI_BASE_URL" in line for line in lines)
    code, _, err = await one_shot(env, "q", "--top-p", "7", cwd=tmp_path)
    assert code == 2
    assert "must be between 0 and 1" in err
    assert model_fake.requests == []


async def test_ctrl_c_stops_the_reply_keeps_the_text_and_exits_130(
    model_fake: FakeResponses, tmp_path
):
    model_fake.queue(Script(text="first words then more", chunk=6, between={2: [pause(30)]}))
    proc = await start(chat_env(model_fake, tmp_path), "q", cwd=tmp_path)
    assert proc.stdout is not None
    seen = b""
    while b"first words" not in seen:
        seen += await asyncio.wait_for(proc.stdout.read(64), 15)
    proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), 15)
    assert proc.returncode == 130
    assert (seen + out).decode() == "first words \n"
    assert "Stopped" in err.decode()
    await model_fake.wait_closed(timeout=5)
