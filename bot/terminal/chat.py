"""``relaybot chat``: talk to the model from a terminal, on the same core as the bot.

Interactive on a terminal (a prompt with history; ``/help`` lists the commands),
or one-shot with a question as arguments or on stdin: then only the reply goes
to stdout and the latency line to stderr, so it pipes well. Ctrl-C stops a reply
(the model stream is closed, the text so far stays); Ctrl-C or Ctrl-D at the
prompt quits. Each reply leaves the bot's canonical ``reply.finished`` record
(trigger ``terminal``) in the session log, not in the chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import signal
import sys
from dataclasses import dataclass, replace

from bot import exits
from bot.app import App
from bot.core.conversation import Turn
from bot.core.relay.plain import PlainLayout
from bot.core.reply import Origin, Outcome
from bot.core.request import Options, RequestRejectedError
from bot.terminal.export import export
from bot.terminal.screen import DIM, RED, Screen, TerminalSink

HELP = """\
/clear          forget the conversation
/model NAME     answer with another model
/system TEXT    use this system prompt (/system alone: the default)
/export FILE    save the conversation (Markdown, or JSON for a .json file)
/help           this help
/quit           leave (Ctrl-D too); Ctrl-C stops a reply"""
LAYOUT = PlainLayout()
STOPPED = 130  # the exit code of a one-shot reply stopped with Ctrl-C


@dataclass
class Turned:
    """One finished exchange, for exports."""

    question: str
    answer: str
    model: str


class Chat:
    """A conversation in the terminal."""

    def __init__(self, app: App, options: Options, screen: Screen) -> None:
        self._app = app
        self.options = options
        self._screen = screen
        self._turns: list[Turn] = []
        self.exchanges: list[Turned] = []
        self._origin = Origin("terminal", getpass.getuser())

    def _note(self, text: str, style: str = DIM) -> None:
        self._screen.err.write(self._screen.paint(text, style) + "\n")
        self._screen.err.flush()

    async def ask(self, question: str, *, counter: bool) -> Outcome | None:
        """Stream one reply to ``question``; ``None`` when it was refused before asking."""
        turns = [*self._turns, Turn("user", question)]
        try:
            request = self._app.requests.build(turns, self.options)
        except RequestRejectedError as exc:
            self._note(f"error: {exc}", RED)
            return None
        sink = TerminalSink(self._screen, counter=counter)
        reply = self._app.replies.spawn(request, sink, LAYOUT, self._origin)
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, self._app.replies.stop, reply.id)
        try:
            outcome = await reply.task
        finally:
            loop.remove_signal_handler(signal.SIGINT)
        latency = self._screen.err if not counter else self._screen.out
        sink.finish(outcome, latency_to=latency)
        answer = reply.relay.text()
        self._turns += [turns[-1], Turn("assistant", answer)]
        self.exchanges.append(Turned(question, answer, outcome.model or request.model))
        return outcome

    def command(self, line: str) -> bool:
        """Run a ``/command``; False for ``/quit``."""
        name, _, argument = line.partition(" ")
        argument = argument.strip()
        if name == "/quit":
            return False
        if name == "/clear":
            self._turns.clear()
            self.exchanges.clear()
            self._note("(the conversation is forgotten)")
        elif name == "/model" and argument:
            try:
                self.options = replace(self.options, model=self._app.requests.check_model(argument))
                self._note(f"(model: {argument})")
            except RequestRejectedError as exc:
                self._note(f"error: {exc}", RED)
        elif name == "/system":
            self.options = replace(self.options, system=argument or None)
            self._note("(system prompt set)" if argument else "(the default system prompt)")
        elif name == "/export" and argument:
            try:
                self._note(f"(saved to {export(self.exchanges, argument)})")
            except OSError as exc:
                self._note(f"error: cannot write {argument}: {exc.strerror}", RED)
        else:
            self._note(HELP)
        return True

    async def interactive(self) -> int:
        """The prompt loop; returns the exit code."""
        from prompt_toolkit import PromptSession  # noqa: PLC0415 - only the interactive mode
        from prompt_toolkit.formatted_text import FormattedText  # noqa: PLC0415

        session: PromptSession[str] = PromptSession()
        prompt = FormattedText([("bold", "you> ")] if self._screen.color else [("", "you> ")])
        model = self.options.model or self._app.models.default
        self._note(f"relaybot chat · {model} · /help for commands, Ctrl-D to leave")
        while True:
            try:
                line = (await session.prompt_async(prompt)).strip()
            except (EOFError, KeyboardInterrupt):
                return exits.OK
            if not line:
                continue
            if line.startswith("/"):
                if not self.command(line):
                    return exits.OK
                continue
            await self.ask(line, counter=True)

    async def one_shot(self, question: str) -> int:
        """Answer one question; the exit code says how the reply ended."""
        outcome = await self.ask(question, counter=False)
        if outcome is None:
            return exits.CONFIG
        if outcome.ending == "stopped":
            return STOPPED
        return exits.FAILURE if outcome.ending in {"failed", "error", "interrupted"} else exits.OK


def read_stdin() -> str:
    """The question piped in."""
    with contextlib.suppress(KeyboardInterrupt):
        return sys.stdin.read().strip()
    return ""


async def run_chat(app: App, options: Options, screen: Screen, question: str | None) -> int:
    """Run the chat (interactive when ``question`` is ``None``); returns the exit code."""
    chat = Chat(app, options, screen)
    if question is None:
        return await chat.interactive()
    return await chat.one_shot(question)
