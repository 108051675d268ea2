"""The core knows no front: nothing under bot/core imports discord.py, a front or the wiring."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "bot" / "core"
# What the core may import from the project: itself and the logging pipeline.
ALLOWED_PROJECT = ("bot.core", "bot.logs")
FORBIDDEN_THIRD_PARTY = ("discord", "aiohttp")


def imported_modules(path: Path) -> set[str]:
    """Every module an ``import`` or ``from ... import`` names, at any depth of the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def breaks_the_rule(module: str) -> bool:
    top = module.split(".", maxsplit=1)[0]
    if top in {"bot", "cogs"}:
        return not module.startswith(ALLOWED_PROJECT) and module != "bot"
    return top in FORBIDDEN_THIRD_PARTY


def test_core_files_import_no_front_and_no_discord():
    files = sorted(CORE.rglob("*.py"))
    assert len(files) >= 10  # the walk really found the core
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if breaks_the_rule(m))
        for path in files
    }
    assert {f: m for f, m in offenders.items() if m} == {}


def test_the_rule_catches_a_front_import():
    assert breaks_the_rule("discord.ext.commands")
    assert breaks_the_rule("bot.discord_front.layout")
    assert breaks_the_rule("bot.app")
    assert breaks_the_rule("cogs.chat")
    assert not breaks_the_rule("bot.core.relay.pages")
    assert not breaks_the_rule("openai")


def test_importing_the_whole_core_loads_no_front_even_indirectly():
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in CORE.rglob("*.py")
    )
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('discord', 'cogs')"
        " or m.startswith(('bot.discord_front', 'bot.app')))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(  # noqa: S603 - this interpreter, on the code above
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


FRONTS = ("bot.discord_front", "bot.terminal", "bot.web")


def test_fronts_do_not_import_each_other():
    offenders = {}
    for front in FRONTS:
        folder = ROOT.joinpath(*front.split("."))
        files = sorted(folder.rglob("*.py"))
        assert files, front
        others = tuple(f for f in FRONTS if f != front)
        for path in files:
            bad = sorted(
                m
                for m in imported_modules(path)
                if m.startswith(others)
                or m.split(".")[0] == "cogs"
                or (front != "bot.discord_front" and m.split(".")[0] == "discord")
            )
            if bad:
                offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}
