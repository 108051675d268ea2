"""``python -m bot``: the command line (see :mod:`bot.cli`)."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
