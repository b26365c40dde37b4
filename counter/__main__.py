"""``python -m counter``: the officer's counter station."""

from __future__ import annotations

import sys

from core.cli import dispatch

COMMANDS = {
    "run": ("counter.cli_run", "serve the counter station from a station config"),
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("python -m counter", "the officer's counter station.", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
