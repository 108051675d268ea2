"""What users do, as gateway events: messages (with files, replies, forwards), edits, deletes.

Each helper changes the store like the user's own client would and dispatches the event
to the newest identified connection (if it has the intent; gateway.py), then notifies
``wait_for`` waiters. The message helpers return the new message's id.
"""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.discord_api.gateway import Gateway
from tests.fakes.discord_api.state import FakeFile


class UserInjection(Gateway):
    """``inject_message``, ``inject_forward``, ``inject_edit`` and ``inject_delete``."""

    async def _inject_create(
        self,
        channel_id: int,
        body: dict[str, Any],
        author: int,
        attachments: list[FakeFile] | None,
    ) -> int:
        gw = self._live_gateway()
        msg = self._create_message(
            channel_id=channel_id,
            body=body,
            now=time.monotonic(),
            author_id=author,
            files=list(attachments or []),
        )
        await self._dispatch_message("MESSAGE_CREATE", msg, only=gw)
        await self.notify()
        return msg.id

    async def inject_message(
        self,
        channel_id: int,
        content: str,
        *,
        author_id: int | None = None,
        author_bot: bool = False,
        mention_bot: bool = True,
        reference_id: int | None = None,
        attachments: list[FakeFile] | None = None,
        forward_of: int | None = None,
    ) -> int:
        """Dispatch MESSAGE_CREATE from a user; returns the new message id.

        With ``mention_bot`` the content starts with ``<@bot>`` (prepended unless already in
        it) and ``mentions`` includes the bot. ``mentions`` lists every ``<@id>`` in content.
        ``channel_id`` may be a text channel, a thread or a DM channel. ``attachments`` are
        served by the fake's CDN. ``forward_of`` makes the message a forward of that stored
        message (see ``inject_forward``; ``content`` must then be empty).
        """
        author = self.user_id if author_id is None else author_id
        self._add_user(author, bot=author_bot)
        if author_bot:
            self._users[author]["bot"] = True
        if forward_of is not None:
            if content:
                raise ValueError("a forward has no content of its own")
            body: dict[str, Any] = {
                "content": "",
                "message_reference": {"type": 1, "message_id": forward_of},
            }
            return await self._inject_create(channel_id, body, author, attachments)
        bot_mention = f"<@{self.bot_user_id}>"
        if mention_bot and bot_mention not in content and f"<@!{self.bot_user_id}>" not in content:
            content = f"{bot_mention} {content}"
        body = {"content": content}
        if reference_id is not None:
            body["message_reference"] = {"message_id": reference_id, "fail_if_not_exists": True}
        return await self._inject_create(channel_id, body, author, attachments)

    async def inject_forward(
        self, channel_id: int, message_id: int, *, author_id: int | None = None
    ) -> int:
        """A user forwards stored message ``message_id`` into ``channel_id``.

        Like Discord: ``message_reference`` has ``type`` 1 (FORWARD) and the original's
        message, channel and guild ids; ``message_snapshots`` holds one snapshot of the
        original (type, content, embeds, attachments, timestamps, flags, mentions,
        mention_roles, components); the forward's own content is empty and its flags
        have HAS_SNAPSHOT (1 << 14).
        """
        return await self.inject_message(
            channel_id, "", author_id=author_id, mention_bot=False, forward_of=message_id
        )

    async def inject_edit(self, message_id: int, content: str) -> None:
        """A user edits a stored message: MESSAGE_UPDATE with the whole new message."""
        gw = self._live_gateway()
        msg = self.messages[message_id]
        self._edit_message(msg, {"content": content}, time.monotonic(), [])
        await self._dispatch_message("MESSAGE_UPDATE", msg, only=gw)
        await self.notify()

    async def inject_delete(self, message_id: int) -> None:
        """A user (or a moderator) deletes a stored message: MESSAGE_DELETE."""
        gw = self._live_gateway()
        msg = self.messages[message_id]
        self._mark_deleted(msg)
        await self._dispatch_delete(msg, only=gw)
        await self.notify()
