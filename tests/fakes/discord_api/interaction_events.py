"""Injected interactions: slash commands, autocompletes and component clicks.

The INTERACTION_CREATE payload is Discord's for the context the test chooses:

- ``context`` 0 (guild): ``guild_id``, ``guild``, ``member`` with ``permissions``
  computed from @everyone and the member's roles (guild.py); ``app_permissions`` are the
  bot's; ``authorizing_integration_owners`` ``{"0": guild_id}``.
- ``context`` 1 (the bot's DM) and 2 (a group DM or another user's DM): no guild, no
  member, ``user`` instead, the channel as a DM; ``app_permissions`` as Discord documents
  for those (ATTACH_FILES | EMBED_LINKS | MENTION_EVERYONE, plus USE_EXTERNAL_EMOJIS in the
  bot's DM); owners ``{"1": user_id}`` (``{"0": "0"}`` for a guild install in the bot's DM).
- ``user_installed_only``: the app is installed to the user, not where it is used, so
  its bot is not there: in context 0 the guild is ``external_guild_id`` (not the bot's),
  owners are ``{"1": user_id}``, and the bot's own channel routes answer 403/50001
  there while the callback, @original and (at most 5) followups work.
"""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.discord_api.constants import (
    ALL_PERMISSIONS,
    BOT_DM_APP_PERMISSIONS,
    CHANNEL_DM,
    CONTEXT_BOT_DM,
    CONTEXT_GUILD,
    CONTEXT_PRIVATE_CHANNEL,
    INTERACTION_AUTOCOMPLETE,
    INTERACTION_COMMAND,
    INTERACTION_COMPONENT,
    PRIVATE_APP_PERMISSIONS,
)
from tests.fakes.discord_api.gateway import Gateway
from tests.fakes.discord_api.state import FakeInteraction

PRIVATE_PEER_ID = 4242  # the other user of a context-2 DM
OPTION_STRING, OPTION_USER, OPTION_CHANNEL, OPTION_ROLE, OPTION_MENTIONABLE = 3, 6, 7, 8, 9


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

    def _where(
        self, inter: FakeInteraction, channel_id: int, *, user_installed_only: bool
    ) -> dict[str, Any]:
        """The context-dependent part of the payload; registers channels the bot lacks."""
        uid = inter.user_id
        if inter.context == CONTEXT_GUILD and self._channel_type(channel_id) == CHANNEL_DM:
            raise ValueError(f"{channel_id} is a DM channel: use context=1")
        if inter.context == CONTEXT_GUILD and not user_installed_only:
            inter.guild_id = self.guild_id
            inter.integration_owners = {"0": str(self.guild_id)}
            member = {**self._member(uid), "permissions": str(self._permissions(uid))}
            return {
                "guild_id": str(self.guild_id),
                "guild": {"id": str(self.guild_id), "locale": "en-US", "features": []},
                "channel": self._channel_json(channel_id),
                "member": member,
                "app_permissions": str(self._permissions(self.bot_user_id)),
            }
        if inter.context == CONTEXT_GUILD:
            if self._channel_type(channel_id) is not None:
                raise ValueError(f"the bot is in channel {channel_id}; use another id")
            inter.guild_id = self.external_guild_id
            inter.integration_owners = {"1": str(uid)}
            self._foreign[channel_id] = self.external_guild_id
            channel = {
                "id": str(channel_id),
                "type": 0,
                "guild_id": str(self.external_guild_id),
                "name": f"channel-{channel_id}",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "flags": 0,
            }
            member = {**self._member(uid), "permissions": str(self._permissions(uid))}
            guild = {"id": str(self.external_guild_id), "locale": "en-US", "features": []}
            return {
                "guild_id": str(self.external_guild_id),
                "guild": guild,
                "channel": channel,
                "member": member,
                "app_permissions": str(PRIVATE_APP_PERMISSIONS),
            }
        if inter.context == CONTEXT_BOT_DM:
            if channel_id != self.dm_channel_id(uid):
                raise ValueError(f"context 1 needs the bot's DM: fake.dm_channel_id({uid})")
            inter.integration_owners = {"1": str(uid)} if user_installed_only else {"0": "0"}
            return {
                "channel": self._dm_json(channel_id),
                "user": self._add_user(uid),
                "app_permissions": str(BOT_DM_APP_PERMISSIONS),
            }
        if self._channel_type(channel_id) is not None:
            raise ValueError(f"the bot is in channel {channel_id}; use another id")
        inter.integration_owners = {"1": str(uid)}
        inter.user_installed = True
        self._foreign[channel_id] = None
        channel = {
            "id": str(channel_id),
            "type": CHANNEL_DM,
            "last_message_id": None,
            "flags": 0,
            "recipients": [self._add_user(PRIVATE_PEER_ID, "friend")],
        }
        return {
            "channel": channel,
            "user": self._add_user(uid),
            "app_permissions": str(PRIVATE_APP_PERMISSIONS),
        }

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
        context: int = CONTEXT_GUILD,
        user_installed_only: bool = False,
    ) -> str:
        if context not in {CONTEXT_GUILD, CONTEXT_BOT_DM, CONTEXT_PRIVATE_CHANNEL}:
            raise ValueError(f"context must be 0, 1 or 2, not {context}")
        gw = self._live_gateway()
        uid = self.user_id if user_id is None else user_id
        self._add_user(uid)
        iid = self.snowflake()
        token = f"itok-{iid}-{self.snowflake():x}"
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
            context=context,
            user_installed=user_installed_only,
        )
        where = self._where(inter, channel_id, user_installed_only=user_installed_only)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "channel_id": str(channel_id),
            **where,
            "token": token,
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": dict(inter.integration_owners),
            "context": context,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if inter.guild_id is not None:
            payload["guild_locale"] = "en-US"
        if message is not None:
            payload["message"] = message
            inter.original_message_id = inter.message_id = int(message["id"])
        self.interactions[token] = inter
        await self._dispatch_to(gw, "INTERACTION_CREATE", payload)
        inter.created_at = time.monotonic()
        await self.notify()
        return token

    def _typed_options(
        self, schema: list[dict[str, Any]], options: dict[str, object], resolved: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Options typed by the registered schema; users, roles, channels go in ``resolved``."""
        types = {o["name"]: o["type"] for o in schema}
        out = []
        for name, raw in options.items():
            otype = types.get(name)
            if otype is None:
                out.extend(self._options({name: raw}))
                continue
            value: object = raw
            if otype in {OPTION_USER, OPTION_CHANNEL, OPTION_ROLE, OPTION_MENTIONABLE}:
                value = str(raw)
                self._resolve(int(raw), otype, resolved)
            elif otype == OPTION_STRING:
                value = str(raw)
            out.append({"name": name, "type": otype, "value": value})
        return out

    def _resolve(self, target: int, otype: int, resolved: dict[str, Any]) -> None:
        if otype == OPTION_ROLE or (otype == OPTION_MENTIONABLE and target in self._roles):
            resolved.setdefault("roles", {})[str(target)] = self._role_json(target)
        elif otype == OPTION_CHANNEL:
            channel = {**self._channel_json(target), "permissions": ALL_PERMISSIONS}
            resolved.setdefault("channels", {})[str(target)] = channel
        else:
            resolved.setdefault("users", {})[str(target)] = self._add_user(target)
            resolved.setdefault("members", {})[str(target)] = {
                **self._member(target, with_user=False),
                "permissions": str(self._permissions(target)),
            }

    def _command_data(
        self, name: str, options: dict[str, object], focused: str | None
    ) -> dict[str, Any]:
        """``name`` may be a path: ``"settings set"``, ``"settings access add"``."""
        top, *path = name.split()
        entry = self._command_entry(top)
        data: dict[str, Any] = {
            "id": entry["id"] if entry else str(self.snowflake()),
            "name": top,
            "type": 1,
        }
        schema = (entry or {}).get("options") or []
        holder = data
        for part in path:  # subcommand groups (type 2) and subcommands (type 1)
            node = next((o for o in schema if o["name"] == part), {"type": 1, "options": []})
            child: dict[str, Any] = {"name": part, "type": node["type"]}
            holder["options"] = [child]
            holder, schema = child, node.get("options") or []
        resolved: dict[str, Any] = {}
        if schema and focused is None:
            holder["options"] = self._typed_options(schema, options, resolved)
        else:
            holder["options"] = self._options(options, focused)
        if resolved:
            data["resolved"] = resolved
        if entry is not None and entry.get("guild_id"):
            data["guild_id"] = entry["guild_id"]
        return data

    async def inject_interaction(
        self,
        channel_id: int,
        name: str,
        options: dict[str, object],
        *,
        user_id: int | None = None,
        context: int = CONTEXT_GUILD,
        user_installed_only: bool = False,
    ) -> str:
        """Dispatch a slash-command INTERACTION_CREATE (type 2); returns its token.

        Option types: str -> 3, int -> 4, bool -> 5, float -> 10. The 3 s deadline
        (``interaction_deadline``) starts when the event has been sent. ``context`` and
        ``user_installed_only``: see the module docstring (context 1 needs
        ``channel_id == dm_channel_id(user)``; context 2 and user-installed context 0 need
        a channel id the bot does not know).
        """
        data = self._command_data(name, options, None)
        return await self._inject_interaction(
            INTERACTION_COMMAND,
            channel_id,
            data,
            user_id=user_id,
            name=name,
            options=options,
            context=context,
            user_installed_only=user_installed_only,
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
        """Dispatch a component (button) INTERACTION_CREATE (type 3) on a stored message.

        The payload carries the message (with its components, also an ephemeral or
        webhook one) and the clicking member with computed permissions; in the bot's DM
        it is a context-1 interaction. Callback 6 acknowledges without a change, 7 edits
        that message (outside the channel's bucket); @original is that message.
        """
        msg = self.messages[message_id]
        data = {"custom_id": custom_id, "component_type": component_type}
        in_dm = self._channel_type(msg.channel_id) == CHANNEL_DM
        uid = self.user_id if user_id is None else user_id
        if in_dm and self.dm_channel_id(uid) != msg.channel_id:
            raise ValueError(f"only the DM's user can click in DM {msg.channel_id}")
        return await self._inject_interaction(
            INTERACTION_COMPONENT,
            msg.channel_id,
            data,
            user_id=uid,
            name=custom_id,
            options={},
            custom_id=custom_id,
            message=self._message_json(msg),
            context=CONTEXT_BOT_DM if in_dm else CONTEXT_GUILD,
        )
