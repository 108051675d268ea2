"""Starting replies from Discord: read the conversation, build the request, pick the sink.

The cogs stay thin: they turn an event into a call here. Every reply gets an id
before its first write (its Stop button carries it), is remembered with the
messages it is written in, and ends with its exact text on record, so that a
reply to it continues the conversation verbatim.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import discord

from bot.core import errors
from bot.core.conversation import Turn
from bot.core.replies import Reply, new_reply_id
from bot.core.reply import Origin, Sink
from bot.core.request import Request
from bot.discord_front import stop
from bot.discord_front.addressing import Trigger
from bot.discord_front.context import STARTER_QUOTE, Context
from bot.discord_front.layout import MessageLayout
from bot.discord_front.parse import display_name
from bot.discord_front.sinks import NO_MENTIONS, ChannelSink, Controls, InteractionSink
from bot.logs import get_logger

if TYPE_CHECKING:
    from bot.discord_front.client import RelayBot

log = get_logger(__name__)

LAYOUT = MessageLayout()
#: The starter message of a thread shows at most this much of the prompt.
STARTER_PROMPT = 1800
THREAD_DEFAULT_NAME = "Conversation"


def thread_name(prompt: str) -> str:
    """A thread name from the prompt's first line (Discord allows 1-100 characters)."""
    first = next((line.strip() for line in prompt.splitlines() if line.strip()), "")
    if len(first) > 100:
        first = first[:99].rstrip() + "…"
    return first or THREAD_DEFAULT_NAME


def starter_content(name: str, prompt: str) -> str:
    """The message a /chat thread starts from: who asked what."""
    shown = prompt if len(prompt) <= STARTER_PROMPT else prompt[: STARTER_PROMPT - 1] + "…"
    return f"💬 **{name}** asked:{STARTER_QUOTE}{shown}"


def _where(guild_id: int | None, channel_id: int | None) -> dict[str, int | str | None]:
    return {"guild_id": guild_id, "channel_id": channel_id}


class DiscordReplies:
    """The Discord front's way into the reply service."""

    def __init__(self, bot: RelayBot) -> None:
        self._bot = bot

    def _controls(self, reply_id: str) -> Controls:
        return lambda: stop.controls(reply_id)

    async def _run(
        self, reply_id: str, request: Request, sink: Sink, origin: Origin, notes: tuple[str, ...]
    ) -> None:
        replies = self._bot.replies
        reply: Reply = replies.spawn(request, sink, LAYOUT, origin, notes=notes, reply_id=reply_id)
        try:
            await reply.task
        finally:
            self._bot.memory.reply_finished(reply_id, reply.relay.text())

    # -- messages: mentions, replies, threads, DMs ----------------------------------

    async def _context(self, message: discord.Message, trigger: Trigger) -> Context:
        started = time.perf_counter()
        reader = self._bot.context
        context = await (
            reader.history(message) if trigger in {"thread", "dm"} else reader.chain(message)
        )
        log.debug(
            "context.read",
            trigger=trigger,
            turns=len(context.turns),
            rest_calls=context.fetches,
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return context

    async def answer(self, message: discord.Message, trigger: Trigger) -> None:
        """Answer a message that addresses the bot."""
        if not self._bot.replies.accepting:
            await message.reply(errors.BUSY, mention_author=False, allowed_mentions=NO_MENTIONS)
            return
        channel = message.channel
        try:
            await channel.typing()  # before reading the context, which may take a moment
        except discord.HTTPException:
            log.debug("typing.failed")
        context = await self._context(message, trigger)
        newest = context.turns[-1]
        if not (newest.text or newest.images or newest.files or context.notes):
            return  # nothing to answer (a sticker, an empty message)
        request = self._bot.app.requests.build(context.turns, left_out=context.left_out)
        origin = Origin(
            trigger,
            message.author.id,
            _where(message.guild.id if message.guild else None, channel.id),
        )
        reply_id = new_reply_id()
        memory = self._bot.memory
        memory.reply_started(reply_id, channel.id, question_id=message.id)
        sink = ChannelSink(
            channel,
            channel_id=channel.id,
            source=message,
            monitor=self._bot.monitor,
            controls=self._controls(reply_id),
            on_message=lambda mid: memory.reply_message(reply_id, mid),
        )
        await self._run(reply_id, request, sink, origin, context.notes)

    # -- /chat ----------------------------------------------------------------------

    async def chat(
        self,
        interaction: discord.Interaction[Any],
        request: Request,
        *,
        private: bool,
        thread: bool,
    ) -> None:
        """Answer /chat: into the interaction's response, or into a new thread."""
        await interaction.response.defer(ephemeral=private, thinking=True)
        name = display_name(interaction.user)
        prompt = Turn("user", request.prompt, name)
        origin = Origin(
            "slash", interaction.user.id, _where(interaction.guild_id, interaction.channel_id)
        )
        reply_id = new_reply_id()
        memory = self._bot.memory
        sink: Sink
        if thread:
            opened = await self._open_thread(interaction, name, request.prompt)
            if opened is None:
                return
            memory.reply_started(reply_id, opened.id, question_id=None, prompt=prompt)
            sink = ChannelSink(
                opened,
                channel_id=opened.id,
                monitor=self._bot.monitor,
                controls=self._controls(reply_id),
                on_message=lambda mid: memory.reply_message(reply_id, mid),
            )
        else:
            memory.reply_started(
                reply_id, interaction.channel_id or 0, question_id=None, prompt=prompt
            )
            sink = InteractionSink(
                interaction,
                ephemeral=private,
                monitor=self._bot.monitor,
                controls=self._controls(reply_id),
                on_message=lambda mid: memory.reply_message(reply_id, mid),
            )
        await self._run(reply_id, request, sink, origin, ())

    async def _open_thread(
        self, interaction: discord.Interaction[Any], name: str, prompt: str
    ) -> discord.Thread | None:
        starter = await interaction.edit_original_response(content=starter_content(name, prompt))
        try:
            return await starter.create_thread(name=thread_name(prompt))
        except discord.HTTPException as exc:
            log.warning("thread.create_failed", status=exc.status, code=exc.code)
            await interaction.edit_original_response(
                content=f"{starter.content}\n❌ {errors.THREAD_FAILED}"
            )
            return None
