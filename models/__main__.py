"""``python -m models``: the on-device face pipeline."""

from __future__ import annotations

import sys

from core.cli import dispatch

COMMANDS = {
    "prepare": ("models.prepare", "repair, verify and record the ONNX models from the installed package"),
    "verify": ("models.cli_verify", "compare a probe face photo with a reference photo"),
    "evaluate": (
        "models.evaluate",
        "score distributions, FNMR at fixed FMRs, DET plot, for a folder per person",
    ),
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("python -m models", "the on-device face pipeline.", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
