"""Who may use the bot, and where: allow and block lists, from the environment and admins.

Lists name users, roles, channels and categories. The environment's lists apply
everywhere; each server's admins keep their own on top. A block always wins over
an allow. An empty allow list means everyone: with allowed channels or
categories set, only those places; with allowed users or roles set, only those
people. In DMs only the user lists apply (and DMs may be off altogether).

A refusal in a place the bot may not speak in is silent (logged only); a person
who may not use the bot is told once in a while, never on every message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core import errors
from bot.core.storage import AccessEntry, Rule, Store, Target
from bot.logs import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Lists:
    """Allow and block lists by kind of target (ids as text)."""

    allow: dict[Target, frozenset[str]] = field(default_factory=dict)
    block: dict[Target, frozenset[str]] = field(default_factory=dict)

    def merged(self, entries: list[AccessEntry]) -> Lists:
        """These lists with a server's entries added."""
        allow = {k: set(v) for k, v in self.allow.items()}
        block = {k: set(v) for k, v in self.block.items()}
        for entry in entries:
            (allow if entry.rule == "allow" else block).setdefault(entry.target, set()).add(
                entry.target_id
            )
        return Lists(
            {k: frozenset(v) for k, v in allow.items()},
            {k: frozenset(v) for k, v in block.items()},
        )

    def hit(self, rule: Rule, target: Target, ids: tuple[str, ...]) -> bool:
        """Whether any of ``ids`` is on the ``rule`` list of that kind."""
        chosen = self.allow if rule == "allow" else self.block
        return any(i in chosen.get(target, frozenset()) for i in ids)

    def has(self, rule: Rule, *targets: Target) -> bool:
        """Whether the ``rule`` list of any of these kinds names anything."""
        chosen = self.allow if rule == "allow" else self.block
        return any(chosen.get(t) for t in targets)


@dataclass(frozen=True)
class Asker:
    """Who asks, and where (ids as text; ``guild_id`` is ``None`` in a DM)."""

    user_id: str
    guild_id: str | None
    channel_ids: tuple[str, ...] = ()  # the channel, and for a thread its parent too
    category_id: str | None = None
    role_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """May this person ask here? ``silent``: refused where the bot must not speak."""

    allowed: bool
    reason: str = ""
    silent: bool = False
    text: str = ""


ALLOWED = Decision(allowed=True)


def decide(lists: Lists, asker: Asker, *, allow_dms: bool) -> Decision:
    """The decision for ``asker`` under ``lists`` (pure: no storage, no I/O)."""
    if asker.guild_id is None and not allow_dms:
        return Decision(allowed=False, reason="dms_off", silent=True)
    category = (asker.category_id,) if asker.category_id else ()
    if asker.guild_id is not None:
        if lists.hit("block", "channel", asker.channel_ids) or lists.hit(
            "block", "category", category
        ):
            return Decision(allowed=False, reason="channel_blocked", silent=True)
        limited = lists.has("allow", "channel", "category")
        if limited and not (
            lists.hit("allow", "channel", asker.channel_ids)
            or lists.hit("allow", "category", category)
        ):
            return Decision(allowed=False, reason="channel_not_allowed", silent=True)
    user = (asker.user_id,)
    if lists.hit("block", "user", user) or lists.hit("block", "role", asker.role_ids):
        return Decision(allowed=False, reason="user_blocked", text=errors.NOT_ALLOWED)
    if lists.has("allow", "user", "role") and not (
        lists.hit("allow", "user", user) or lists.hit("allow", "role", asker.role_ids)
    ):
        return Decision(allowed=False, reason="user_not_allowed", text=errors.NOT_ALLOWED)
    return ALLOWED


class AccessPolicy:
    """The environment's lists plus each server's, from the store."""

    def __init__(self, store: Store, base: Lists, *, allow_dms: bool) -> None:
        self._store = store
        self._base = base
        self._allow_dms = allow_dms
        self._servers: dict[str, Lists] = {}
        self._changes = 0  # a read that started before a change must not be cached

    async def lists(self, guild_id: str | None) -> Lists:
        """The lists that apply in a server (only the environment's in DMs)."""
        if guild_id is None:
            return self._base
        cached = self._servers.get(guild_id)
        if cached is None:
            seen = self._changes
            cached = self._base.merged(await self._store.access(guild_id))
            if seen == self._changes:
                self._servers[guild_id] = cached
        return cached

    async def check(self, asker: Asker) -> Decision:
        """May ``asker`` use the bot here? Refusals are logged."""
        decision = decide(await self.lists(asker.guild_id), asker, allow_dms=self._allow_dms)
        if not decision.allowed:
            log.info(
                "access.refused",
                reason=decision.reason,
                user_id=asker.user_id,
                guild_id=asker.guild_id,
                channel_id=asker.channel_ids[0] if asker.channel_ids else None,
            )
        return decision

    async def entries(self, guild_id: str) -> list[AccessEntry]:
        """A server's own entries (the environment's are not listed here)."""
        return await self._store.access(guild_id)

    async def change(self, entry: AccessEntry, *, add: bool) -> bool:
        """Add or remove a server's entry; False when nothing changed."""
        changed = await self._store.change_access(entry, add=add)
        self._changes += 1
        self._servers.pop(entry.guild_id, None)
        if changed:
            log.info(
                "access.changed",
                guild_id=entry.guild_id,
                rule=entry.rule,
                target=entry.target,
                target_id=entry.target_id,
                by=entry.by,
                added=add,
            )
        return changed
