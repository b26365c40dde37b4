"""``python -m central retention run [--dry-run]``: blank or delete personal data past its retention.

The periods default to placeholders (see ``central.retention``); the office sets them by its rules.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from central import retention
from central.cli_common import add_db_option
from central.errors import CentralError
from central.store import Store
from core.clock import SystemClock


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m central retention", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="apply the retention policy once")
    add_db_option(run)
    defaults = retention.Policy()
    run.add_argument("--dry-run", action="store_true", help="count what would be cleared; change nothing")
    run.add_argument("--face-days", type=float, default=defaults.face_days)
    run.add_argument("--crossing-days", type=float, default=defaults.crossing_days)
    run.add_argument("--enrolment-days", type=float, default=defaults.enrolment_days)
    run.add_argument(
        "--now", type=datetime.fromisoformat, help="ISO time to measure ages from (default: the clock)"
    )
    args = parser.parse_args(argv)
    try:
        policy = retention.Policy(args.face_days, args.crossing_days, args.enrolment_days)
        store = Store(args.db)
    except CentralError as exc:
        print(f"python -m central retention run: {exc}", file=sys.stderr)
        return 1
    try:
        outcome = retention.run(
            store, policy, now=args.now or SystemClock().now(), dry_run=args.dry_run, actor="cli"
        )
    finally:
        store.close()
    print(outcome.summary())
    return 0
