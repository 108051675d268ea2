"""What admins see: settings with their sources, changes, access lists, usage.

The /settings and /usage commands (``cogs/settings.py``, ``cogs/usage.py``) stay
thin; the wording and layout of their answers live here.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.core.guard import Limits
from bot.core.server_settings import KEYS, Effective
from bot.core.storage import AccessEntry, SettingChange, UsageTotal

_SOURCES = {"environment": "default", "server": "set for this server", "channel": "set here"}
_MAX_SHOWN = 120


def is_admin(interaction: discord.Interaction[Any], admin_ids: tuple[str, ...]) -> bool:
    """Members with Manage Server, and the operator's ids, may change settings."""
    if str(interaction.user.id) in admin_ids:
        return True
    permissions = interaction.permissions
    return permissions.manage_guild or permissions.administrator


def shown(value: object) -> str:
    """A setting's value as shown to admins (clipped, in code style)."""
    if value is None:
        return "not set (the model's own default)"
    text = str(value).replace("`", "'")
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 1] + "…"
    return f"`{text}`"


def settings_text(effective: Effective, where: str) -> str:
    """The settings that apply here, each with where its value comes from."""
    lines = [f"**Settings for {where}**"]
    for key in KEYS:
        source = _SOURCES.get(effective.sources.get(key, "environment"), "default")
        lines.append(f"- {key}: {shown(effective.get(key))} · {source}")
    lines.append("-# Threads use their channel's settings; /chat options override them.")
    return "\n".join(lines)


def history_text(changes: list[SettingChange]) -> str:
    """Recent changes: who, when, old → new."""
    if not changes:
        return "No settings have been changed here yet."
    lines = ["**Recent changes**"]
    for change in changes:
        where = "server" if change.scope == "guild" else f"<#{change.scope_id}>"
        old = shown(change.old) if change.old is not None else "default"
        new = shown(change.new) if change.new is not None else "default"
        lines.append(f"- {change.at[:16].replace('T', ' ')} UTC · <@{change.by}> · {where} · "
                     f"{change.key}: {old} → {new}")  # fmt: skip
    return "\n".join(lines)


def mention(entry: AccessEntry) -> str:
    """An access entry's target as a Discord mention."""
    if entry.target == "user":
        return f"<@{entry.target_id}>"
    if entry.target == "role":
        return f"<@&{entry.target_id}>"
    return f"<#{entry.target_id}>"


def access_text(entries: list[AccessEntry], *, env_lists: bool) -> str:
    """A server's allow and block lists."""
    lines = ["**Access**"]
    for rule in ("allow", "block"):
        mine = [e for e in entries if e.rule == rule]
        names = ", ".join(f"{mention(e)} ({e.target})" for e in mine) or "nobody"
        lines.append(f"- {rule}: {names}")
    lines.append(
        "-# Blocks win over allows. An empty allow list means everyone. "
        + ("The operator's lists from the environment apply too." if env_lists else "")
    )
    return "\n".join(lines)


def _tokens(total: UsageTotal) -> str:
    return (
        f"{total.tokens:,} tokens ({total.input_tokens:,} in, {total.output_tokens:,} out) "
        f"in {total.replies} replies"
    )


def usage_text(
    mine: UsageTotal,
    limits: Limits,
    *,
    server: UsageTotal | None = None,
    top: list[tuple[str, UsageTotal]] | None = None,
) -> str:
    """A user's usage today and their limits; for admins, the server's too."""
    window = f"{limits.window / 60:g} min" if limits.window >= 60 else f"{limits.window:g} s"
    lines = [
        "**Your usage today (UTC)**",
        f"- {_tokens(mine)}",
        "**Your limits**",
        f"- {limits.in_flight} reply at a time, {limits.requests} requests per {window}",
        f"- daily budget: {limits.user_daily_tokens:,} tokens"
        if limits.user_daily_tokens
        else "- daily budget: none",
        f"- at most {limits.max_output_tokens:,} output tokens per reply",
    ]
    if server is not None:
        budget = f" of {limits.server_daily_tokens:,}" if limits.server_daily_tokens else ""
        lines += ["**This server today**", f"- {_tokens(server)}{budget}"]
    if top:
        lines.append("**Top users today**")
        lines += [f"{i}. <@{user}>: {_tokens(total)}" for i, (user, total) in enumerate(top, 1)]
    return "\n".join(lines)
