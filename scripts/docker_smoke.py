"""Drive the container against the fakes; run by scripts/docker-smoke.sh (host side)."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import sys
import time
from pathlib import Path

from tests.fakes.discord_api import FakeDiscord
from tests.fakes.responses_api import FakeResponses, Script

ROOT = Path(__file__).resolve().parents[1]
NAME = "relaybot-smoke"
VOLUME = "relaybot-smoke-data"
STOP_GRACE = 30  # what docker-compose.yml gives the bot
FOOTER = "-# smoke-model · first token "


async def docker(*args: str, check: bool = True) -> str:
    command = [*shlex.split(os.environ.get("DOCKER", "docker")), *args]
    proc = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    text = out.decode().strip()
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}): {text}")
    return text


def ok(what: str) -> None:
    print(f"ok: {what}", flush=True)


async def health(name: str) -> str:
    return await docker("inspect", "-f", "{{.State.Health.Status}}", name)


async def run() -> None:
    image = os.environ.get("IMAGE", "relaybot:smoke")
    async with FakeDiscord() as discord_fake, FakeResponses() as model_fake:
        model_fake.route(
            lambda body: (
                Script(text=" ".join(f"long{i}" for i in range(3000)), rate=20)
                if body["input"] == "keep going"
                else Script(text="Hello from the container. " * 20, ttft=0.3, rate=30)
            )
        )
        await docker("rm", "-f", NAME, check=False)
        await docker("volume", "rm", "-f", VOLUME, check=False)
        await docker(
            "run", "--detach", "--name", NAME, "--network", "host",
            "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges:true",
            "--volume", f"{VOLUME}:/data",
            # Test-only: point discord.py at the fake without touching the image's code.
            "--volume", f"{ROOT / 'tests/fakes/launch.py'}:/app/smoke_launch.py:ro",
            "--env", f"DISCORD_TOKEN={discord_fake.token}",
            "--env", "OPENAI_API_KEY=test-key",
            "--env", f"OPENAI_BASE_URL={model_fake.base_url}",
            "--env", "BOT_MODEL=smoke-model",
            "--env", f"FAKE_DISCORD_API={discord_fake.base_url}",
            "--env", f"FAKE_DISCORD_GATEWAY={discord_fake.gateway_url}",
            "--health-interval", "2s", "--health-start-period", "5s",
            image, "python", "/app/smoke_launch.py",
        )  # fmt: skip
        try:
            await smoke(discord_fake, model_fake)
        finally:
            logs = await docker("logs", NAME, check=False)
            Path("/tmp/relaybot-smoke.log").write_text(logs)
            await docker("rm", "-f", NAME, check=False)
            await docker("volume", "rm", "-f", VOLUME, check=False)
    await misconfigured(image)


async def misconfigured(image: str) -> None:
    """A bad setting under a restart policy: one fatal line, no restart loop, exit 2 on stop."""
    name = f"{NAME}-misconfigured"
    await docker("rm", "-f", name, check=False)
    await docker(
        "run", "--detach", "--name", name, "--restart", "unless-stopped",
        "--env", "BOT_HOLD_ON_CONFIG_ERROR=true", "--env", "BOT_CHANNEL_WINDOW=soon",
        image,
    )  # fmt: skip
    try:
        await asyncio.sleep(8)
        state = await docker("inspect", "-f", "{{.State.Status}} {{.RestartCount}}", name)
        assert state == "running 0", f"state/restarts: {state}"
        logs = await docker("logs", name)
        records = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
        fatal = [r["error"] for r in records if r["event"] == "bot.fatal"]
        # No DISCORD_TOKEN, no OPENAI_API_KEY, a bad BOT_CHANNEL_WINDOW: three lines, once.
        assert len(fatal) == 3, logs
        assert any(e.startswith("BOT_CHANNEL_WINDOW: must be a number") for e in fatal), fatal
        await docker("stop", "--time", "10", name)
        code = await docker("inspect", "-f", "{{.State.ExitCode}}", name)
        assert code == "2", f"exit code {code}"
        ok("misconfigured: logged every problem once, held without a restart loop, exit 2 on stop")
    finally:
        await docker("rm", "-f", name, check=False)


async def smoke(discord_fake: FakeDiscord, model_fake: FakeResponses) -> None:
    await asyncio.wait_for(discord_fake.identified.wait(), 60)
    ok("container logged in to the fake gateway")

    uid = await docker("exec", NAME, "id", "-u")
    assert uid != "0", f"running as root (uid {uid})"
    ok(f"runs as non-root (uid {uid}, user {await docker('exec', NAME, 'id', '-un')})")

    asked = await discord_fake.inject_message(10, "say hello")
    reply = await discord_fake.wait_for(
        lambda f: next(
            (m for m in f.bot_messages() if m.reference_id == asked and FOOTER in m.content),
            None,
        ),
        timeout=60,
    )
    assert reply.content.startswith("Hello from the container."), reply.content
    assert len(reply.history) >= 3, reply.history
    last_line = reply.content.splitlines()[-1]
    ok(f"reply streamed in {len(reply.history)} writes and ended with: {last_line}")

    deadline = time.monotonic() + 60
    while (status := await health(NAME)) != "healthy":
        assert time.monotonic() < deadline, f"health stayed {status!r}"
        await asyncio.sleep(1)
    ok("container is healthy")

    long_asked = await discord_fake.inject_message(11, "keep going")
    await discord_fake.wait_for(
        lambda f: any(m.reference_id == long_asked and m.edits >= 1 for m in f.bot_messages()),
        timeout=60,
    )
    started = time.monotonic()
    await docker("stop", "--time", str(STOP_GRACE), NAME)
    took = time.monotonic() - started
    code = await docker("inspect", "-f", "{{.State.ExitCode}}", NAME)
    assert code == "0", f"exit code {code}"
    assert took < STOP_GRACE - 5, f"docker stop took {took:.1f} s"
    [long_reply] = [m for m in discord_fake.bot_messages() if m.reference_id == long_asked]
    assert "Interrupted: the bot restarted" in long_reply.content, long_reply.content[-200:]
    assert model_fake.streams[-1].closed_by_client
    ok(f"docker stop: exit code 0 after {took:.1f} s (grace {STOP_GRACE} s); "
       "the in-flight reply kept its text and says it was interrupted")  # fmt: skip

    logs = await docker("logs", NAME)
    records = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    finished = [r for r in records if r["event"] == "reply.finished"]
    assert [r["status"] for r in finished] == ["completed", "interrupted"], finished
    assert "test-key" not in logs
    assert discord_fake.token not in logs
    ok(f"{len(records)} JSON log lines, {len(finished)} reply.finished records, no secrets")


def main() -> int:
    try:
        asyncio.run(run())
    except (AssertionError, RuntimeError, TimeoutError) as exc:
        print(f"FAILED: {type(exc).__name__}: {exc} (container logs: /tmp/relaybot-smoke.log)")
        return 1
    print("docker smoke test: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
