"""REST routes on the bot token: identity, gateway URL, commands, channels, messages.

Message create, edit and delete count against the channel's bucket (rest.py's route
table), which is the thread's or the DM's own for those. With ``echo`` the gateway
echoes each as MESSAGE_CREATE/MESSAGE_UPDATE/MESSAGE_DELETE (gateway.py). A channel the
bot cannot see answers 403/50001 and one ``forbid`` blocks answers its code (guild.py).

History (``GET /channels/{c}/messages``) is Discord's: ``limit`` 1..100 (default 50, else
400/50035), newest first, at most one of ``around`` (about half newer, the rest up to and
including it), ``before`` (the newest ones older than it) or ``after`` (the oldest ones
newer than it, still answered newest first); no deleted or ephemeral messages.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tests.fakes.discord_api.constants import CHANNEL_CATEGORY
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

    async def _get_user(self, _req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        user = self._users.get(int(m["uid"]))
        if user is None:
            raise _ApiError(404, 10013, "Unknown User")
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

    def _check_channel(
        self, m: re.Match[str], *, write: bool = False, messages: bool = False
    ) -> int:
        """The route's channel, if the bot may use it; ``messages``: it must hold messages."""
        cid = self._check_channel_id(int(m["cid"]), write=write)
        if messages and self._channel_type(cid) == CHANNEL_CATEGORY:
            raise _ApiError(400, 50008, "Cannot send messages in a non-text channel")
        return cid

    def _find_message(self, cid: int, mid: int) -> FakeMessage:
        msg = self.messages.get(mid)
        if msg is None or msg.deleted or msg.channel_id != cid or msg.ephemeral:
            raise _ApiError(404, 10008, "Unknown Message")
        return msg

    async def _get_channel(self, _req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        return 200, self._channel_json(self._check_channel(m))

    async def _post_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        cid = self._check_channel(m, write=True, messages=True)
        req.call.channel_id = cid
        body = self._validate_payload(req.body)
        msg = self._create_message(channel_id=cid, body=body, now=req.now, files=req.uploads)
        req.call.message_id = msg.id
        await self._echo("MESSAGE_CREATE", msg)
        return 200, self._message_json(msg)

    async def _get_message(self, _req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        cid = self._check_channel(m)
        return 200, self._message_json(self._find_message(cid, int(m["mid"])))

    async def _get_history(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        cid = self._check_channel(m, messages=True)
        limit = self._query_int(req, "limit", 50)
        if limit < 1:
            raise _form_error({"limit": _number_error("MIN", "greater than or equal to 1")})
        if limit > 100:
            raise _form_error({"limit": _number_error("MAX", "less than or equal to 100")})
        found = sorted(
            (x for x in self.messages.values() if x.channel_id == cid and not x.deleted),
            key=lambda x: x.id,
        )
        found = [x for x in found if not x.ephemeral]
        if "around" in req.query:
            pivot = self._query_int(req, "around", 0)
            newer = [x for x in found if x.id > pivot][: limit // 2]
            older = [x for x in found if x.id <= pivot]
            found = older[max(0, len(older) - (limit - len(newer))) :] + newer
        elif "before" in req.query:
            before = self._query_int(req, "before", 0)
            found = [x for x in found if x.id < before][-limit:]
        elif "after" in req.query:
            after = self._query_int(req, "after", 0)
            found = [x for x in found if x.id > after][:limit]
        else:
            found = found[-limit:]
        return 200, [self._message_json(x) for x in reversed(found)]

    @staticmethod
    def _query_int(req: _Request, name: str, default: int) -> int:
        raw = req.query.get(name)
        if raw is None:
            return default
        try:
            return int(raw)
        except ValueError:
            raise _form_error(
                {
                    name: {
                        "_errors": [
                            {"code": "NUMBER_TYPE_COERCE", "message": f'Value "{raw}" is not int.'}
                        ]
                    }
                }
            ) from None

    async def _patch_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        cid = self._check_channel(m, write=True)
        req.call.channel_id = cid
        req.call.message_id = int(m["mid"])
        msg = self._find_message(cid, int(m["mid"]))
        if msg.author_id != self.bot_user_id or msg.webhook_id is not None:
            raise _ApiError(403, 50005, "Cannot edit a message authored by another user")
        body = self._validate_payload(req.body)
        self._edit_message(msg, body, req.now, req.uploads)
        await self._echo("MESSAGE_UPDATE", msg)
        return 200, self._message_json(msg)

    async def _delete_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        cid = self._check_channel(m)
        req.call.channel_id = cid
        req.call.message_id = int(m["mid"])
        msg = self._find_message(cid, int(m["mid"]))
        self._mark_deleted(msg)
        await self._echo("MESSAGE_DELETE", msg)
        return 204, None

    async def _typing(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        req.call.channel_id = self._check_channel(m, write=True)
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


def _number_error(kind: str, bound: str) -> dict[str, Any]:
    return {
        "_errors": [{"code": f"NUMBER_TYPE_{kind}", "message": f"int value should be {bound}."}]
    }
