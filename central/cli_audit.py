"""``python -m central audit verify``: check the audit trail's hash chain; name the first broken row."""

from __future__ import annotations

import argparse
import sys

from central import audit_chain
from central.cli_common import add_db_option
from central.errors import CentralError
from central.store import Store


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m central audit", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    verify = sub.add_parser("verify", help="check every audit row against the chain")
    add_db_option(verify)
    args = parser.parse_args(argv)
    try:
        store = Store(args.db)
    except CentralError as exc:
        print(f"python -m central audit verify: {exc}", file=sys.stderr)
        return 1
    try:
        verdict = audit_chain.verify(store.engine)
    finally:
        store.close()
    if verdict.ok:
        print(f"audit trail intact: {verdict.checked} rows; head hash {verdict.head} (keep a copy elsewhere)")
        return 0
    print(
        f"audit trail BROKEN at audit_id {verdict.broken_id}: {verdict.reason} "
        f"({verdict.checked} rows before it are intact)",
        file=sys.stderr,
    )
    return 1
