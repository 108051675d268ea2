"""The command line: ``python -m bot`` or ``relaybot``, with subcommands.

``run`` (the default) runs the Discord bot; ``healthcheck`` is the container's
health check. Every failure an operator can fix is one line naming the cause,
with a distinct exit code (:mod:`bot.exits`): a JSON record when the logs are
JSON, a plain ``error: ...`` line on stderr on a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from importlib import metadata
from pathlib import Path

from dotenv import find_dotenv, load_dotenv

from bot import exits, health
from bot.config import ConfigError, EnvReader, data_dir, http_addr, load_settings, log_format
from bot.exits import FatalError
from bot.logs import SecretScrubber, configure_logging, get_logger, wants_json

log = get_logger("bot")

#: Set by the Docker image: on a configuration error, wait for a stop instead of
#: exiting, so ``restart: unless-stopped`` does not restart a bot that cannot work.
HOLD_VARIABLE = "BOT_HOLD_ON_CONFIG_ERROR"


def version() -> str:
    """The installed package's version."""
    try:
        return metadata.version("relaybot")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def parser() -> argparse.ArgumentParser:
    """The argument parser, with one line of help per subcommand."""
    top = argparse.ArgumentParser(
        prog="relaybot",
        description=(
            "A Discord bot that streams OpenAI Responses API replies into Discord. "
            "Settings come from the environment and .env (see README.md)."
        ),
        epilog=(
            "exit codes: 0 stopped cleanly, 1 unexpected error, 2 invalid settings, "
            "3 Discord refused the bot, 4 Discord unreachable or failing"
        ),
    )
    top.add_argument("--version", action="version", version=f"relaybot {version()}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    commands.add_parser("run", help="run the Discord bot (the default)")
    commands.add_parser(
        "healthcheck", help="exit 0 while a running bot's heartbeat is fresh, 1 otherwise"
    )
    chat = commands.add_parser(
        "chat",
        help="chat with the model in this terminal (no Discord needed)",
        description="Interactive on a terminal; with a question (or text on stdin) it prints "
        "just the reply on stdout and the latency line on stderr.",
    )
    chat.add_argument("prompt", nargs="*", help="ask this once and exit (or pipe it on stdin)")
    chat.add_argument("--model", help="the model to answer with (default: BOT_MODEL)")
    chat.add_argument("--system", help="the system prompt (default: BOT_SYSTEM_PROMPT)")
    chat.add_argument("--temperature", type=_ranged(0.0, 2.0), help="0 to 2")
    chat.add_argument("--top-p", type=_ranged(0.0, 1.0), help="0 to 1")
    chat.add_argument("--max-output-tokens", type=_ranged(16, 128_000, whole=True))
    chat.add_argument("--no-color", action="store_true", help="no colour (NO_COLOR works too)")
    backup = commands.add_parser(
        "backup", help="write a consistent copy of the database (also while the bot runs)"
    )
    backup.add_argument("file", help="where to write the copy, e.g. backup-2026-11-22.db")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the command; returns the process exit code."""
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    load_dotenv(find_dotenv(usecwd=True))
    if args.command == "healthcheck":
        return healthcheck()
    if args.command == "backup":
        return backup(args.file)
    if args.command == "chat":
        return chat(args)
    return run()


def _ranged(low: float, high: float, *, whole: bool = False) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = int(raw) if whole else float(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {raw!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}")
        return value

    return parse


def chat(args: argparse.Namespace) -> int:
    """``relaybot chat``: the terminal chat, its session log in the data directory."""
    from bot.app import App  # noqa: PLC0415 - the bot's parts load only for commands that run it
    from bot.core.request import Options  # noqa: PLC0415
    from bot.terminal.chat import read_stdin, run_chat  # noqa: PLC0415
    from bot.terminal.screen import Screen  # noqa: PLC0415

    scrubber = _raw_secrets()
    try:
        settings = load_settings(discord=False)
    except ConfigError as exc:
        problems = FatalError(exits.CONFIG, *(str(p) for p in exc.problems))
        return fatal(problems, scrubber.scrub, plain=True)
    scrubber = SecretScrubber(settings.secrets())
    question = " ".join(args.prompt) or (None if sys.stdin.isatty() else read_stdin())
    if question == "":
        return fatal(FatalError(exits.CONFIG, "nothing to ask: stdin was empty"), str, plain=True)
    options = Options(
        model=args.model,
        system=args.system,
        temperature=args.temperature,
        top_p=args.top_p,
        max_output_tokens=args.max_output_tokens,
    )
    screen = Screen.of(sys.stdout, sys.stderr, no_color=args.no_color)

    async def session() -> int:
        async with await App.open(settings, scrubber=scrubber) as app:
            return await run_chat(app, options, screen, question)

    try:
        with session_log(settings.data_dir, scrubber):
            return asyncio.run(session())
    except FatalError as exc:
        return fatal(exc, scrubber.scrub, plain=True)


def backup(target: str) -> int:
    """Copy the database to ``target``; one line on success or failure."""
    from bot.store.backup import backup as copy  # noqa: PLC0415 - only this command needs it

    try:
        print(copy(data_dir(), target))  # noqa: T201 - the command's one line of output
    except FatalError as exc:
        return fatal(exc, str)
    return exits.OK


def healthcheck() -> int:
    """Exit 0 while the bot is healthy.

    ``/healthz`` when the HTTP server is on, else the heartbeat file (fresh while the
    gateway is connected and the loop answers).
    """
    address = http_addr()
    if address is not None:
        healthy, line = health.check_http(*address)
    else:
        healthy, line = health.check(health.heartbeat_path(data_dir()))
    print(line)  # noqa: T201 - the check's output, shown by `docker inspect`
    return exits.OK if healthy else exits.FAILURE


def _raw_secrets() -> SecretScrubber:
    """Scrub the token and key even when the settings as a whole are invalid."""
    read = EnvReader(os.environ)
    return SecretScrubber(
        value for name in ("DISCORD_TOKEN", "OPENAI_API_KEY") if (value := read.text(name))
    )


def run() -> int:
    """Load the settings and run the bot until it is stopped."""
    scrubber = _raw_secrets()
    configure_logging(log_format=log_format(), scrubber=scrubber)
    try:
        settings = load_settings()
    except ConfigError as exc:
        return fatal(FatalError(exits.CONFIG, *(str(p) for p in exc.problems)), scrubber.scrub)
    scrubber = SecretScrubber(settings.secrets())
    configure_logging(log_format=settings.log_format, level=settings.log_level, scrubber=scrubber)
    from bot.serve import serve  # noqa: PLC0415 - discord.py loads only for the bot itself

    try:
        asyncio.run(serve(settings, scrubber))
    except FatalError as exc:
        return fatal(exc, scrubber.scrub)
    except KeyboardInterrupt:
        return exits.OK
    return exits.OK


def fatal(error: FatalError, scrub: Callable[[str], str], *, plain: bool = False) -> int:
    """Report ``error`` one line per problem, hold if asked to, and return its exit code.

    ``plain``: always the ``error: ...`` lines on stderr (a command meant for people).
    """
    if not plain and wants_json(log_format()):
        for line in error.lines:
            log.critical("bot.fatal", error=line, exit_code=error.code)
    else:
        for line in error.lines:
            print(f"error: {scrub(line)}", file=sys.stderr)  # noqa: T201 - the operator's line
    if error.code in exits.CONFIGURATION_CODES and EnvReader(os.environ).flag(HOLD_VARIABLE):
        _hold(error.code)
    return error.code


@contextlib.contextmanager
def session_log(data_dir: str, scrubber: SecretScrubber) -> Iterator[None]:
    """Log JSON lines to ``data_dir/chat-log.jsonl`` instead of the screen."""
    path = Path(data_dir) / "chat-log.jsonl"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        stream = path.open("a", encoding="utf-8")
    except OSError as exc:
        raise FatalError(
            exits.CONFIG, f"BOT_DATA_DIR: cannot write the session log {path} ({exc.strerror})"
        ) from exc
    with stream:
        configure_logging(log_format="json", scrubber=scrubber, stream=stream)
        yield


def _hold(code: int) -> None:
    """Block until SIGTERM or SIGINT, so a supervisor does not restart a misconfigured bot."""
    log.warning(
        "bot.holding",
        exit_code=code,
        hint="fix the settings, then recreate the container (docker compose up -d)",
    )
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    signal.sigwait(stop)
