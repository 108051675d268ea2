"""Interactions: their callback and webhook routes, and injecting them over the gateway.

An injected interaction must be acknowledged once, within ``interaction_deadline`` of
the INTERACTION_CREATE being sent (else 10062); after that its token opens the webhook
routes (@original, followups) for ``token_lifetime``. Those routes are outside the
global limit and count against the token's own bucket.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from tests.fakes.discord_api.constants import (
    ALL_PERMISSIONS,
    CALLBACK_AUTOCOMPLETE,
    CALLBACK_DEFERRED_MESSAGE,
    CALLBACK_DEFERRED_UPDATE,
    CALLBACK_MESSAGE,
    CALLBACK_PONG,
    CALLBACK_UPDATE_MESSAGE,
    EPHEMERAL,
    INTERACTION_AUTOCOMPLETE,
    INTERACTION_COMMAND,
    INTERACTION_COMPONENT,
)
from tests.fakes.discord_api.gateway import Gateway
from tests.fakes.discord_api.state import FakeInteraction, FakeMessage
from tests.fakes.discord_api.validation import _ApiError, _form_error

if TYPE_CHECKING:
    from tests.fakes.discord_api.rest import _Request


class InteractionRoutes(Gateway):
    """The callback route and the webhook routes on an interaction token."""

    async def _callback(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        inter = self.interactions.get(m["token"])
        if inter is None or inter.id != int(m["iid"]):
            raise _ApiError(404, 10062, "Unknown interaction")
        req.call.channel_id = inter.channel_id
        body = req.body if isinstance(req.body, dict) else {}
        inter.callbacks.append(body)
        try:
            if req.now - inter.created_at > self.interaction_deadline:
                raise _ApiError(404, 10062, "Unknown interaction")
            if inter.responded:
                raise _ApiError(400, 40060, "Interaction has already been acknowledged.")
            return self._acknowledge(inter, body, req)
        except _ApiError as err:
            inter.callback_errors.append(err.body)
            raise

    def _acknowledge(
        self, inter: FakeInteraction, body: dict[str, Any], req: _Request
    ) -> tuple[int, Any]:
        ctype = int(body.get("type", 0))
        data = body.get("data") or {}
        msg: FakeMessage | None = None
        if ctype == CALLBACK_MESSAGE:
            data = self._validate_payload(data)
            msg = self._create_message(
                channel_id=inter.channel_id,
                body=data,
                now=req.now,
                interaction_token=inter.token,
                webhook_id=self.application_id,
                files=req.call.files,
            )
            inter.ephemeral = bool(msg.flags & EPHEMERAL)
        elif ctype == CALLBACK_DEFERRED_MESSAGE:
            flags = int(data.get("flags") or 0) & EPHEMERAL
            msg = self._create_message(
                channel_id=inter.channel_id,
                body={"content": "", "flags": flags},
                now=req.now,
                interaction_token=inter.token,
                webhook_id=self.application_id,
                allow_empty=True,
            )
            msg.loading = True
            inter.deferred = True
            inter.deferred_at = req.now
            inter.ephemeral = bool(flags)
        elif ctype == CALLBACK_AUTOCOMPLETE:
            if inter.type != INTERACTION_AUTOCOMPLETE:
                raise _ApiError(
                    400,
                    50035,
                    "Invalid Form Body",
                    {
                        "type": {
                            "_errors": [
                                {
                                    "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                                    "message": "Interaction response type is invalid",
                                }
                            ]
                        }
                    },
                )
            inter.autocomplete_choices = list(data.get("choices") or [])
        elif ctype in {CALLBACK_DEFERRED_UPDATE, CALLBACK_UPDATE_MESSAGE, CALLBACK_PONG, 9}:
            if ctype == CALLBACK_UPDATE_MESSAGE and inter.original_message_id is not None:
                data = self._validate_payload(data)
                target = self.messages[inter.original_message_id]
                self._edit_message(target, data, req.now, req.call.files)
        else:
            raise _form_error(
                {
                    "type": {
                        "_errors": [
                            {
                                "code": "BASE_TYPE_CHOICES",
                                "message": f"Not a valid interaction response type ({ctype}).",
                            }
                        ]
                    }
                }
            )
        inter.responded = True
        inter.response_type = ctype
        inter.responded_at = req.now
        if msg is not None:
            inter.original_message_id = msg.id
            req.call.message_id = msg.id
        answer: dict[str, Any] = {
            "interaction": {
                "id": str(inter.id),
                "type": inter.type,
                "response_message_loading": ctype == CALLBACK_DEFERRED_MESSAGE,
                "response_message_ephemeral": inter.ephemeral,
            }
        }
        if msg is not None:
            answer["interaction"]["response_message_id"] = str(msg.id)
            answer["resource"] = {"type": ctype, "message": self._message_json(msg)}
        if req.query.get("with_response") not in {"1", "true", "True"}:
            return 204, None
        return 200, answer

    def _webhook_interaction(self, m: re.Match[str], now: float) -> FakeInteraction:
        inter = self.interactions.get(m["token"])
        if inter is None or int(m["app"]) != self.application_id:
            raise _ApiError(404, 10015, "Unknown Webhook")
        if now - inter.created_at > self.token_lifetime:
            raise _ApiError(401, 50027, "Invalid Webhook Token")
        if not inter.responded:
            raise _ApiError(404, 10015, "Unknown Webhook")
        return inter

    def _webhook_message(self, inter: FakeInteraction, mid: str) -> FakeMessage:
        message_id = inter.original_message_id if mid == "@original" else int(mid)
        if message_id is None:
            raise _ApiError(404, 10008, "Unknown Message")
        msg = self.messages.get(message_id)
        owned = msg is not None and (
            msg.interaction_token == inter.token or msg.id == inter.original_message_id
        )
        if msg is None or msg.deleted or not owned:
            raise _ApiError(404, 10008, "Unknown Message")
        return msg

    async def _post_followup(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        inter = self._webhook_interaction(m, req.now)
        req.call.channel_id = inter.channel_id
        body = self._validate_payload(req.body)
        msg = self._create_message(
            channel_id=inter.channel_id,
            body=body,
            now=req.now,
            interaction_token=inter.token,
            webhook_id=self.application_id,
            files=req.call.files,
        )
        inter.followup_ids.append(msg.id)
        req.call.message_id = msg.id
        if req.query.get("wait") in {"1", "true", "True"}:
            return 200, self._message_json(msg)
        return 204, None

    async def _get_webhook_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        inter = self._webhook_interaction(m, req.now)
        return 200, self._message_json(self._webhook_message(inter, m["mid"]))

    async def _patch_webhook_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        inter = self._webhook_interaction(m, req.now)
        req.call.channel_id = inter.channel_id
        msg = self._webhook_message(inter, m["mid"])
        req.call.message_id = msg.id
        body = self._validate_payload(req.body)
        self._edit_message(msg, body, req.now, req.call.files)
        return 200, self._message_json(msg)

    async def _delete_webhook_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        inter = self._webhook_interaction(m, req.now)
        req.call.channel_id = inter.channel_id
        msg = self._webhook_message(inter, m["mid"])
        req.call.message_id = msg.id
        msg.deleted = True
        return 204, None


class InteractionInjection(Gateway):
    """Slash commands, autocompletes and button clicks sent as INTERACTION_CREATE."""

    def _options(
        self, options: dict[str, object], focused: str | None = None
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for name, raw in options.items():
            value: object = raw
            if isinstance(raw, bool):
                otype = 5
            elif isinstance(raw, int):
                otype = 4
            elif isinstance(raw, float):
                otype = 10
            else:
                otype = 3
                value = str(raw)
            opt: dict[str, Any] = {"name": name, "type": otype, "value": value}
            if name == focused:
                opt["focused"] = True
            out.append(opt)
        return out

    def _command_entry(self, name: str) -> dict[str, Any] | None:
        for cmd in self.guild_commands.get(self.guild_id, []):
            if cmd.get("name") == name:
                return cmd
        for cmd in self.global_commands:
            if cmd.get("name") == name:
                return cmd
        return None

    async def _inject_interaction(
        self,
        itype: int,
        channel_id: int,
        data: dict[str, Any],
        *,
        user_id: int | None,
        name: str,
        options: dict[str, object],
        focused: str | None = None,
        custom_id: str | None = None,
        message: dict[str, Any] | None = None,
    ) -> str:
        gw = self._live_gateway()
        uid = self.user_id if user_id is None else user_id
        self._add_user(uid)
        iid = self.snowflake()
        token = f"itok-{iid}-{self.snowflake():x}"
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "guild_id": str(self.guild_id),
            "guild": {"id": str(self.guild_id), "locale": "en-US", "features": []},
            "channel_id": str(channel_id),
            "channel": self._channel_json(
                channel_id,
                self.channel_ids.index(channel_id) if channel_id in self.channel_ids else 0,
            ),
            "member": {**self._member(uid), "permissions": ALL_PERMISSIONS},
            "token": token,
            "version": 1,
            "locale": "en-US",
            "guild_locale": "en-US",
            "app_permissions": ALL_PERMISSIONS,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if message is not None:
            payload["message"] = message
        inter = FakeInteraction(
            id=iid,
            token=token,
            type=itype,
            name=name,
            channel_id=channel_id,
            user_id=uid,
            options=dict(options),
            created_at=time.monotonic(),
            focused=focused,
            custom_id=custom_id,
        )
        if message is not None:
            inter.original_message_id = int(message["id"])
        self.interactions[token] = inter
        await self._dispatch_to(gw, "INTERACTION_CREATE", payload)
        inter.created_at = time.monotonic()
        await self.notify()
        return token

    def _command_data(
        self, name: str, options: dict[str, object], focused: str | None
    ) -> dict[str, Any]:
        entry = self._command_entry(name)
        data: dict[str, Any] = {
            "id": entry["id"] if entry else str(self.snowflake()),
            "name": name,
            "type": 1,
            "options": self._options(options, focused),
        }
        if entry is not None and entry.get("guild_id"):
            data["guild_id"] = entry["guild_id"]
        return data

    async def inject_interaction(
        self, channel_id: int, name: str, options: dict[str, object], *, user_id: int | None = None
    ) -> str:
        """Dispatch a slash-command INTERACTION_CREATE (type 2); returns its token.

        Option types: str -> 3, int -> 4, bool -> 5, float -> 10. The 3 s deadline
        (``interaction_deadline``) starts when the event has been sent.
        """
        data = self._command_data(name, options, None)
        return await self._inject_interaction(
            INTERACTION_COMMAND, channel_id, data, user_id=user_id, name=name, options=options
        )

    async def inject_autocomplete(
        self,
        channel_id: int,
        name: str,
        options: dict[str, object],
        focused: str,
        *,
        user_id: int | None = None,
    ) -> str:
        """Dispatch an autocomplete INTERACTION_CREATE (type 4) with ``focused`` marked."""
        data = self._command_data(name, options, focused)
        return await self._inject_interaction(
            INTERACTION_AUTOCOMPLETE,
            channel_id,
            data,
            user_id=user_id,
            name=name,
            options=options,
            focused=focused,
        )

    async def inject_component(
        self,
        message_id: int,
        custom_id: str,
        *,
        user_id: int | None = None,
        component_type: int = 2,
    ) -> str:
        """Dispatch a component (button) INTERACTION_CREATE (type 3) on a stored message."""
        msg = self.messages[message_id]
        data = {"custom_id": custom_id, "component_type": component_type}
        return await self._inject_interaction(
            INTERACTION_COMPONENT,
            msg.channel_id,
            data,
            user_id=user_id,
            name=custom_id,
            options={},
            custom_id=custom_id,
            message=self._message_json(msg),
        )
