"""The first contact with Discord: check the token, and say plainly why a login failed.

discord.py retries a 5xx login silently for about half a minute and turns every
other refusal into a traceback. :func:`check_login` asks ``GET /users/@me`` itself,
retries 429 and 5xx a bounded number of times with a log line per attempt, and
raises :class:`~bot.exits.FatalError` with one line naming the cause and what to do.
:func:`describe_failure` does the same for errors raised later by discord.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp
import discord
import discord.http

from bot import exits
from bot.exits import FatalError
from bot.logs import get_logger

log = get_logger(__name__)

ATTEMPTS = 4
FIRST_BACKOFF = 1.0
#: A 429 asking for a longer wait than this is reported at once, not waited out.
MAX_RETRY_AFTER = 60.0
TIMEOUT = 15.0

LOGIN_REJECTED = (
    "DISCORD_TOKEN was rejected by Discord (401); reset the token on the Bot tab of the "
    "developer portal and paste it again."
)
FORBIDDEN = (
    "Discord refused the login (403 Forbidden): a proxy in between, or a ban of this bot or "
    "this machine's IP address. Check that this machine reaches discord.com directly."
)
INTENT_MISSING = (
    "the Message Content intent is not enabled; turn it on in the Discord developer portal "
    "(Bot tab, Privileged Gateway Intents)."
)


def _rate_limited(wait: float | None) -> str:
    when = f" for another {wait:.0f} s" if wait else ""
    return (
        f"Discord is rate limiting this machine's logins (429){when}: too many logins or "
        "restarts, or a shared IP address. Wait, then start the bot again."
    )


def _server_error(status: int) -> str:
    return (
        f"Discord answered {status} to the login {ATTEMPTS} times: it may be having an outage "
        "(https://discordstatus.com). Start the bot again later."
    )


def _unreachable(error: str) -> str:
    return f"cannot reach Discord: {error}. Check the network, DNS and any proxy."


async def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    try:
        body = await response.json(content_type=None)
        return float(body["retry_after"])
    except (ValueError, KeyError, TypeError, aiohttp.ClientError):
        header = response.headers.get("Retry-After")
        try:
            return float(header) if header else None
        except ValueError:
            return None


async def check_login(
    token: str,
    *,
    base_url: str | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Return when Discord accepts ``token``; raise :class:`FatalError` when it will not."""
    url = f"{base_url or discord.http.Route.BASE}/users/@me"
    headers = {"Authorization": f"Bot {token}", "User-Agent": "relaybot (login check)"}
    backoff = FIRST_BACKOFF
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for attempt in range(1, ATTEMPTS + 1):
            last = attempt == ATTEMPTS
            try:
                async with session.get(url, headers=headers) as response:
                    status = response.status
                    wait = await _retry_after(response) if status == 429 else None
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                error = str(exc) or type(exc).__name__
                if last:
                    raise FatalError(exits.UNAVAILABLE, _unreachable(error)) from exc
                log.warning(
                    "discord.login_retry", attempt=attempt, of=ATTEMPTS, error=error, wait_s=backoff
                )
                await sleep(backoff)
                backoff *= 2
                continue
            if status < 300:
                return
            if status == 401:
                raise FatalError(exits.REFUSED, LOGIN_REJECTED)
            if status == 403:
                raise FatalError(exits.REFUSED, FORBIDDEN)
            if status == 429 and (last or (wait is not None and wait > MAX_RETRY_AFTER)):
                raise FatalError(exits.UNAVAILABLE, _rate_limited(wait))
            if status != 429 and (status < 500 or last):
                message = _server_error(status) if status >= 500 else f"Discord answered {status}"
                raise FatalError(exits.UNAVAILABLE, message)
            delay = wait if status == 429 and wait is not None else backoff
            log.warning(
                "discord.login_retry", attempt=attempt, of=ATTEMPTS, status=status, wait_s=delay
            )
            await sleep(delay)
            backoff *= 2


def describe_failure(exc: BaseException) -> FatalError | None:
    """The fatal error for an exception discord.py raised while starting, if it is one."""
    refused: list[tuple[type[BaseException], str]] = [
        (discord.LoginFailure, LOGIN_REJECTED),
        (discord.PrivilegedIntentsRequired, INTENT_MISSING),
        (discord.Forbidden, FORBIDDEN),
    ]
    for kind, text in refused:
        if isinstance(exc, kind):
            return FatalError(exits.REFUSED, text)
    message: str | None = None
    if isinstance(exc, discord.DiscordServerError):
        message = _server_error(exc.status)
    elif isinstance(exc, discord.HTTPException):
        too_many = exc.status == 429
        message = _rate_limited(None) if too_many else f"Discord answered {exc.status}"
    elif isinstance(exc, discord.GatewayNotFound | aiohttp.ClientConnectionError | OSError):
        message = _unreachable(str(exc) or type(exc).__name__)
    return None if message is None else FatalError(exits.UNAVAILABLE, message)
