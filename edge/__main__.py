"""``python -m edge``: the autogate controller."""

from __future__ import annotations

import sys

from core.cli import dispatch

COMMANDS = {
    "run": ("edge.cli_run", "run the gate controller from a board config"),
    "status": ("edge.cli_status", "print the state of a running gate"),
    "check-config": ("edge.cli_config", "validate a gate config and explain every error"),
    "cctv": (
        "edge.cctv.__main__",
        "CCTV face watcher: watch a camera, enrol references, check the gallery copy",
    ),
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("python -m edge", "the autogate controller.", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
