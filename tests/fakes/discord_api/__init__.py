"""A fake Discord (gateway websocket + REST API v10) on 127.0.0.1 for integration tests.

A real ``discord.py`` client logs in against it, receives events and sends, edits and
deletes messages, while the fake enforces Discord's rules (content and embed limits,
rate limits with the real headers, interaction deadlines and tokens) and records
everything it was asked.

Usage::

    fake = FakeDiscord()
    await fake.start()
    fake.patch_discord(monkeypatch)          # Route.BASE + DiscordWebSocket.DEFAULT_GATEWAY
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
    async with fake.running(bot):            # start(), wait for on_ready, close at the end
        mid = await fake.inject_message(10, "hello")
        await fake.wait_for(lambda f: len(f.writes(10)) >= 2)
    await fake.stop()

Rate limits are stricter and simpler than Discord's on purpose: every message create,
edit and delete in channel C counts against one sliding-window bucket ``channel:C``;
every request on a webhook/interaction token T counts against ``webhook:T``. The
``X-RateLimit-Bucket`` hash is one per bucket *kind* (not per channel), like Discord's
per-route hashes: discord.py appends the major parameter (channel id, webhook id+token)
itself and would shuffle its buckets around if the hash changed with the channel.

discord.py paces *sequential* requests on these headers and never sees a 429. Several
coroutines writing to one channel bucket at once do get an occasional 429 (discord.py
retries it after the body's retry_after): its Ratelimit wakes ``limit`` waiters after
Reset-After, and its ``min(Remaining, limit - outgoing)`` bookkeeping lets one extra
request through while others are in flight. Real Discord answers such bursts the same way.

Layout (the parts are mixins on one ``FakeDiscord`` object and share its state):

- ``constants.py``: Discord's numbers (API prefix, flags, content/embed limits, opcodes).
- ``state.py``: what the fake records (``Call``, ``FakeMessage``, ``FakeInteraction``), the
  state declarations and the user/member/channel/guild JSON.
- ``validation.py``: payload checks (content/embed limits -> 400/50035, empty messages).
- ``store.py``: creating, editing and rendering stored messages; mentions.
- ``limits.py``: rate-limit windows, X-RateLimit headers, 429 bodies, ``fail_next``.
- ``gateway.py``: the websocket (HELLO/IDENTIFY/READY/GUILD_CREATE/RESUME), dispatch,
  ``close_gateway``, ``inject_message``.
- ``messages.py``: REST routes on the bot token (commands, channels, messages, reactions).
- ``interactions.py``: callbacks, the interaction webhook routes, ``inject_interaction``,
  ``inject_autocomplete``, ``inject_component``.
- ``rest.py``: route table, request parsing (JSON and multipart), dispatch.
- ``server.py``: ``FakeDiscord`` assembled, with its constructor and lifecycle.
"""

from tests.fakes.discord_api.constants import (
    ALL_PERMISSIONS,
    API_PREFIX,
    CALLBACK_AUTOCOMPLETE,
    CALLBACK_DEFERRED_MESSAGE,
    CALLBACK_DEFERRED_UPDATE,
    CALLBACK_MESSAGE,
    CALLBACK_PONG,
    CALLBACK_UPDATE_MESSAGE,
    DISCORD_EPOCH_MS,
    EPHEMERAL,
    INTERACTION_AUTOCOMPLETE,
    INTERACTION_COMMAND,
    INTERACTION_COMPONENT,
    LOADING,
    MAX_CONTENT,
    MAX_EMBED_AUTHOR,
    MAX_EMBED_DESCRIPTION,
    MAX_EMBED_FIELDS,
    MAX_EMBED_FOOTER,
    MAX_EMBED_TITLE,
    MAX_EMBED_TOTAL,
    MAX_EMBEDS,
    MAX_FIELD_NAME,
    MAX_FIELD_VALUE,
    OP_DISPATCH,
    OP_HEARTBEAT,
    OP_HEARTBEAT_ACK,
    OP_HELLO,
    OP_IDENTIFY,
    OP_INVALID_SESSION,
    OP_RESUME,
    SUPPRESS_EMBEDS,
)
from tests.fakes.discord_api.rest import Handler
from tests.fakes.discord_api.server import FakeDiscord
from tests.fakes.discord_api.state import Call, FakeInteraction, FakeMessage, JsonBody

__all__ = [
    "ALL_PERMISSIONS",
    "API_PREFIX",
    "CALLBACK_AUTOCOMPLETE",
    "CALLBACK_DEFERRED_MESSAGE",
    "CALLBACK_DEFERRED_UPDATE",
    "CALLBACK_MESSAGE",
    "CALLBACK_PONG",
    "CALLBACK_UPDATE_MESSAGE",
    "DISCORD_EPOCH_MS",
    "EPHEMERAL",
    "INTERACTION_AUTOCOMPLETE",
    "INTERACTION_COMMAND",
    "INTERACTION_COMPONENT",
    "LOADING",
    "MAX_CONTENT",
    "MAX_EMBEDS",
    "MAX_EMBED_AUTHOR",
    "MAX_EMBED_DESCRIPTION",
    "MAX_EMBED_FIELDS",
    "MAX_EMBED_FOOTER",
    "MAX_EMBED_TITLE",
    "MAX_EMBED_TOTAL",
    "MAX_FIELD_NAME",
    "MAX_FIELD_VALUE",
    "OP_DISPATCH",
    "OP_HEARTBEAT",
    "OP_HEARTBEAT_ACK",
    "OP_HELLO",
    "OP_IDENTIFY",
    "OP_INVALID_SESSION",
    "OP_RESUME",
    "SUPPRESS_EMBEDS",
    "Call",
    "FakeDiscord",
    "FakeInteraction",
    "FakeMessage",
    "Handler",
    "JsonBody",
]
