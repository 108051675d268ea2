"""Threads: the two creation routes, ``create_thread`` for users' threads, and their events.

``POST /channels/{c}/messages/{m}/threads`` starts a public thread (type 11) whose id is
the starter message's; a second one on the same message answers 400/160004. ``POST
/channels/{c}/threads`` starts one without a starter message; API v10 requires its
``type`` (11 public, 12 private; discord.py always sends it) and posts a THREAD_CREATED
(type 18) system message in the parent for a public one, as Discord does. Both answer
201 with the thread channel, including ``member`` for the creator, and count against a
``threads:<channel>`` bucket. ``name`` must be 1-100 characters, ``auto_archive_duration``
one of 60, 1440, 4320, 10080 (else 400/50035). Threads only start in text channels
(else 400/50024).

Every new thread is dispatched as THREAD_CREATE with ``newly_created: true`` (GUILDS
intent); its starter message then carries ``thread`` and the HAS_THREAD flag, and a
MESSAGE_UPDATE says so. Afterwards a thread is a channel like any other: messages
(with ``position``), its own ``channel:<thread>`` bucket, history, ``GET /channels``.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from tests.fakes.discord_api.constants import (
    CHANNEL_PRIVATE_THREAD,
    CHANNEL_PUBLIC_THREAD,
    CHANNEL_TEXT,
    INTENT_GUILDS,
    MESSAGE_THREAD_CREATED,
)
from tests.fakes.discord_api.gateway import Gateway, _Gateway
from tests.fakes.discord_api.state import FakeMessage, FakeThread, _iso
from tests.fakes.discord_api.validation import _ApiError, _form_error

if TYPE_CHECKING:
    from tests.fakes.discord_api.rest import _Request

ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)


def _field_error(name: str, code: str, message: str) -> _ApiError:
    return _form_error({name: {"_errors": [{"code": code, "message": message}]}})


def _thread_options(body: Any, *, needs_type: bool) -> dict[str, Any]:
    """name, auto_archive_duration, rate_limit_per_user, type, checked like Discord."""
    body = body if isinstance(body, dict) else {}
    name = body.get("name")
    if not isinstance(name, str):
        raise _field_error("name", "BASE_TYPE_REQUIRED", "This field is required")
    if not 1 <= len(name) <= 100:
        raise _field_error("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    archive = body.get("auto_archive_duration")
    archive = 1440 if archive is None else archive
    if archive not in ARCHIVE_DURATIONS:
        raise _field_error(
            "auto_archive_duration",
            "BASE_TYPE_CHOICES",
            "Value must be one of {60, 1440, 4320, 10080}.",
        )
    slowmode = int(body.get("rate_limit_per_user") or 0)
    if not 0 <= slowmode <= 21600:
        raise _field_error(
            "rate_limit_per_user",
            "NUMBER_TYPE_MAX",
            "int value should be less than or equal to 21600.",
        )
    kind = body.get("type")
    if kind is None and needs_type:
        raise _field_error("type", "BASE_TYPE_REQUIRED", "This field is required")
    if kind is not None and kind not in {CHANNEL_PUBLIC_THREAD, CHANNEL_PRIVATE_THREAD}:
        raise _ApiError(400, 50024, "Cannot execute action on this channel type")
    return {
        "name": name,
        "auto_archive_duration": archive,
        "rate_limit_per_user": slowmode,
        "type": CHANNEL_PUBLIC_THREAD if kind is None else kind,
    }


class ThreadRoutes(Gateway):
    """Thread creation (REST and ``create_thread``) and THREAD_CREATE."""

    def _thread_parent(self, cid: int) -> int:
        self._check_channel_id(cid, write=True)
        if self._channel_type(cid) != CHANNEL_TEXT:
            raise _ApiError(400, 50024, "Cannot execute action on this channel type")
        return cid

    def _new_thread(
        self, parent: int, owner: int, options: dict[str, Any], starter: FakeMessage | None
    ) -> FakeThread:
        if starter is not None and starter.thread_id is not None:
            raise _ApiError(400, 160004, "A thread has already been created for this message")
        thread = FakeThread(
            id=starter.id if starter is not None else self.snowflake(),
            parent_id=parent,
            owner_id=owner,
            starter_message_id=starter.id if starter is not None else None,
            created_timestamp=_iso(),
            member_ids=[owner],
            **options,
        )
        self.threads[thread.id] = thread
        if starter is not None:
            starter.thread_id = thread.id
        return thread

    async def _announce_thread(
        self, thread: FakeThread, now: float, *, only: _Gateway | None = None
    ) -> None:
        """THREAD_CREATE, then the starter's MESSAGE_UPDATE or the parent's system message."""
        data = {**self._thread_json(thread), "newly_created": True}
        if thread.type == CHANNEL_PUBLIC_THREAD or self.bot_user_id in thread.member_ids:
            await self._dispatch_event("THREAD_CREATE", data, intent=INTENT_GUILDS, only=only)
        if thread.starter_message_id is not None:
            starter = self.messages[thread.starter_message_id]
            await self._dispatch_message("MESSAGE_UPDATE", starter, only=only)
        elif thread.type == CHANNEL_PUBLIC_THREAD:
            system = self._create_message(
                channel_id=thread.parent_id,
                body={"content": thread.name},
                now=now,
                author_id=thread.owner_id,
                allow_empty=True,
            )
            system.message_type = MESSAGE_THREAD_CREATED
            system.reference_channel_id = thread.id
            await self._dispatch_message("MESSAGE_CREATE", system, only=only)

    async def _start_thread_from_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        cid = self._thread_parent(int(m["cid"]))
        req.call.channel_id = cid
        starter = self.messages.get(int(m["mid"]))
        if starter is None or starter.deleted or starter.channel_id != cid or starter.ephemeral:
            raise _ApiError(404, 10008, "Unknown Message")
        options = _thread_options(req.body, needs_type=False)
        options["type"] = CHANNEL_PUBLIC_THREAD
        thread = self._new_thread(cid, self.bot_user_id, options, starter)
        await self._announce_thread(thread, req.now)
        return 201, self._thread_json(thread, member_for=self.bot_user_id)

    async def _start_thread(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        cid = self._thread_parent(int(m["cid"]))
        req.call.channel_id = cid
        options = _thread_options(req.body, needs_type=True)
        thread = self._new_thread(cid, self.bot_user_id, options, None)
        await self._announce_thread(thread, req.now)
        return 201, self._thread_json(thread, member_for=self.bot_user_id)

    async def create_thread(
        self,
        parent_id: int,
        name: str,
        *,
        owner_id: int | None = None,
        message_id: int | None = None,
        auto_archive_duration: int = 1440,
    ) -> int:
        """A user starts a public thread in ``parent_id`` (from ``message_id`` if given).

        Recorded in ``threads`` like the bot's; THREAD_CREATE (and the starter's
        MESSAGE_UPDATE or the parent's THREAD_CREATED message) go to connected clients.
        Returns the thread id (the starter message id when there is one).
        """
        owner = self.user_id if owner_id is None else owner_id
        self._add_user(owner)
        starter = self.messages[message_id] if message_id is not None else None
        if starter is not None and starter.channel_id != parent_id:
            raise ValueError(f"message {message_id} is not in channel {parent_id}")
        if self._channel_type(parent_id) != CHANNEL_TEXT:
            raise ValueError(f"{parent_id} is not a text channel of the guild")
        options = {
            "name": name,
            "auto_archive_duration": auto_archive_duration,
            "rate_limit_per_user": 0,
            "type": CHANNEL_PUBLIC_THREAD,
        }
        thread = self._new_thread(parent_id, owner, options, starter)
        await self._announce_thread(thread, time.monotonic())
        await self.notify()
        return thread.id
