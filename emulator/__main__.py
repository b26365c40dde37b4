"""``python -m emulator``: the site emulator and test bench."""

from __future__ import annotations

import sys

from core.cli import dispatch

COMMANDS = {
    "site": ("emulator.cli_site", "run a whole emulated site with a live dashboard"),
    "run": ("emulator.cli_run", "run a scenario headless and print a JSON summary"),
    "gate": ("emulator.cli_gate", "one emulated gate process playing its share of a scenario"),
    "kiosk": ("emulator.runkiosk", "one emulated kiosk process (the real kiosk runtime) serving applicants"),
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("python -m emulator", "the site emulator and test bench.", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
