"""The command line as a newcomer meets it: --help, --version, subcommands, bad arguments."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.cli import version
from tests.support.process import clean_env, run_bot


async def run(*args: str, tmp_path: Path, module: str = "bot") -> tuple[int | None, str, str]:
    proc = await run_bot(clean_env(), *args, module=module, cwd=tmp_path)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    return proc.returncode, out.decode(), err.decode()


async def test_help_lists_every_command_with_one_line_each(tmp_path):
    code, out, err = await run("--help", tmp_path=tmp_path)
    assert code == 0, err
    assert out.startswith("usage: relaybot")
    assert "run the Discord bot (the default)" in out
    assert "healthcheck" in out
    assert "exit codes: 0 stopped cleanly" in out
    assert err == ""


async def test_version_prints_the_installed_version(tmp_path):
    code, out, _ = await run("--version", tmp_path=tmp_path)
    assert code == 0
    assert out.strip() == f"relaybot {version()}"
    assert version()[0].isdigit()


async def test_unknown_command_is_a_usage_error_not_a_traceback(tmp_path):
    code, out, err = await run("serve-forever", tmp_path=tmp_path)
    assert code == 2
    assert "invalid choice: 'serve-forever'" in err
    assert "Traceback" not in err
    assert out == ""


async def test_console_script_has_the_same_help(tmp_path):
    script = Path(sys.executable).parent / "relaybot"
    proc = await asyncio.create_subprocess_exec(
        script, "--help", cwd=tmp_path, env=clean_env(), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    assert "healthcheck" in out.decode()
