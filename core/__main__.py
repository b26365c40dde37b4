"""``python -m core``: the pure domain's command-line tools."""

from __future__ import annotations

import sys

from core.cli import dispatch

COMMANDS = {
    "mrz": ("core.documents.cli", "parse one document's MRZ from standard input and print JSON"),
    "watchlist": ("core.watchlist.cli", "cekal watch-list tools: match queries against a list"),
    "wire": ("core.wire.cli", "the MQTT wire contract: message types, topics, decode a payload"),
}


def main(argv: list[str] | None = None) -> int:
    return dispatch(
        "python -m core",
        "Pure domain tools: travel documents (ICAO 9303 MRZ), cekal watch lists, the wire contract.",
        COMMANDS,
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
