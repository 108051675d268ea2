"""The message store: create, edit and render stored messages; resolve mentions.

Channel routes, interaction callbacks and webhooks, ``add_message`` and the injections
all go through ``_create_message``/``_edit_message``, so a message looks the same
whichever way it came in. It renders two ways, as Discord does:

- ``_message_json``: the REST message object. No ``guild_id`` and no ``member`` (Discord
  stores messages by channel and leaves both out of REST answers); ``referenced_message``
  for replies, ``message_snapshots`` for forwards, ``thread`` on a thread's starter,
  ``position`` in threads, ``interaction_metadata`` on interaction responses.
- ``_gateway_message``: MESSAGE_CREATE/UPDATE's payload, which adds ``guild_id``,
  ``member`` (not for webhook messages), members on ``mentions`` and ``channel_type``, and
  empties content, embeds, attachments and components for a client without the
  MESSAGE_CONTENT intent unless the message is the bot's, mentions it or is in a DM.
"""

from __future__ import annotations

import re
import time
from typing import Any

from tests.fakes.discord_api.cdn import Cdn
from tests.fakes.discord_api.constants import (
    HAS_SNAPSHOT,
    HAS_THREAD,
    INTENT_MESSAGE_CONTENT,
    LOADING,
    MESSAGE_REPLY,
    SUPPRESS_EMBEDS,
)
from tests.fakes.discord_api.guild import GuildModel
from tests.fakes.discord_api.state import FakeFile, FakeMessage, _iso
from tests.fakes.discord_api.validation import PayloadValidation, _form_error

_CONTENT_FIELDS = {"content": "", "embeds": [], "attachments": [], "components": []}


def _unknown_reference() -> Exception:
    return _form_error(
        {
            "message_reference": {
                "_errors": [
                    {"code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "message": "Unknown message"}
                ]
            }
        }
    )


class MessageStore(Cdn, GuildModel, PayloadValidation):
    """Stored messages (``self.messages``) as every route and injection sees them."""

    def _resolve_mentions(
        self, content: str, allowed: dict[str, Any] | None
    ) -> tuple[list[int], bool]:
        """Which users a message pings and whether it pings @everyone, per allowed_mentions."""
        ids = [int(m) for m in re.findall(r"<@!?(\d+)>", content)]
        everyone = "@everyone" in content or "@here" in content
        if allowed is None:
            parse: list[str] = ["users", "roles", "everyone"]
            users_allowed: list[int] | None = None
        else:
            parse = list(allowed.get("parse") or [])
            raw = allowed.get("users")
            users_allowed = [int(u) for u in raw] if raw is not None else None
        if "users" in parse:
            keep = ids
        elif users_allowed is not None:
            keep = [i for i in ids if i in users_allowed]
        else:
            keep = []
        seen: list[int] = []
        for uid in keep:
            if uid not in seen:
                seen.append(uid)
        return seen, everyone and "everyone" in parse

    # ------------------------------------------------------------------ rendering

    def _message_json(self, msg: FakeMessage, *, nested: bool = False) -> dict[str, Any]:
        """The REST message object (see the module docstring)."""
        author = dict(self._users.get(msg.author_id) or self._add_user(msg.author_id))
        flags = msg.flags | (LOADING if msg.loading else 0)
        if msg.thread_id is not None:
            flags |= HAS_THREAD
        if msg.message_type is not None:
            mtype = msg.message_type
        else:
            is_reply = msg.reference_id is not None and msg.reference_type == 0
            mtype = MESSAGE_REPLY if is_reply else 0
        data: dict[str, Any] = {
            "id": str(msg.id),
            "type": mtype,
            "channel_id": str(msg.channel_id),
            "author": author,
            "content": msg.content,
            "timestamp": msg.timestamp,
            "edited_timestamp": msg.edited_timestamp,
            "tts": False,
            "mention_everyone": msg.mention_everyone,
            "mentions": [self._add_user(uid) for uid in msg.mention_ids],
            "mention_roles": [],
            "mention_channels": [],
            "attachments": msg.attachments,
            "embeds": msg.embeds,
            "reactions": [],
            "pinned": False,
            "flags": flags,
            "components": msg.components,
            "nonce": None,
        }
        if msg.webhook_id is not None:
            data["webhook_id"] = str(msg.webhook_id)
            data["application_id"] = str(self.application_id)
        if msg.position is not None:
            data["position"] = msg.position
        if msg.thread_id is not None and msg.thread_id in self.threads:
            data["thread"] = self._thread_json(self.threads[msg.thread_id])
        self._reference_fields(msg, data, nested=nested)
        self._interaction_fields(msg, data)
        return data

    def _reference_fields(self, msg: FakeMessage, data: dict[str, Any], *, nested: bool) -> None:
        if msg.reference_id is None and msg.reference_channel_id is None:
            return
        ref_channel = msg.reference_channel_id or msg.channel_id
        ref: dict[str, Any] = {"type": msg.reference_type, "channel_id": str(ref_channel)}
        if msg.reference_id is not None:
            ref["message_id"] = str(msg.reference_id)
        guild = self._guild_of(ref_channel)
        if guild is not None:
            ref["guild_id"] = str(guild)
        data["message_reference"] = ref
        if msg.snapshot is not None:
            data["message_snapshots"] = [{"message": msg.snapshot}]
        elif msg.reference_id is not None and msg.reference_type == 0 and not nested:
            target = self.messages.get(msg.reference_id)
            data["referenced_message"] = (
                self._message_json(target, nested=True) if target and not target.deleted else None
            )

    def _interaction_fields(self, msg: FakeMessage, data: dict[str, Any]) -> None:
        inter = self.interactions.get(msg.interaction_token or "")
        if inter is None:
            return
        user = self._add_user(inter.user_id)
        meta: dict[str, Any] = {
            "id": str(inter.id),
            "type": inter.type,
            "user": user,
            "authorizing_integration_owners": dict(inter.integration_owners),
        }
        if inter.original_message_id is not None and msg.id != inter.original_message_id:
            meta["original_response_message_id"] = str(inter.original_message_id)
        if inter.message_id is not None:
            meta["interacted_message_id"] = str(inter.message_id)
        data["interaction_metadata"] = meta
        legacy: dict[str, Any] = {"id": str(inter.id), "type": inter.type, "name": inter.name}
        legacy["user"] = user
        if inter.guild_id is not None:
            legacy["member"] = self._member(inter.user_id, with_user=False)
        data["interaction"] = legacy

    def _snapshot_json(self, target: FakeMessage) -> dict[str, Any]:
        full = self._message_json(target, nested=True)
        keys = ("type", "content", "embeds", "attachments", "timestamp", "edited_timestamp")
        snapshot = {key: full[key] for key in keys}
        snapshot.update(
            flags=target.flags,
            mentions=full["mentions"],
            mention_roles=[],
            components=full["components"],
        )
        return snapshot

    def _gateway_message(self, msg: FakeMessage, intents: int) -> dict[str, Any]:
        """MESSAGE_CREATE/UPDATE's payload for a client identified with ``intents``."""
        data = self._message_json(msg)
        guild = self._guild_of(msg.channel_id)
        if guild is not None:
            data["guild_id"] = str(guild)
            if msg.webhook_id is None:
                data["member"] = self._member(msg.author_id, with_user=False)
            data["mentions"] = [
                {**user, "member": self._member(int(user["id"]), with_user=False)}
                for user in data["mentions"]
            ]
        channel_type = self._channel_type(msg.channel_id)
        if channel_type is not None:
            data["channel_type"] = channel_type
        exempt = (
            guild is None
            or msg.author_id == self.bot_user_id
            or self.bot_user_id in msg.mention_ids
        )
        if not intents & INTENT_MESSAGE_CONTENT and not exempt:
            data.update(_CONTENT_FIELDS)
            for snapshot in data.get("message_snapshots", []):
                snapshot["message"] = {**snapshot["message"], **_CONTENT_FIELDS}
        return data

    # ------------------------------------------------------------------ create and edit

    def _new_attachments(
        self, channel_id: int, body: dict[str, Any], files: list[FakeFile]
    ) -> list[dict[str, Any]]:
        """Attachment objects for uploaded files; ``attachments[i]`` may rename/describe."""
        entries = {
            int(e["id"]): e
            for e in body.get("attachments") or []
            if isinstance(e, dict) and str(e.get("id", "")).isdigit() and int(e["id"]) < len(files)
        }
        out = []
        for i, file in enumerate(files):
            entry = entries.get(i, {})
            named = FakeFile(
                entry.get("filename") or file.filename,
                file.data,
                file.content_type,
                file.width,
                file.height,
                entry.get("description", file.description),
            )
            out.append(self._attachment_json(channel_id, named))
        return out

    def _create_message(
        self,
        *,
        channel_id: int,
        body: dict[str, Any],
        now: float,
        author_id: int | None = None,
        interaction_token: str | None = None,
        webhook_id: int | None = None,
        files: list[FakeFile] | None = None,
        record_mentions: bool = True,
        allow_empty: bool = False,
    ) -> FakeMessage:
        content = body.get("content") or ""
        embeds = list(body.get("embeds") or [])
        ref = body.get("message_reference")
        forward = isinstance(ref, dict) and int(ref.get("type") or 0) == 1
        if not allow_empty and not forward:
            self._check_not_empty(content, embeds, body, files or [])
        reference_id: int | None = None
        target: FakeMessage | None = None
        if isinstance(ref, dict) and ref.get("message_id") is not None:
            target = self.messages.get(int(ref["message_id"]))
            usable = target is not None and not target.deleted and not target.ephemeral
            if usable and target is not None and (forward or target.channel_id == channel_id):
                reference_id = target.id
            elif forward or ref.get("fail_if_not_exists", True):
                raise _unknown_reference()
        allowed = body.get("allowed_mentions")
        mention_ids, everyone = self._resolve_mentions(content, allowed)
        mid = self.snowflake()
        attachments = self._new_attachments(channel_id, body, files or [])
        self._claim_attachments(mid, attachments)
        msg = FakeMessage(
            id=mid,
            channel_id=channel_id,
            content=content,
            embeds=embeds,
            flags=int(body.get("flags") or 0),
            author_id=self.bot_user_id if author_id is None else author_id,
            reference_id=reference_id,
            history=[(now, content)],
            allowed_mentions=[allowed],
            interaction_token=interaction_token,
            components=list(body.get("components") or []),
            attachments=attachments,
            mention_ids=mention_ids if record_mentions else [],
            mention_everyone=everyone if record_mentions else False,
            created_at=now,
            timestamp=_iso(),
            webhook_id=webhook_id,
        )
        if forward and target is not None:
            msg.reference_type = 1
            msg.reference_channel_id = target.channel_id
            msg.snapshot = self._snapshot_json(target)
            msg.flags |= HAS_SNAPSHOT
        thread = self.threads.get(channel_id)
        if thread is not None:
            msg.position = thread.total_message_sent + (1 if thread.starter_message_id else 0)
            thread.message_count += 1
            thread.total_message_sent += 1
            if msg.author_id not in thread.member_ids:
                thread.member_ids.append(msg.author_id)
        self.messages[msg.id] = msg
        return msg

    def _edit_message(
        self, msg: FakeMessage, body: dict[str, Any], now: float, files: list[FakeFile]
    ) -> None:
        content = msg.content
        if "content" in body:
            content = body["content"] or ""
        embeds = msg.embeds
        if "embeds" in body:
            embeds = list(body["embeds"] or [])
        merged = {"components": msg.components, "attachments": msg.attachments, **body}
        self._check_not_empty(content, embeds, merged, files)
        allowed = body.get("allowed_mentions")
        msg.content = content
        msg.embeds = embeds
        if body.get("flags") is not None:
            # Only SUPPRESS_EMBEDS can change on an edit; ephemeral etc. stay.
            msg.flags = (msg.flags & ~SUPPRESS_EMBEDS) | (int(body["flags"]) & SUPPRESS_EMBEDS)
        msg.loading = False
        if "components" in body:
            msg.components = list(body["components"] or [])
        if "attachments" in body or files:
            kept = msg.attachments
            if "attachments" in body:
                keep_ids = {
                    str(e.get("id")) for e in body["attachments"] or [] if isinstance(e, dict)
                }
                kept = [a for a in msg.attachments if a["id"] in keep_ids]
            added = self._new_attachments(msg.channel_id, body, files)
            self._claim_attachments(msg.id, added)
            msg.attachments = kept + added
        msg.mention_ids, msg.mention_everyone = self._resolve_mentions(content, allowed)
        msg.history.append((now, content))
        msg.allowed_mentions.append(allowed)
        msg.edited_at = now
        msg.edited_timestamp = _iso()

    def _mark_deleted(self, msg: FakeMessage) -> None:
        msg.deleted = True
        thread = self.threads.get(msg.channel_id)
        if thread is not None:
            thread.message_count = max(0, thread.message_count - 1)

    def add_message(
        self,
        channel_id: int,
        content: str,
        *,
        author_id: int | None = None,
        embeds: list[Any] | None = None,
    ) -> FakeMessage:
        """Put a message into the store without any REST call or gateway event.

        Default author is the bot (so the bot may edit it). Useful to test edits without
        spending the channel's write budget on the create.
        """
        author = self.bot_user_id if author_id is None else author_id
        self._add_user(author)
        return self._create_message(
            channel_id=channel_id,
            body={"content": content, "embeds": embeds or []},
            now=time.monotonic(),
            author_id=author,
        )
