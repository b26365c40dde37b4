"""``python -m hal``: hardware abstraction layer tools."""

from __future__ import annotations

import sys

from core.cli import dispatch

COMMANDS = {
    "selftest": ("hal.selftest", "exercise every device of a board config and print a PASS/FAIL table"),
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("python -m hal", "hardware abstraction layer tools.", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
