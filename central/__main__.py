"""``python -m central``: the central service."""

from __future__ import annotations

import sys

from core.cli import dispatch

COMMANDS = {
    "serve": ("central.cli_serve", "run ingest, API and dashboard"),
    "device": ("central.cli_device", "manage devices and their broker credentials"),
    "user": ("central.cli_user", "manage dashboard and API users"),
    "pki": ("central.cli_pki", "make the site CA and the broker's, central's and devices' certificates"),
    "audit": ("central.cli_audit", "verify the tamper-evident audit trail"),
    "retention": ("central.cli_retention", "blank or delete personal data past its retention"),
    "watchlist": ("central.watchlist.cli", "import, export or announce the cekal lists"),
}


def main(argv: list[str] | None = None) -> int:
    return dispatch("python -m central", "the central service.", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
