"""The gate before a reply: may this person ask here, and within their limits.

Access lists decide first (:mod:`bot.core.access`): where the bot may not speak it
stays silent; a person who may not use it is told once in a while. Then the cost
guard (:mod:`bot.core.guard`) takes a slot or says which limit refuses and when
it resets. A refused request never reaches the model.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import discord

from bot.core.access import Asker
from bot.discord_front.places import interaction_asker, message_asker
from bot.discord_front.sinks import NO_MENTIONS
from bot.logs import get_logger

if TYPE_CHECKING:
    from bot.app import App

log = get_logger(__name__)

#: Seconds between two refusal notes to the same person in the same channel.
TELL_EVERY = 300.0
_REMEMBERED = 5000


class Gate:
    """Admits requests, or refuses them politely (or silently where it must)."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._told: OrderedDict[tuple[str, str, str], float] = OrderedDict()

    def _may_tell(self, asker: Asker, limit: str) -> bool:
        key = (asker.user_id, asker.channel_ids[0] if asker.channel_ids else "", limit)
        now = time.monotonic()
        last = self._told.get(key)
        if last is not None and now - last < TELL_EVERY:
            return False
        self._told[key] = now
        self._told.move_to_end(key)
        while len(self._told) > _REMEMBERED:
            self._told.popitem(last=False)
        return True

    async def _refusal(self, asker: Asker) -> tuple[str, str | None] | None:
        """``None`` when admitted; else (the limit, the text, or ``None`` for silence)."""
        decision = await self._app.access.check(asker)
        if not decision.allowed:
            return decision.reason, None if decision.silent else decision.text
        refusal = await self._app.guard.admit(asker.user_id, asker.guild_id)
        if refusal is not None:
            return refusal.limit, refusal.text
        return None

    async def message(self, message: discord.Message) -> bool:
        """Admit a message's request; on a refusal reply at most once in a while."""
        asker = message_asker(message)
        refused = await self._refusal(asker)
        if refused is None:
            return True
        limit, text = refused
        if text is not None and self._may_tell(asker, limit):
            try:
                await message.reply(text, mention_author=False, allowed_mentions=NO_MENTIONS)
            except discord.HTTPException as exc:
                log.warning("gate.reply_failed", status=exc.status)
        return False

    async def interaction(self, interaction: discord.Interaction[Any]) -> bool:
        """Admit a command's request; on a refusal answer privately."""
        refused = await self._refusal(interaction_asker(interaction))
        if refused is None:
            return True
        limit, text = refused
        if text is None:  # a place where the bot is blocked: say so to the asker only
            text = "I'm not available in this channel."
        await interaction.response.send_message(text, ephemeral=True)
        log.info("gate.refused_command", limit=limit, user_id=interaction.user.id)
        return False

    def release(self, user_id: int) -> None:
        """An admitted reply ended (or never started)."""
        self._app.guard.release(str(user_id))
