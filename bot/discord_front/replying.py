"""Starting replies from Discord: gate, conversation, settings, request, sink, records.

The cogs stay thin: they turn an event into a call here. Every reply gets an id
before its first write (its Stop button carries it), passes the gate (access
lists, then the cost guard), takes the settings of its place, is recorded with
the messages it is written in (in memory, and in the store until its final write
lands), and ends with its exact text on record, so that a reply to it continues
the conversation verbatim.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import discord

from bot.core import errors
from bot.core.conversation import Turn
from bot.core.replies import new_reply_id
from bot.core.reply import Origin, Sink
from bot.core.request import Options, RequestRejectedError
from bot.discord_front import stop
from bot.discord_front.addressing import Trigger
from bot.discord_front.context import STARTER_QUOTE, Context
from bot.discord_front.handover import ChatSink
from bot.discord_front.layout import MessageLayout
from bot.discord_front.parse import display_name
from bot.discord_front.places import place
from bot.discord_front.sinks import NO_MENTIONS, ChannelSink, Controls
from bot.discord_front.typing_indicator import Typing
from bot.logs import get_logger

if TYPE_CHECKING:
    from bot.core.relay import Layout
    from bot.core.request import Request
    from bot.discord_front.client import RelayBot

log = get_logger(__name__)

LAYOUT = MessageLayout()
#: Where the bot is only installed by a user, Discord allows this many followups.
USER_INSTALL_FOLLOWUPS = 5
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
        self,
        reply_id: str,
        request: Request,
        sink: Sink,
        origin: Origin,
        notes: tuple[str, ...] = (),
        layout: Layout = LAYOUT,
    ) -> None:
        reply = self._bot.replies.spawn(
            request, sink, layout, origin, notes=notes, reply_id=reply_id
        )
        try:
            await reply.task
        finally:
            outcome = reply.relay.outcome()
            self._bot.tracker.finished(
                reply_id, reply.relay.text(), final_written=outcome.final_written
            )

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
        """Answer a message that addresses the bot (if the gate lets it through)."""
        if not self._bot.replies.accepting:
            await message.reply(errors.BUSY, mention_author=False, allowed_mentions=NO_MENTIONS)
            return
        if not await self._bot.gate.message(message):
            return
        try:
            await self._answer(message, trigger)
        finally:
            self._bot.gate.release(message.author.id)

    async def _answer(self, message: discord.Message, trigger: Trigger) -> None:
        # Typing from before reading the context (which may take a moment) until the first
        # text lands, renewed through a long wait for the model.
        typing = self._bot.typing.wait(message.channel, message.channel.id)
        try:
            await self._answer_typing(message, trigger, typing)
        finally:
            typing.stop()

    async def _answer_typing(
        self, message: discord.Message, trigger: Trigger, typing: Typing
    ) -> None:
        channel = message.channel
        context = await self._context(message, trigger)
        newest = context.turns[-1]
        if not (newest.text or newest.images or newest.files or context.notes):
            return  # nothing to answer (a sticker, an empty message)
        guild_id = message.guild.id if message.guild else None
        app = self._bot.app
        effective = await app.server_settings.effective(place(channel, guild_id))
        request = app.requests.build(context.turns, effective=effective, left_out=context.left_out)
        origin = Origin(trigger, message.author.id, _where(guild_id, channel.id))
        reply_id = new_reply_id()
        tracker = self._bot.tracker
        tracker.started(reply_id, channel.id, question_id=message.id)

        def created(message_id: int) -> None:
            typing.stop()  # the text is showing now
            self._bot.typing.posted(channel.id)  # which cleared the indicator for the others
            tracker.message(reply_id, message_id)

        sink = ChannelSink(
            channel,
            channel_id=channel.id,
            source=message,
            monitor=self._bot.monitor,
            controls=self._controls(reply_id),
            on_message=created,
            before_first=typing.finish,
        )
        await self._run(reply_id, request, sink, origin, context.notes)

    # -- /chat ----------------------------------------------------------------------

    async def chat(
        self,
        interaction: discord.Interaction[Any],
        prompt: str,
        options: Options,
        *,
        private: bool,
        thread: bool,
    ) -> None:
        """Answer /chat, into the interaction's response or a new thread, if the gate agrees."""
        app = self._bot.app
        channel = interaction.channel
        effective = await app.server_settings.effective(place(channel, interaction.guild_id))
        try:
            request = app.requests.build(prompt, options, effective=effective)
        except RequestRejectedError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        if not await self._bot.gate.interaction(interaction):
            return
        try:
            await self._chat(interaction, request, private=private, thread=thread)
        finally:
            self._bot.gate.release(interaction.user.id)

    async def _chat(
        self,
        interaction: discord.Interaction[Any],
        request: Request,
        *,
        private: bool,
        thread: bool,
    ) -> None:
        await interaction.response.defer(ephemeral=private, thinking=True)
        name = display_name(interaction.user)
        prompt = Turn("user", request.prompt, name)
        where = _where(interaction.guild_id, interaction.channel_id)
        origin = Origin("slash", interaction.user.id, where)
        reply_id = new_reply_id()
        tracker = self._bot.tracker
        layout: Layout = LAYOUT
        sink: Sink
        if thread:
            opened = await self._open_thread(interaction, name, request.prompt)
            if opened is None:
                return
            tracker.started(reply_id, opened.id, question_id=None, prompt=prompt)
            sink = ChannelSink(
                opened,
                channel_id=opened.id,
                monitor=self._bot.monitor,
                controls=self._controls(reply_id),
                on_message=lambda mid: tracker.message(reply_id, mid),
            )
        else:
            tracker.started(
                reply_id,
                interaction.channel_id or 0,
                question_id=None,
                prompt=prompt,
                token=interaction.token,
            )
            sink = ChatSink(
                interaction,
                private=private,
                monitor=self._bot.monitor,
                controls=self._controls(reply_id),
                on_message=lambda mid: tracker.message(reply_id, mid),
            )
            if not interaction.is_guild_integration():
                # Installed only by the user here: the interaction is the only way to
                # write, and Discord caps its followups.
                layout = MessageLayout(max_messages=1 + USER_INSTALL_FOLLOWUPS)
        await self._run(reply_id, request, sink, origin, layout=layout)

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
