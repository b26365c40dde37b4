"""``python -m central watchlist import|export|announce``: the cekal lists from and to CSV.

``import FILE`` validates every row and applies nothing when any row is bad (every bad value is
printed as ``FILE:LINE: COLUMN: message``, exit status 2); otherwise all rows are applied as one new
list version. ``--replace`` makes the file the whole list (entries not in it are removed).
``--broker`` also publishes the retained announcement on every site's topic. ``--prepared-dir DIR``
(default ``$CENTRAL_WATCHLIST_PREPARED_DIR``) also writes the current version's signed prepared snapshot
there (the built index gates load without a rebuild; the directory central serve's API reads) before
announcing it.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from central.cli_common import add_db_option
from central.errors import CentralError
from central.store import Store
from central.watchlist.keys import KEY_ENV, default_key_path, load_or_create_key
from central.watchlist.service import PREPARED_DIR_ENV, ImportRejected, MqttPublisher, WatchlistService
from core.clock import SystemClock


def _service(args: argparse.Namespace, store: Store) -> WatchlistService:
    publisher = MqttPublisher.connect(args.broker) if getattr(args, "broker", None) else None
    return WatchlistService(
        store,
        SystemClock(),
        load_or_create_key(args.key),
        publisher=publisher,
        prepared_dir=getattr(args, "prepared_dir", None),
        prepare_in_background=False,  # the command ends when done: prepare at once
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m central watchlist",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="action", required=True)
    imp = sub.add_parser("import", help="import a list CSV (all rows or none)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--replace", action="store_true", help="entries missing from the file are removed")
    imp.add_argument("--by", default=os.environ.get("USER") or getpass.getuser(), help="who imports (audit)")
    exp = sub.add_parser("export", help="write the whole list as CSV ('-' for stdout)")
    exp.add_argument("file")
    ann = sub.add_parser("announce", help="publish the retained announcement of the current version")
    for p in (imp, exp, ann):
        add_db_option(p)
        p.add_argument(
            "--key",
            type=Path,
            default=None,
            help=f"Ed25519 signing key file (default: ${KEY_ENV} or {default_key_path()}); "
            "created on first use",
        )
    for p in (imp, ann):
        p.add_argument("--broker", help="mqtt://HOST:PORT to announce the new version on")
        p.add_argument(
            "--prepared-dir",
            type=Path,
            default=None,
            help=f"write the signed prepared snapshot of the current version here "
            f"(default ${PREPARED_DIR_ENV})",
        )
    args = parser.parse_args(argv)
    try:
        store = Store(args.db)
    except CentralError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    service: WatchlistService | None = None
    try:
        service = _service(args, store)
        if args.action == "import":
            if not args.file.is_file():
                print(f"error: {args.file} is not a file; give the path of a list CSV", file=sys.stderr)
                return 2
            try:
                result = service.import_csv(args.file, by=args.by, replace=args.replace)
            except ImportRejected as exc:
                for e in exc.errors:
                    print(f"{args.file}:{e.line}: {e.column}: {e.message}", file=sys.stderr)
                print(f"error: {len(exc.errors)} bad value(s); nothing was imported", file=sys.stderr)
                return 2
            if result.version is None:
                print(f"nothing changed ({result.unchanged} entries already as in the file)")
            else:
                print(
                    f"version {result.version}: {result.added} added, {result.changed} changed, "
                    f"{result.unchanged} unchanged, {result.removed} removed"
                )
        elif args.action == "export":
            if args.file == "-":
                count = service.export_csv(sys.stdout)
            else:
                with open(args.file, "w", newline="", encoding="utf-8") as fh:
                    count = service.export_csv(fh)
                print(f"{count} entries of version {service.current_version()} written to {args.file}")
        else:
            prepared = service.prepare_current()
            if prepared is not None:
                print(f"prepared snapshot of version {prepared} in {service.prepared_dir}")
            sites = service.announce()
            print(f"version {service.current_version()} announced to: {', '.join(sites) or 'no site'}")
    except CentralError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if service is not None and isinstance(service.publisher, MqttPublisher):
            service.publisher.close()
        store.close()
    return 0
