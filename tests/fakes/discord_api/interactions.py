"""Interactions: the callback route and the webhook routes on an interaction's token.

An injected interaction (interaction_events.py) must be acknowledged once, within
``interaction_deadline`` of the INTERACTION_CREATE being sent (else 404/10062; twice:
400/40060); after that its token opens the webhook routes (@original, followups) for
``token_lifetime`` (then 401/50027 "Invalid Webhook Token"). Those routes are outside
the global limit and count against the token's own bucket, never the channel's.

Callback types: 4 creates the original response (type 20 for a slash command), 5 a
"thinking" one (LOADING until edited), 6 and 7 are for components only (7 edits the
message the component is on), 8 answers an autocomplete. Messages made or changed here
carry ``interaction_metadata`` and are echoed on the gateway unless ephemeral.
An interaction authorized only by a user install (the bot is not in that channel) may
create at most 5 followups (then 400/40094), as Discord caps them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tests.fakes.discord_api.constants import (
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
    MESSAGE_CHAT_INPUT_COMMAND,
    USER_INSTALL_MAX_FOLLOWUPS,
)
from tests.fakes.discord_api.gateway import Gateway
from tests.fakes.discord_api.state import FakeInteraction, FakeMessage
from tests.fakes.discord_api.validation import _ApiError, _form_error

if TYPE_CHECKING:
    from tests.fakes.discord_api.rest import _Request


def _invalid_response_type() -> _ApiError:
    return _form_error(
        {
            "type": {
                "_errors": [
                    {
                        "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                        "message": "Interaction response type is invalid",
                    }
                ]
            }
        }
    )


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
            return await self._acknowledge(inter, body, req)
        except _ApiError as err:
            inter.callback_errors.append(err.body)
            raise

    async def _acknowledge(
        self, inter: FakeInteraction, body: dict[str, Any], req: _Request
    ) -> tuple[int, Any]:
        ctype = int(body.get("type", 0))
        data = body.get("data") or {}
        msg: FakeMessage | None = None
        updated: FakeMessage | None = None
        if ctype == CALLBACK_MESSAGE:
            data = self._validate_payload(data)
            msg = self._create_message(
                channel_id=inter.channel_id,
                body=data,
                now=req.now,
                interaction_token=inter.token,
                webhook_id=self.application_id,
                files=req.uploads,
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
                raise _invalid_response_type()
            inter.autocomplete_choices = list(data.get("choices") or [])
        elif ctype in {CALLBACK_DEFERRED_UPDATE, CALLBACK_UPDATE_MESSAGE}:
            if inter.type != INTERACTION_COMPONENT or inter.message_id is None:
                raise _invalid_response_type()
            if ctype == CALLBACK_UPDATE_MESSAGE:
                data = self._validate_payload(data)
                updated = self.messages[inter.message_id]
                self._edit_message(updated, data, req.now, req.uploads)
        elif ctype in {CALLBACK_PONG, 9}:
            pass
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
            if inter.type == INTERACTION_COMMAND:
                msg.message_type = MESSAGE_CHAT_INPUT_COMMAND
            inter.original_message_id = msg.id
            req.call.message_id = msg.id
            await self._echo("MESSAGE_CREATE", msg)
        if updated is not None:
            req.call.message_id = updated.id
            await self._echo("MESSAGE_UPDATE", updated)
        answer: dict[str, Any] = {
            "interaction": {
                "id": str(inter.id),
                "type": inter.type,
                "response_message_loading": ctype == CALLBACK_DEFERRED_MESSAGE,
                "response_message_ephemeral": inter.ephemeral,
            }
        }
        shown = msg or updated
        if shown is not None:
            answer["interaction"]["response_message_id"] = str(shown.id)
            answer["resource"] = {"type": ctype, "message": self._message_json(shown)}
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
        if inter.user_installed and len(inter.followup_ids) >= USER_INSTALL_MAX_FOLLOWUPS:
            raise _ApiError(
                400, 40094, "This interaction has hit the maximum number of follow up messages"
            )
        body = self._validate_payload(req.body)
        msg = self._create_message(
            channel_id=inter.channel_id,
            body=body,
            now=req.now,
            interaction_token=inter.token,
            webhook_id=self.application_id,
            files=req.uploads,
        )
        inter.followup_ids.append(msg.id)
        req.call.message_id = msg.id
        await self._echo("MESSAGE_CREATE", msg)
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
        self._edit_message(msg, body, req.now, req.uploads)
        await self._echo("MESSAGE_UPDATE", msg)
        return 200, self._message_json(msg)

    async def _delete_webhook_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        inter = self._webhook_interaction(m, req.now)
        req.call.channel_id = inter.channel_id
        msg = self._webhook_message(inter, m["mid"])
        req.call.message_id = msg.id
        self._mark_deleted(msg)
        await self._echo("MESSAGE_DELETE", msg)
        return 204, None
