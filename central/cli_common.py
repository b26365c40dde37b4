"""Options every ``python -m central`` command shares."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from central.devices import BrokerFiles
from central.store.engine import DEFAULT_URL

DB_ENV = "CENTRAL_DB"


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=os.environ.get(DB_ENV, DEFAULT_URL),
        help=f"database URL (default: ${DB_ENV} or {DEFAULT_URL}); e.g. postgresql://user@host/central",
    )


def add_broker_files_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--password-file", type=Path, help="Mosquitto password_file that central maintains")
    parser.add_argument("--acl-file", type=Path, help="Mosquitto acl_file that central regenerates")


def broker_files(args: argparse.Namespace) -> BrokerFiles | None:
    if args.password_file is None and args.acl_file is None:
        return None
    if args.password_file is None or args.acl_file is None:
        raise SystemExit("give both --password-file and --acl-file (central keeps them consistent)")
    return BrokerFiles(args.password_file, args.acl_file)
