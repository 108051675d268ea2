"""The message store: create, edit and render stored messages; resolve mentions.

Channel routes, interaction callbacks and webhooks, ``add_message`` and the gateway's
``inject_message`` all go through ``_create_message``/``_edit_message`` and render with
``_message_json``, so a message looks the same whichever way it came in.
"""

from __future__ import annotations

import re
import time
from typing import Any

from tests.fakes.discord_api.constants import LOADING, SUPPRESS_EMBEDS
from tests.fakes.discord_api.state import DiscordState, FakeMessage, _iso
from tests.fakes.discord_api.validation import PayloadValidation, _form_error


class MessageStore(PayloadValidation, DiscordState):
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

    def _message_json(self, msg: FakeMessage, *, nested: bool = False) -> dict[str, Any]:
        author = dict(self._users.get(msg.author_id) or self._add_user(msg.author_id))
        data: dict[str, Any] = {
            "id": str(msg.id),
            "type": 19 if msg.reference_id is not None else 0,
            "channel_id": str(msg.channel_id),
            "guild_id": str(self.guild_id),
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
            "flags": msg.flags | (LOADING if msg.loading else 0),
            "components": msg.components,
            "nonce": None,
        }
        if msg.author_id != self.bot_user_id or msg.webhook_id is None:
            data["member"] = self._member(msg.author_id, with_user=False)
        if msg.webhook_id is not None:
            data["webhook_id"] = str(msg.webhook_id)
            data["application_id"] = str(self.application_id)
        if msg.reference_id is not None:
            data["message_reference"] = {
                "type": 0,
                "message_id": str(msg.reference_id),
                "channel_id": str(msg.channel_id),
                "guild_id": str(self.guild_id),
            }
            if not nested:
                ref = self.messages.get(msg.reference_id)
                data["referenced_message"] = (
                    self._message_json(ref, nested=True) if ref and not ref.deleted else None
                )
        return data

    def _create_message(
        self,
        *,
        channel_id: int,
        body: dict[str, Any],
        now: float,
        author_id: int | None = None,
        interaction_token: str | None = None,
        webhook_id: int | None = None,
        files: list[str] | None = None,
        record_mentions: bool = True,
        allow_empty: bool = False,
    ) -> FakeMessage:
        content = body.get("content") or ""
        embeds = list(body.get("embeds") or [])
        if not allow_empty:
            self._check_not_empty(content, embeds, body, files or [])
        reference_id: int | None = None
        ref = body.get("message_reference")
        if isinstance(ref, dict) and ref.get("message_id") is not None:
            target = self.messages.get(int(ref["message_id"]))
            if target is None or target.deleted or target.channel_id != channel_id:
                if ref.get("fail_if_not_exists", True):
                    raise _form_error(
                        {
                            "message_reference": {
                                "_errors": [
                                    {
                                        "code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                                        "message": "Unknown message",
                                    }
                                ]
                            }
                        }
                    )
            else:
                reference_id = target.id
        allowed = body.get("allowed_mentions")
        mention_ids, everyone = self._resolve_mentions(content, allowed)
        msg = FakeMessage(
            id=self.snowflake(),
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
            attachments=[self._attachment(name) for name in files or []],
            mention_ids=mention_ids if record_mentions else [],
            mention_everyone=everyone if record_mentions else False,
            created_at=now,
            timestamp=_iso(),
            webhook_id=webhook_id,
        )
        self.messages[msg.id] = msg
        return msg

    def _attachment(self, name: str) -> dict[str, Any]:
        aid = self.snowflake()
        return {
            "id": str(aid),
            "filename": name,
            "size": 0,
            "url": f"http://127.0.0.1:{self.port}/attachments/{aid}/{name}",
            "proxy_url": f"http://127.0.0.1:{self.port}/attachments/{aid}/{name}",
        }

    def _edit_message(
        self, msg: FakeMessage, body: dict[str, Any], now: float, files: list[str]
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
            kept = list(body.get("attachments") or []) if "attachments" in body else msg.attachments
            msg.attachments = [a for a in kept if "filename" in a] + [
                self._attachment(n) for n in files
            ]
        msg.mention_ids, msg.mention_everyone = self._resolve_mentions(content, allowed)
        msg.history.append((now, content))
        msg.allowed_mentions.append(allowed)
        msg.edited_at = now
        msg.edited_timestamp = _iso()

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
