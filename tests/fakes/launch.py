"""Run ``python -m bot`` against the fakes: ``python -m tests.fakes.launch``.

Test-only: points discord.py's REST base and gateway at ``FAKE_DISCORD_API`` and
``FAKE_DISCORD_GATEWAY`` and then runs the unchanged production entry point.
"""

from __future__ import annotations

import os
import sys

import discord.gateway
import discord.http
import yarl

from bot.cli import main

if __name__ == "__main__":
    discord.http.Route.BASE = os.environ["FAKE_DISCORD_API"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["FAKE_DISCORD_GATEWAY"])
    sys.exit(main())
