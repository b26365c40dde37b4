"""``python -m central serve``: the ingest, the API and the dashboard in one process.

python -m central user add admin --role administrator < password.txt
python -m central serve --db sqlite:///central.db --broker mqtt://127.0.0.1:1883
python -m central serve --ingest-workers 2 ...   # a 2-core host at thousands of events a second

One process serves the devices' ingest, the dashboard, the watch lists (signed with the key in
$CENTRAL_WATCHLIST_KEY or --watchlist-key, announced on MQTT), the permit workflows (SOP variants chosen
with --sop-choice SERVICE=SOP-ID, fees from --tariffs) and the CCTV desk (gallery signed with the key in
$IMIGRASI_CCTV_KEY or --cctv-key). With --ingest-workers N the ingest runs as N processes on the
broker's shared subscription (this one and N - 1 workers; Python uses one core per process).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn

from central import logs
from central.app import create_app
from central.cctv.desk import CctvDesk
from central.cctv.desk import load_or_create_key as load_or_create_cctv_key
from central.cctv.router import KEY_ENV as CCTV_KEY_ENV
from central.cli_common import add_broker_files_options, add_db_option, broker_files
from central.errors import CentralError
from central.ingest import Ingest, IngestWorkers, WorkerConfig
from central.retention import Periodic, Policy
from central.service import Central, Settings
from central.store import Store
from central.watchlist import api as watchlist_api
from central.watchlist.cekal import IndexCekalChecker
from central.watchlist.keys import default_key_path, load_or_create_key
from central.watchlist.service import MqttPublisher, WatchlistService
from central.workflows.definitions import Catalogue
from central.workflows.engine import Workflows
from central.workflows.errors import DefinitionError
from central.workflows.tariffs import EXAMPLE as EXAMPLE_TARIFFS
from central.workflows.tariffs import Tariffs

log = logging.getLogger("central.serve")
PASSWORD_ENV = "CENTRAL_MQTT_PASSWORD"


def default_client_id() -> str:
    """``central-<hostname>``: the same on every restart of this host's instance (MQTT client ids
    allow any characters, but we keep to what shows plainly in the broker's log and ACL)."""
    host = re.sub(r"[^A-Za-z0-9-]+", "-", socket.gethostname()).strip("-").lower() or "host"
    return f"central-{host[:40]}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m central serve",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_db_option(parser)
    parser.add_argument("--broker", default=os.environ.get("CENTRAL_BROKER", "mqtt://127.0.0.1:1883"))
    parser.add_argument("--no-ingest", action="store_true", help="serve the API and dashboard only")
    parser.add_argument("--mqtt-user", default=os.environ.get("CENTRAL_MQTT_USER"))
    parser.add_argument(
        "--mqtt-password-file", type=Path, help=f"file holding central's MQTT password (or ${PASSWORD_ENV})"
    )
    parser.add_argument("--ca-file", help="CA certificate for an mqtts:// broker")
    parser.add_argument("--cert-file", help="central's client certificate (PEM) for a TLS listener")
    parser.add_argument("--key-file", help="the private key of --cert-file (PEM)")
    parser.add_argument(
        "--shared-group", default="central", help="MQTT 5 shared subscription group ('' for none)"
    )
    parser.add_argument(
        "--client-id",
        default=os.environ.get("CENTRAL_CLIENT_ID") or default_client_id(),
        help="MQTT client id, stable across restarts so the broker's persistent session is picked up "
        "again (a new id would leave the old session in the shared group, taking a share of the "
        "traffic until it expires); default central-<hostname>, or $CENTRAL_CLIENT_ID; give each "
        "instance on one host its own; workers add -1, -2, ...",
    )
    parser.add_argument(
        "--ingest-workers",
        type=_positive_int,
        default=os.environ.get("CENTRAL_INGEST_WORKERS", "1"),
        metavar="N",
        help="ingest processes on the shared subscription: this one plus N - 1 workers (default 1, or "
        "$CENTRAL_INGEST_WORKERS); about one per CPU core at sustained thousands of events/s",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--secure-cookies", action="store_true", help="behind TLS: mark the session cookie Secure"
    )
    parser.add_argument("--language", default="id", choices=("id", "en"), help="default dashboard language")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument(
        "--watchlist-prepared-dir",
        type=Path,
        default=os.environ.get("CENTRAL_WATCHLIST_PREPARED_DIR") or None,
        help="where central keeps signed prepared snapshots (the built index) and offers them to gates, "
        "which then load a list in seconds instead of rebuilding it; built in the background after each "
        "change (default $CENTRAL_WATCHLIST_PREPARED_DIR; off without one; set it for large lists)",
    )
    parser.add_argument(
        "--watchlist-key",
        type=Path,
        help="Ed25519 PEM signing the watch lists (made on first use; "
        "default $CENTRAL_WATCHLIST_KEY or ~/.local/share/imigrasi-central/watchlist-ed25519.pem)",
    )
    parser.add_argument(
        "--command-key",
        type=Path,
        help="Ed25519 PEM signing supervisor commands to gates (made on first use; default "
        "$CENTRAL_COMMAND_KEY or command-ed25519.pem beside the watch-list key); see docs/security.md",
    )
    parser.add_argument(
        "--cctv-key",
        type=Path,
        help=f"Ed25519 PEM signing the CCTV alert gallery (made on first use; "
        f"default ${CCTV_KEY_ENV} or cctv-ed25519.pem beside the watch-list key)",
    )
    parser.add_argument(
        "--sop-choice",
        action="append",
        default=[],
        metavar="SERVICE=SOP_ID",
        help="the office's variant for a permit service, e.g. ITAS-VITAS=SOP-003-B06 (repeatable)",
    )
    parser.add_argument(
        "--tariffs",
        type=Path,
        default=EXAMPLE_TARIFFS,
        help="tariff table (TOML) for permit fees; the default is an EXAMPLE with invented amounts",
    )
    parser.add_argument("--office", default="Kantor Imigrasi", help="office name on permit documents")
    parser.add_argument(
        "--no-retention",
        action="store_true",
        help="no daily retention of personal data (python -m central retention run does it by hand)",
    )
    add_broker_files_options(parser)
    args = parser.parse_args(argv)
    if args.ingest_workers > 1 and not args.shared_group:
        # Without a shared subscription every worker would get every message: N times the work.
        parser.error("--ingest-workers above 1 needs a --shared-group (the workers share its stream)")
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
    try:
        choices = _choices(args.sop_choice)
        catalogue = Catalogue.load(choices=choices)
        tariffs = Tariffs.load(args.tariffs)
        watchlist_key = load_or_create_key(args.watchlist_key)
        cctv_key = load_or_create_cctv_key(_cctv_key_path(args))
        command_key = load_or_create_key(
            args.command_key
            or Path(
                os.environ.get("CENTRAL_COMMAND_KEY") or default_key_path().with_name("command-ed25519.pem")
            )
        )
    except (CentralError, DefinitionError) as exc:
        print(f"python -m central serve: {exc}", file=sys.stderr)
        return 1
    ingest = None
    if not args.no_ingest:
        password = os.environ.get(PASSWORD_ENV)
        if args.mqtt_password_file is not None:
            password = args.mqtt_password_file.read_text(encoding="utf-8").strip()
        # How every ingest process of this serve reaches the broker (its own and its workers).
        connection: dict[str, Any] = {
            "username": args.mqtt_user,
            "password": password,
            "shared_group": args.shared_group or None,
            "ca_file": args.ca_file,
            "cert_file": args.cert_file,
            "key_file": args.key_file,
        }
        try:
            ingest = Ingest(central, args.broker, client_id=args.client_id, **connection).start()
        except CentralError as exc:
            print(f"python -m central serve: {exc}", file=sys.stderr)
            return 1
    watchlist = WatchlistService(
        store,
        central.clock,
        watchlist_key,
        publisher=MqttPublisher(ingest.client) if ingest is not None else None,
        prepared_dir=args.watchlist_prepared_dir,
    )
    workflows = Workflows(
        store, central.clock, catalogue, tariffs, cekal=IndexCekalChecker(watchlist), office=args.office
    )
    workflows.sweep()  # breaches that fell due while central was down
    workflows.rearm()
    desk = CctvDesk(store, central.clock, cctv_key)
    if ingest is not None:
        ingest.workflows, ingest.cctv = workflows, desk
        ingest.command_key = command_key  # issue 12: every command to a gate is signed
    workers = None
    if ingest is not None and args.ingest_workers > 1:
        configs = [
            WorkerConfig(
                db_url=args.db,
                broker_url=args.broker,
                client_id=f"{ingest.client_id}-{n}",
                **connection,
                log_level=args.log_level,
                setup=_worker_setup,
                setup_arg=args,
            )
            for n in range(1, args.ingest_workers)
        ]
        try:
            workers = IngestWorkers(central, configs).start()
        except CentralError as exc:
            print(f"python -m central serve: {exc}", file=sys.stderr)
            ingest.stop()
            store.close()
            return 1
    app = create_app(central, workflows=workflows)
    watchlist_api.install(app, watchlist)
    app.state.cctv = desk
    if ingest is not None:
        watchlist.announce()  # retained: gates that start later still learn the current version
    log.info(
        "serving", extra={"url": f"http://{args.host}:{args.port}", "db": store.engine.url.render_as_string()}
    )
    # Issue 12: personal data past its retention period is cleared now and then daily (docs/privacy.md).
    retention = None if args.no_retention else Periodic(store, central.clock, Policy()).start()
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again under the handler that was
    # there before it: with Python's default one the process would die on the spot, before the
    # ``finally`` below stops the ingest workers and drains the ingest. This handler ends it as an exit.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="off")
    finally:
        if retention is not None:
            retention.stop()
        if workers is not None:
            workers.stop()
        if ingest is not None:
            ingest.stop()
        store.close()
    return 0


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _worker_setup(ingest: Ingest, args: argparse.Namespace) -> None:
    """In an ingest worker process: the workflow engine and the CCTV desk that ``main`` attaches to its
    own ingest, so a kiosk application or a CCTV alarm is handled the same whichever process gets it
    (the keys exist by now: ``main`` made them before it started the workers)."""
    central, store = ingest.central, ingest.central.store
    catalogue = Catalogue.load(choices=_choices(args.sop_choice))
    tariffs = Tariffs.load(args.tariffs)
    watchlist = WatchlistService(store, central.clock, load_or_create_key(args.watchlist_key))
    ingest.workflows = Workflows(
        store, central.clock, catalogue, tariffs, cekal=IndexCekalChecker(watchlist), office=args.office
    )
    ingest.cctv = CctvDesk(store, central.clock, load_or_create_cctv_key(_cctv_key_path(args)))


def _cctv_key_path(args: argparse.Namespace) -> Path:
    path: Path = args.cctv_key or Path(
        os.environ.get(CCTV_KEY_ENV) or default_key_path().with_name("cctv-ed25519.pem")
    )
    return path


def _choices(pairs: list[str]) -> dict[str, str]:
    choices = {}
    for pair in pairs:
        service, sep, sop_id = pair.partition("=")
        if not sep or not service.strip() or not sop_id.strip():
            raise DefinitionError(
                f"--sop-choice {pair!r} must look like SERVICE=SOP_ID, e.g. ITAS-VITAS=SOP-003-B06"
            )
        choices[service.strip()] = sop_id.strip()
    return choices
