"""``python -m central serve``: the ingest, the API and the dashboard in one process.

python -m central user add admin --role administrator < password.txt
python -m central serve --db sqlite:///central.db --broker mqtt://127.0.0.1:1883
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import uvicorn

from central import logs
from central.app import create_app
from central.cli_common import add_broker_files_options, add_db_option, broker_files
from central.errors import CentralError
from central.ingest import Ingest
from central.service import Central, Settings
from central.store import Store

log = logging.getLogger("central.serve")
PASSWORD_ENV = "CENTRAL_MQTT_PASSWORD"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m central serve", description=__doc__)
    add_db_option(parser)
    parser.add_argument("--broker", default=os.environ.get("CENTRAL_BROKER", "mqtt://127.0.0.1:1883"))
    parser.add_argument("--no-ingest", action="store_true", help="serve the API and dashboard only")
    parser.add_argument("--mqtt-user", default=os.environ.get("CENTRAL_MQTT_USER"))
    parser.add_argument(
        "--mqtt-password-file", type=Path, help=f"file holding central's MQTT password (or ${PASSWORD_ENV})"
    )
    parser.add_argument("--ca-file", help="CA certificate for an mqtts:// broker")
    parser.add_argument(
        "--shared-group", default="central", help="MQTT 5 shared subscription group ('' for none)"
    )
    parser.add_argument("--client-id", default=None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--secure-cookies", action="store_true", help="behind TLS: mark the session cookie Secure"
    )
    parser.add_argument("--language", default="id", choices=("id", "en"), help="default dashboard language")
    parser.add_argument("--log-level", default="INFO")
    add_broker_files_options(parser)
    args = parser.parse_args(argv)
    logs.configure(args.log_level)
    try:
        store = Store(args.db)
    except CentralError as exc:
        print(f"python -m central serve: {exc}", file=sys.stderr)
        return 1
    if not store.users():
        print(
            "No users yet, so nobody could log in. Add an administrator first, e.g.:\n"
            f"  python -m central user add admin --role administrator --db {args.db} < password.txt\n"
            "(the password is read from stdin or --password-file, never from the command line)",
            file=sys.stderr,
        )
        return 2
    settings = Settings(
        secure_cookies=args.secure_cookies, broker_files=broker_files(args), default_language=args.language
    )
    central = Central(store, settings=settings)
    ingest = None
    if not args.no_ingest:
        password = os.environ.get(PASSWORD_ENV)
        if args.mqtt_password_file is not None:
            password = args.mqtt_password_file.read_text(encoding="utf-8").strip()
        try:
            ingest = Ingest(
                central,
                args.broker,
                client_id=args.client_id,
                username=args.mqtt_user,
                password=password,
                shared_group=args.shared_group or None,
                ca_file=args.ca_file,
            ).start()
        except CentralError as exc:
            print(f"python -m central serve: {exc}", file=sys.stderr)
            return 1
    log.info(
        "serving", extra={"url": f"http://{args.host}:{args.port}", "db": store.engine.url.render_as_string()}
    )
    try:
        uvicorn.run(create_app(central), host=args.host, port=args.port, log_level="warning", lifespan="off")
    finally:
        if ingest is not None:
            ingest.stop()
        store.close()
    return 0
