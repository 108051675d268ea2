"""Reading a Server-Sent Events response as the tests need it: event by event, as it comes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp


async def events(response: aiohttp.ClientResponse) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """``(name, data)`` for each event, as soon as its blank line arrives; comments skipped."""
    name, data = "message", ""
    async for raw in response.content:
        line = raw.decode().rstrip("\n").rstrip("\r")
        if not line:
            if data:
                yield name, json.loads(data)
            name, data = "message", ""
        elif line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data += line[6:]


async def collect(response: aiohttp.ClientResponse) -> list[tuple[str, dict[str, Any]]]:
    """Every event of a finished stream."""
    return [event async for event in events(response)]
