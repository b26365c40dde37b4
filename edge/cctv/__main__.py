"""``python -m edge.cctv``: the CCTV face-recognition watcher (SOP-003-D05)."""

from __future__ import annotations

import sys

from core.cli import dispatch

COMMANDS = {
    "watch": ("edge.cctv.cli_watch", "watch one camera and raise alarms on alert-gallery faces"),
    "enrol": ("edge.cctv.cli_enrol", "print the face template of reference photos, for central's gallery"),
    "check-gallery": ("edge.cctv.cli_gallery", "verify the gallery copy on disk and list its entries"),
    "alarms": ("edge.cctv.cli_alarms", "list (or export) the sealed alarms of a stand-alone watcher"),
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("python -m edge.cctv", "the CCTV face-recognition watcher.", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
