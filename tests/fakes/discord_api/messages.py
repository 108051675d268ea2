"""REST routes on the bot token: identity, gateway URL, commands, channels, messages.

Message create, edit and delete count against the channel's bucket (rest.py's route
table); a delete is also dispatched as MESSAGE_DELETE on the gateway.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tests.fakes.discord_api.gateway import Gateway
from tests.fakes.discord_api.state import FakeMessage
from tests.fakes.discord_api.validation import _ApiError, _form_error

if TYPE_CHECKING:
    from tests.fakes.discord_api.rest import _Request


class MessageRoutes(Gateway):
    """Handlers of the routes that need ``Authorization: Bot <token>``."""

    async def _get_me(self, _req: _Request, _m: re.Match[str]) -> tuple[int, Any]:
        user = dict(self._users[self.bot_user_id])
        user.update({"verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"})
        return 200, user

    async def _get_application(self, _req: _Request, _m: re.Match[str]) -> tuple[int, Any]:
        return 200, {
            "id": str(self.application_id),
            "name": "fakebot",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self._users[self.user_id],
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "summary": "",
            "rpc_origins": [],
            "tags": [],
            "bot": self._users[self.bot_user_id],
        }

    async def _get_gateway(self, _req: _Request, _m: re.Match[str]) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    async def _get_gateway_bot(self, _req: _Request, _m: re.Match[str]) -> tuple[int, Any]:
        return 200, {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 0,
                "max_concurrency": 1,
            },
        }

    def _check_app(self, m: re.Match[str]) -> None:
        if int(m["app"]) != self.application_id:
            raise _ApiError(403, 50001, "Missing Access")

    async def _put_commands(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        self._check_app(m)
        if not isinstance(req.body, list):
            raise _form_error(
                {"_errors": [{"code": "LIST_TYPE_CONVERT", "message": "Must be an array."}]}
            )
        gid = m.groupdict().get("gid")
        stored: list[dict[str, Any]] = []
        for cmd in req.body:
            full = {
                "type": 1,
                "options": [],
                "default_member_permissions": None,
                "dm_permission": True,
                "nsfw": False,
                "integration_types": [0],
                "contexts": None,
                **cmd,
                "id": str(self.snowflake()),
                "application_id": str(self.application_id),
                "version": str(self.snowflake()),
            }
            if gid is not None:
                full["guild_id"] = gid
            stored.append(full)
        self.commands = stored
        if gid is None:
            self.global_commands = stored
            self.commands_scope = "global"
        else:
            self.guild_commands[int(gid)] = stored
            self.commands_scope = int(gid)
        return 200, stored

    async def _get_commands(self, _req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        self._check_app(m)
        gid = m.groupdict().get("gid")
        return 200, self.global_commands if gid is None else self.guild_commands.get(int(gid), [])

    def _check_channel(self, m: re.Match[str]) -> int:
        cid = int(m["cid"])
        if cid not in self.channel_ids:
            raise _ApiError(404, 10003, "Unknown Channel")
        return cid

    def _find_message(self, cid: int, mid: int) -> FakeMessage:
        msg = self.messages.get(mid)
        if msg is None or msg.deleted or msg.channel_id != cid:
            raise _ApiError(404, 10008, "Unknown Message")
        return msg

    async def _get_channel(self, _req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        cid = self._check_channel(m)
        return 200, self._channel_json(cid, self.channel_ids.index(cid))

    async def _post_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        cid = self._check_channel(m)
        req.call.channel_id = cid
        body = self._validate_payload(req.body)
        msg = self._create_message(channel_id=cid, body=body, now=req.now, files=req.call.files)
        req.call.message_id = msg.id
        return 200, self._message_json(msg)

    async def _get_message(self, _req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        cid = self._check_channel(m)
        return 200, self._message_json(self._find_message(cid, int(m["mid"])))

    async def _patch_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        cid = self._check_channel(m)
        req.call.channel_id = cid
        req.call.message_id = int(m["mid"])
        msg = self._find_message(cid, int(m["mid"]))
        if msg.author_id != self.bot_user_id or msg.webhook_id is not None:
            raise _ApiError(403, 50005, "Cannot edit a message authored by another user")
        body = self._validate_payload(req.body)
        self._edit_message(msg, body, req.now, req.call.files)
        return 200, self._message_json(msg)

    async def _delete_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        cid = self._check_channel(m)
        req.call.channel_id = cid
        req.call.message_id = int(m["mid"])
        msg = self._find_message(cid, int(m["mid"]))
        msg.deleted = True
        await self._dispatch_event(
            "MESSAGE_DELETE",
            {"id": str(msg.id), "channel_id": str(cid), "guild_id": str(self.guild_id)},
        )
        return 204, None

    async def _typing(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        req.call.channel_id = self._check_channel(m)
        return 204, None

    async def _add_reaction(self, _req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        msg = self._find_message(self._check_channel(m), int(m["mid"]))
        if m["emoji"] not in msg.reactions:
            msg.reactions.append(m["emoji"])
        return 204, None

    async def _remove_reaction(self, _req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        msg = self._find_message(self._check_channel(m), int(m["mid"]))
        if m["emoji"] in msg.reactions:
            msg.reactions.remove(m["emoji"])
        return 204, None
