"""The token check before connecting: retries with a line per attempt, then one clear error."""

from __future__ import annotations

import pytest
import structlog

from bot import exits
from bot.discord_front.login import ATTEMPTS, check_login
from bot.exits import FatalError
from tests.fakes.discord_api import FakeDiscord


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def discord_api():
    async with FakeDiscord() as fake:
        yield fake


async def login(fake: FakeDiscord, token: str | None = None):
    sleeps = Sleeps()
    with structlog.testing.capture_logs() as records:
        try:
            await check_login(token or fake.token, base_url=fake.base_url, sleep=sleeps)
        except FatalError as exc:
            return exc, sleeps.waits, records
    return None, sleeps.waits, records


def retries(records) -> list[dict]:
    return [r for r in records if r["event"] == "discord.login_retry"]


async def test_a_good_token_passes_at_once(discord_api):
    error, waits, records = await login(discord_api)
    assert error is None
    assert waits == []
    assert retries(records) == []


async def test_5xx_is_retried_with_backoff_then_succeeds(discord_api):
    discord_api.fail_next("GET", r"^/users/@me$", status=503, count=2)
    error, waits, records = await login(discord_api)
    assert error is None
    assert waits == [1.0, 2.0]
    assert [(r["attempt"], r["status"], r["wait_s"]) for r in retries(records)] == [
        (1, 503, 1.0),
        (2, 503, 2.0),
    ]


async def test_5xx_every_time_ends_in_one_clear_line_and_the_unavailable_code(discord_api):
    discord_api.fail_next("GET", r"^/users/@me$", status=502, count=ATTEMPTS)
    error, waits, records = await login(discord_api)
    assert error is not None
    assert error.code == exits.UNAVAILABLE
    assert error.lines == (
        (
            f"Discord answered 502 to the login {ATTEMPTS} times: it may be having an outage "
            "(https://discordstatus.com). Start the bot again later."
        ),
    )
    assert len(retries(records)) == ATTEMPTS - 1
    assert waits == [1.0, 2.0, 4.0]


async def test_429_waits_what_discord_asks_then_succeeds(discord_api):
    discord_api.fail_next("GET", r"^/users/@me$", status=429, retry_after=2.5)
    error, waits, records = await login(discord_api)
    assert error is None
    assert waits == [2.5]
    assert retries(records)[0]["status"] == 429


async def test_429_with_a_long_ban_is_reported_at_once(discord_api):
    discord_api.fail_next("GET", r"^/users/@me$", status=429, retry_after=3600)
    error, waits, _ = await login(discord_api)
    assert error is not None
    assert error.code == exits.UNAVAILABLE
    assert "rate limiting this machine's logins (429) for another 3600 s" in error.lines[0]
    assert waits == []


async def test_401_and_403_are_refusals_without_retries(discord_api):
    error, waits, _ = await login(discord_api, token="not-the-token")
    assert error is not None
    assert (error.code, waits) == (exits.REFUSED, [])
    assert "DISCORD_TOKEN was rejected by Discord (401)" in error.lines[0]
    discord_api.fail_next("GET", r"^/users/@me$", status=403)
    error, waits, _ = await login(discord_api)
    assert error is not None
    assert (error.code, waits) == (exits.REFUSED, [])
    assert error.lines[0].startswith("Discord refused the login (403 Forbidden)")


async def test_unreachable_discord_is_retried_then_reported():
    sleeps = Sleeps()
    with pytest.raises(FatalError) as caught:
        await check_login("t", base_url="http://127.0.0.1:9/api/v10", sleep=sleeps)
    assert caught.value.code == exits.UNAVAILABLE
    assert caught.value.lines[0].startswith("cannot reach Discord: ")
    assert sleeps.waits == [1.0, 2.0, 4.0]
