"""Exit codes, and the exception that carries a fatal error to the command line.

An operator (or a supervisor such as Docker) reads the code; the message says
what to do. Codes 2 and 3 mean "the configuration is wrong": restarting will not
help until someone fixes it.
"""

from __future__ import annotations

from typing import Final

OK: Final = 0
#: An unexpected error (a bug): logged with its traceback.
FAILURE: Final = 1
#: Settings are missing or invalid: fix the environment or ``.env``.
CONFIG: Final = 2
#: Discord refused the bot: token rejected, login forbidden, or an intent not enabled.
REFUSED: Final = 3
#: Discord could not be reached or kept failing after retries: try again later.
UNAVAILABLE: Final = 4

#: The codes a restart cannot fix.
CONFIGURATION_CODES: Final = frozenset({CONFIG, REFUSED})


class FatalError(Exception):
    """Stops the process with ``code`` after reporting ``lines`` (one problem each)."""

    def __init__(self, code: int, *lines: str) -> None:
        super().__init__("; ".join(lines))
        self.code = code
        self.lines = lines
