"""The watcher's data key options (issue 12), shared by ``watch`` and ``alarms``.

The key seals the outbox (``--outbox``) or the alarm directory (``--alarms``) at rest, as the gate's
``[outbox] key_file`` / ``key_env`` do: ``--data-key-env VAR`` (64 hex digits in that variable) wins, then
``--data-key-file F``, else a key made on first use beside the data (a baseline only; docs/security.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from edge.sealed import Sealer


def add_key_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-key-file", type=Path, help="the 32-byte AES key sealing alarms at rest (must exist)"
    )
    parser.add_argument(
        "--data-key-env",
        help="an environment variable holding that key as 64 hex digits (wins over the file)",
    )


def sealer_for(args: argparse.Namespace, *, default: Path) -> Sealer:
    """The sealer the options name; ``SealError`` (an ``EdgeError``) when the key is missing or broken."""
    return Sealer.load(default=default, key_file=args.data_key_file, key_env=args.data_key_env)
