"""``python -m central user add|list|token``: dashboard and API users.

The password is read from stdin (one line) or from ``--password-file``, never from the command line,
where other users of the machine could see it in the process list.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from central import auth
from central.cli_common import add_db_option
from central.errors import CentralError
from central.store import Store
from core.clock import SystemClock


def read_password(path: Path | None) -> str:
    if path is not None:
        return path.read_text(encoding="utf-8").splitlines()[0] if path.stat().st_size else ""
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise SystemExit("the two passwords differ; nothing was changed")
        return first
    return sys.stdin.readline().rstrip("\n")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m central user", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="add a user (password from stdin or --password-file)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=auth.ROLES)
    add.add_argument("--language", default="id", choices=("id", "en"))
    add.add_argument("--password-file", type=Path)
    add_db_option(add)
    listing = sub.add_parser("list", help="list users and their roles")
    add_db_option(listing)
    token = sub.add_parser("token", help="issue an API bearer token for a user")
    token.add_argument("username")
    add_db_option(token)
    args = parser.parse_args(argv)
    now = SystemClock().now()
    store = Store(args.db)
    try:
        if args.action == "add":
            auth.add_user(
                store,
                args.username,
                read_password(args.password_file),
                args.role,
                now=now,
                language=args.language,
            )
            print(f"user {args.username} added with role {args.role}")
        elif args.action == "list":
            for u in store.users():
                flags = "\tdisabled" if u["disabled"] else ""
                print(f"{u['username']}\t{u['role']}\t{u['language']}{flags}")
        else:
            print(auth.issue_api_token(store, args.username, now=now))
    except CentralError as exc:
        print(f"python -m central user {args.action}: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0
