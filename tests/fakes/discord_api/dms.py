"""Direct messages: the bot's DM channels, ``POST /users/@me/channels`` and ``inject_dm``.

A DM channel (type 1) has a stable id per user (``dm_channel_id``, guild.py) and
``recipients: [user]``; Discord sends bots no CHANNEL_CREATE for DMs (since v8), so the
first a bot sees of one is a MESSAGE_CREATE without ``guild_id`` and ``member``. discord.py
(``ConnectionState._get_guild_channel``) routes such a message to a ``DMChannel`` made
from the channel id. Messages in a DM are stored and rendered like channel ones without
guild fields, the bot's replies count against the DM's own ``channel:<dm>`` bucket, and
DM message events need the DIRECT_MESSAGES intent.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tests.fakes.discord_api.injection import UserInjection
from tests.fakes.discord_api.state import FakeFile
from tests.fakes.discord_api.validation import _form_error

if TYPE_CHECKING:
    from tests.fakes.discord_api.rest import _Request


class DirectMessages(UserInjection):
    """The DM route and DMs from users."""

    async def _open_dm(self, req: _Request, _m: re.Match[str]) -> tuple[int, Any]:
        body = req.body if isinstance(req.body, dict) else {}
        raw = body.get("recipient_id")
        if raw is None or not str(raw).isdigit():
            code, text = (
                ("BASE_TYPE_REQUIRED", "This field is required")
                if raw is None
                else ("NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.')
            )
            raise _form_error({"recipient_id": {"_errors": [{"code": code, "message": text}]}})
        cid = self.dm_channel_id(int(raw))
        req.call.channel_id = cid
        return 200, self._dm_json(cid)

    async def inject_dm(
        self,
        content: str,
        *,
        author_id: int | None = None,
        attachments: list[FakeFile] | None = None,
        reference_id: int | None = None,
    ) -> int:
        """A user writes to the bot in their DM: MESSAGE_CREATE; returns the message id.

        The payload is a DM's (channel type 1, no ``guild_id``, no ``member``, the author
        as a user). ``reference_id`` makes it a reply to a message of that DM.
        """
        author = self.user_id if author_id is None else author_id
        self._add_user(author)
        body: dict[str, Any] = {"content": content}
        if reference_id is not None:
            body["message_reference"] = {"message_id": reference_id, "fail_if_not_exists": True}
        return await self._inject_create(self.dm_channel_id(author), body, author, attachments)
