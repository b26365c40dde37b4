"""``python -m kiosk``: the self-service kiosk."""

from __future__ import annotations

import sys

from core.cli import dispatch

COMMANDS = {
    "run": ("kiosk.cli_run", "serve the kiosk app from a kiosk config"),
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("python -m kiosk", "the self-service kiosk.", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
