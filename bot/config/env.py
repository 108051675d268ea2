"""Reading settings from the environment: every problem is collected, none stops the reading.

Each reader method returns a usable value (the default when the variable is bad)
and records what was wrong, so the entry point can report every problem at once,
one line each, naming the variable and echoing the bad value (never a secret).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Problem:
    """One setting that is missing or invalid."""

    variable: str
    problem: str

    def __str__(self) -> str:
        return f"{self.variable}: {self.problem}"


class ConfigError(Exception):
    """Settings are missing or invalid; ``problems`` lists each one."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems

    @property
    def variables(self) -> list[str]:
        """The variables that were wrong, in the order they were read."""
        return [p.variable for p in self.problems]


class EnvReader:
    """Typed, validated reads of environment variables that collect problems."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[Problem] = []

    def fail(self, name: str, problem: str) -> None:
        """Record that ``name`` is wrong."""
        self.problems.append(Problem(name, problem))

    def check(self) -> None:
        """Raise :class:`ConfigError` if anything was wrong."""
        if self.problems:
            raise ConfigError(self.problems)

    def text(self, name: str) -> str | None:
        """The stripped value, or ``None`` when unset or blank."""
        value = self.env.get(name)
        if value is None:
            return None
        return value.strip() or None

    def secret(self, name: str, hint: str, *, required: bool = True) -> str | None:
        """A token or key: required unless told otherwise, never echoed back."""
        value = self.text(name)
        if value is None:
            if required:
                self.fail(name, f"is not set; {hint}")
            return None
        if re.search(r"\s", value):
            self.fail(name, "contains whitespace; paste the value without spaces or quotes")
            return None
        return value

    def number(self, name: str, default: float, low: float, high: float) -> float:
        """A decimal number in ``[low, high]``."""
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            self.fail(name, f"must be a number, got {raw!r}")
            return default
        if not low <= value <= high:
            self.fail(name, f"must be between {low:g} and {high:g}, got {raw}")
            return default
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        """A whole number in ``[low, high]``."""
        raw = self.text(name)
        if raw is None:
            return default
        if not re.fullmatch(r"[0-9]+", raw):
            self.fail(name, f"must be a whole number, got {raw!r}")
            return default
        value = int(raw)
        if not low <= value <= high:
            self.fail(name, f"must be between {low} and {high}, got {raw}")
            return default
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        """``true``/``false`` (also 1/0, yes/no, on/off)."""
        raw = (self.text(name) or "").lower()
        if not raw:
            return default
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        self.fail(name, f"must be true or false, got {raw!r}")
        return default

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        """One of ``choices`` (case-insensitive, returned as spelled in ``choices``)."""
        raw = self.text(name)
        if raw is None:
            return default
        for choice in choices:
            if raw.lower() == choice.lower():
                return choice
        self.fail(name, f"must be one of {', '.join(choices)}, got {raw!r}")
        return default

    def url(self, name: str, example: str) -> str | None:
        """An http(s) URL without a trailing slash."""
        raw = self.text(name)
        if raw is None:
            return None
        parsed = urlparse(raw)
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            self.fail(name, f"must be an http(s) URL such as {example}, got {raw!r}")
            return None
        return raw.rstrip("/")

    def snowflake(self, name: str) -> int | None:
        """A Discord id (a number of up to 20 digits)."""
        raw = self.text(name)
        if raw is None:
            return None
        if not re.fullmatch(r"[0-9]{1,20}", raw):
            self.fail(name, f"must be a numeric Discord id, got {raw!r}")
            return None
        return int(raw)

    def ids(self, name: str) -> tuple[str, ...]:
        """A comma-separated list of Discord ids; a bad entry is named by position."""
        found = []
        for position, entry in enumerate(self.names(name, max_length=20), start=1):
            if entry.isdigit():
                found.append(entry)
            else:
                self.fail(name, f"entry {position} ({entry!r}) is not a numeric Discord id")
        return tuple(found)

    def names(self, name: str, *, max_length: int = 100, max_count: int | None = None) -> list[str]:
        """A comma-separated list of names; an empty or overlong entry is named by position."""
        raw = self.text(name)
        if raw is None:
            return []
        entries = [entry.strip() for entry in raw.split(",")]
        bad = False
        for position, entry in enumerate(entries, start=1):
            if not entry:
                self.fail(name, f"entry {position} of {len(entries)} is empty in {raw!r}")
                bad = True
            elif len(entry) > max_length:
                self.fail(
                    name,
                    f"entry {position} ({entry[:20]!r}…) is longer than {max_length} characters",
                )
                bad = True
        if max_count is not None and len(entries) > max_count:
            self.fail(name, f"lists {len(entries)} entries; at most {max_count} are allowed")
            bad = True
        return [] if bad else entries
