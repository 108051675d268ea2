"""The Discord client: intents, extensions, command sync and clean shutdown."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import aiohttp
import discord
from discord.ext import commands

from bot import health
from bot.app import App
from bot.config import Settings
from bot.core.replies import ReplyService
from bot.core.status import Gateway, Traffic
from bot.discord_front.attachments import AttachmentReader
from bot.discord_front.budget import RequestBudget
from bot.discord_front.context import ContextReader
from bot.discord_front.gate import Gate
from bot.discord_front.invite import invite_url
from bot.discord_front.memory import Memory
from bot.discord_front.monitor import RateLimitMonitor
from bot.discord_front.recovery import Recovery
from bot.discord_front.replying import DiscordReplies
from bot.discord_front.stop import StopButton
from bot.discord_front.tracking import Tracker
from bot.discord_front.typing_indicator import TypingIndicators
from bot.logs import get_logger

log = get_logger(__name__)

EXTENSIONS = ("cogs.chat", "cogs.conversations", "cogs.reset", "cogs.settings", "cogs.usage")


def intents() -> discord.Intents:
    """Only what the bot uses; message content is privileged (developer portal)."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    chosen.guild_messages = True
    chosen.dm_messages = True
    chosen.message_content = True
    return chosen


class RelayBot(commands.Bot):
    """A bot that answers mentions and ``/chat`` with streamed model replies."""

    name = "discord"
    app: App
    settings: Settings
    replies: ReplyService
    monitor: RateLimitMonitor

    def __init__(
        self,
        app: App,
        *,
        grace: float | None = None,
        **options: Any,  # noqa: ANN401 - forwarded as-is to discord.py's Client
    ) -> None:
        self.monitor = RateLimitMonitor(pacing=app.pacer)
        self.budget = RequestBudget(app.settings.global_requests)
        self.typing = TypingIndicators(self.budget)
        trace = aiohttp.TraceConfig()
        self.budget.attach(trace)  # first: a request waits its turn in the budget ...
        self.monitor.attach(trace)  # ... then its bucket counts it from when it leaves
        # A text-only bot: discord.py's warnings about missing voice libraries are noise.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            help_command=None,
            # Merged into every send and edit: model text can never ping anyone.
            allowed_mentions=discord.AllowedMentions.none(),
            http_trace=trace,
            **options,
        )
        self.app = app
        self.settings = app.settings
        self.replies = app.replies
        self.memory = Memory()
        self.tracker = Tracker(self.memory, app.store)
        self.gate = Gate(app)
        self.attachments = AttachmentReader(
            max_image_bytes=self.settings.max_image_bytes,
            max_text_bytes=self.settings.max_text_file_bytes,
        )
        self.context = ContextReader(
            self.memory,
            self.attachments,
            client=self,
            max_messages=self.settings.max_messages,
            live_text=self._live_text,
        )
        self.answers = DiscordReplies(self)
        self.grace = self.settings.shutdown_grace if grace is None else grace
        self.heartbeat_file = health.heartbeat_path(self.settings.data_dir)
        self._heartbeat: asyncio.Task[None] | None = None
        self._recovery: asyncio.Task[None] | None = None
        self.recovery = Recovery(self)

    async def setup_hook(self) -> None:
        """Say who we are and how to invite us; load the extensions and sync slash commands."""
        user = self.user
        app_id = self.application_id or (user.id if user else None)
        log.info(
            "discord.logged_in",
            user=str(user),
            user_id=user.id if user else None,
            invite_url=invite_url(app_id) if app_id else None,
        )
        await self.recovery.load()  # before any reply of this run can be recorded
        # Stop buttons are answered even on messages from before a restart.
        self.add_dynamic_items(StopButton)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands()
        self._heartbeat = asyncio.create_task(
            health.beat(self.heartbeat_file, self.gateway_connected, self._health_details),
            name="heartbeat",
        )

    def is_ours(self, message_id: int) -> bool:
        """Whether a message id is one of the bot's own (by its records or discord.py's cache)."""
        if self.memory.reply_of(message_id) is not None:
            return True
        cached = discord.utils.get(self.cached_messages, id=message_id)
        return cached is not None and self.user is not None and cached.author.id == self.user.id

    def _live_text(self, reply_id: str) -> str | None:
        reply = self.replies.get(reply_id)
        return None if reply is None else reply.relay.text()

    def gateway_connected(self) -> bool:
        """True while the gateway websocket is open and the bot is ready."""
        ws = self.ws
        return self.is_ready() and not self.is_closed() and ws is not None and ws.open

    def gateway(self) -> Gateway:
        """The gateway connection for health checks and metrics (:class:`FrontStatus`)."""
        latency = self.latency
        return Gateway(self.gateway_connected(), latency if math.isfinite(latency) else None)

    def traffic(self) -> Traffic:
        """Discord request counters (:class:`FrontStatus`)."""
        return self.monitor.traffic()

    def _health_details(self) -> dict[str, object]:
        return {"latency_s": round(self.latency, 3), "active_replies": self.replies.active}

    async def sync_commands(self) -> None:
        """Sync to the configured guild (instant) or globally (can take a while to show)."""
        guild_id = self.settings.guild_id
        try:
            if guild_id is not None:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
            else:
                synced = await self.tree.sync()
        except discord.HTTPException as exc:
            # Mentions still work; /chat stays as last synced. Not worth dying over.
            log.error(
                "commands.sync_failed", status=exc.status, code=exc.code, error=exc.text[:300]
            )
            return
        log.info(
            "commands.synced",
            scope="guild" if guild_id else "global",
            guild_id=guild_id,
            commands=[c.name for c in synced],
            note=None
            if guild_id
            else "global commands can take up to an hour to appear; set BOT_GUILD_ID "
            "to a server id for instant sync there",
        )

    async def on_ready(self) -> None:
        """Log who we are and where; once, clean up after a crash."""
        user = self.user
        log.info(
            "discord.ready",
            user=str(user),
            user_id=user.id if user else None,
            guilds=len(self.guilds),
        )
        if self._recovery is None:
            self._recovery = asyncio.create_task(self.recovery.run(), name="crash-recovery")

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: the chat cog's listener handles messages."""

    async def close(self) -> None:
        """Let replies finish (up to the grace period), then disconnect."""
        await self.replies.shutdown(self.grace)
        await self.tracker.flush()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if self._recovery is not None and not self._recovery.done():
            self._recovery.cancel()
        health.clear_heartbeat(self.heartbeat_file)
        await super().close()
