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

What it models besides messages in the guild's text channels (``channel_ids``):

- Echo (``echo=True``, the default): the bot's own message creates (channel POST,
  interaction responses and followups), edits and REST deletes come back on the gateway
  as MESSAGE_CREATE/MESSAGE_UPDATE/MESSAGE_DELETE, as Discord does with the
  GUILD_MESSAGES/DIRECT_MESSAGES intents. Every event goes only to a client that
  identified with its intent; without MESSAGE_CONTENT others' message content is empty.
- REST messages carry neither ``guild_id`` nor ``member`` (Discord leaves both out);
  gateway messages add them, with ``channel_type``.
- Threads: the two creation routes, ``threads``, THREAD_CREATE, starters with ``thread``.
- DMs: ``POST /users/@me/channels``, DM channels without guild fields.
- History: ``GET /channels/{c}/messages`` with limit/before/after/around.
- Attachments: ``FakeFile`` on injected messages; a CDN serving every attachment's bytes.
- Forwards (message_reference type 1 + ``message_snapshots``), from users or the bot.
- Roles, members (nick/global_name/username), computed permissions, categories.
- Interaction contexts (guild, bot DM, private channel) and user installs.

Helpers (all async unless marked sync; the ``inject_*`` ones need a connected client):

- ``inject_message(channel, content, *, author_id, author_bot, mention_bot, reference_id,
  attachments, forward_of) -> id``: a user's message (channel, thread or DM).
- ``inject_forward(channel, message_id, *, author_id) -> id``: a user forwards a message.
- ``inject_edit(message_id, content)`` / ``inject_delete(message_id)``: a user edits or
  deletes a message (MESSAGE_UPDATE / MESSAGE_DELETE).
- ``inject_dm(content, *, author_id, attachments, reference_id) -> id``: a user DMs the bot.
- ``dm_channel_id(user_id) -> id`` (sync): the bot's DM channel with that user.
- ``create_thread(parent_id, name, *, owner_id, message_id, auto_archive_duration) -> id``:
  a user starts a public thread (THREAD_CREATE).
- ``add_role(role_id, name, permissions=0)``, ``set_everyone_permissions(bits)``,
  ``set_member(user_id, *, roles, nick, global_name, username)``: roles and members;
  interaction ``member.permissions`` = @everyone | roles (owner/ADMINISTRATOR: all).
- ``add_category(category_id, name, channel_ids)``, ``add_channel(channel_id, parent_id)``.
- ``forbid(channel_id, code=50013)`` / ``allow(channel_id)`` (sync): 403 on the bot's
  message create/edit, typing and thread creation there.
- ``inject_interaction(channel, name, options, *, user_id, context, user_installed_only)
  -> token``, ``inject_autocomplete(...)``, ``inject_component(message_id, custom_id, *,
  user_id, component_type) -> token``: INTERACTION_CREATE.
- ``add_message(channel, content, *, author_id, embeds)`` (sync): store without events.
- ``fail_next(method, path_regex, *, status, json, retry_after, count)`` (sync),
  ``limit_global(per_second)`` (sync; attributes ``write_limit``/``write_window``,
  ``webhook_limit``/``webhook_window`` and ``token_lifetime`` apply to new buckets/tokens;
  ``write_latency`` delays the answer to every write, ``max_writes_out`` records the most
  writes of one bucket that waited for their answers at once),
  ``close_gateway(code, *, refuse)`` (``gateway_open``),
  ``wait_for(predicate, timeout, *, poll)``, ``notify()``.
- Records: ``calls``, ``writes(channel)``, ``messages``, ``channel_messages(channel)``,
  ``bot_messages(channel)``, ``interactions``/``interaction(token)``, ``threads``,
  ``cdn_downloads``, ``commands``, ``gateway_events``, ``received_ops``, ``count_429*``.

Layout (the parts are mixins on one ``FakeDiscord`` object and share its state):

- ``constants.py``: Discord's numbers (API prefix, flags, limits, opcodes, intents,
  permission bits, channel and message types).
- ``state.py``: what the fake records (``Call``, ``FakeMessage``, ``FakeInteraction``,
  ``FakeThread``, ``FakeFile``), the state declarations, queries and user JSON.
- ``guild.py``: the guild model: channels of every kind, roles, members, permissions,
  ``forbid``, and their JSON (guild, channel, thread, DM, role, member).
- ``cdn.py``: attachment JSON (sizes, content types, signed URLs) and the CDN routes.
- ``validation.py``: payload checks (content/embed limits -> 400/50035, empty messages).
- ``store.py``: creating, editing and rendering stored messages (REST and gateway shapes).
- ``limits.py``: rate-limit windows, X-RateLimit headers, 429 bodies, ``fail_next``.
- ``gateway.py``: the websocket (HELLO/IDENTIFY/READY/GUILD_CREATE/RESUME), dispatch by
  intents, the echo, ``close_gateway``.
- ``injection.py``: ``inject_message``, ``inject_forward``, ``inject_edit``,
  ``inject_delete``.
- ``dms.py``: ``POST /users/@me/channels`` and ``inject_dm``.
- ``threads.py``: thread creation routes, ``create_thread``, THREAD_CREATE.
- ``messages.py``: REST routes on the bot token (users, commands, channels, messages,
  history, reactions).
- ``interactions.py``: callbacks and the interaction webhook routes.
- ``interaction_events.py``: ``inject_interaction``, ``inject_autocomplete``,
  ``inject_component`` (contexts, user installs, computed permissions).
- ``members.py``: ``add_role``, ``set_everyone_permissions``, ``set_member``,
  ``add_category``, ``add_channel``.
- ``rest.py``: route table, request parsing (JSON and multipart with file bytes), dispatch.
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
from tests.fakes.discord_api.state import (
    Call,
    FakeFile,
    FakeInteraction,
    FakeMessage,
    FakeThread,
    JsonBody,
)

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
    "FakeFile",
    "FakeInteraction",
    "FakeMessage",
    "FakeThread",
    "Handler",
    "JsonBody",
]
