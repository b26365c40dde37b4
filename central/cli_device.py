"""``python -m central device add|list|remove``: the devices registry and each device's credentials."""

from __future__ import annotations

import argparse
import json
import sys

from central import devices
from central.cli_common import add_broker_files_options, add_db_option, broker_files
from central.errors import CentralError
from central.store import Store
from core.clock import SystemClock


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m central device", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="register a device and create its MQTT and HTTP credentials")
    add.add_argument("device_id", help="e.g. gate-01")
    add.add_argument("--kind", default="gate", choices=devices.KINDS)
    add.add_argument("--site", default="")
    add.add_argument("--lane", default="")
    add.add_argument("--direction", default="", choices=devices.DIRECTIONS)
    add.add_argument("--json", action="store_true", help="print the credentials as JSON (for scripts)")
    add_db_option(add)
    add_broker_files_options(add)
    listing = sub.add_parser("list", help="list registered devices")
    add_db_option(listing)
    remove = sub.add_parser("remove", help="remove a device and revoke its credentials")
    remove.add_argument("device_id")
    add_db_option(remove)
    add_broker_files_options(remove)
    args = parser.parse_args(argv)
    now = SystemClock().now()
    store = Store(args.db)
    try:
        if args.action == "add":
            creds = devices.add_device(
                store,
                args.device_id,
                kind=args.kind,
                site=args.site,
                lane=args.lane,
                direction=args.direction,
                now=now,
                broker=broker_files(args),
            )
            if args.json:
                print(json.dumps(vars(creds)))
            else:
                print(f"device {creds.device_id} added; keep these, they are shown only once:")
                print(f"  MQTT user name: {creds.mqtt_username}")
                print(f"  MQTT password:  {creds.mqtt_password}")
                print(f"  API token:      {creds.api_token}")
        elif args.action == "list":
            for d in store.devices():
                state = "online" if d["online"] else "offline"
                print(f"{d['device_id']}\t{d['kind']}\t{d['site']}\t{d['lane']}\t{d['direction']}\t{state}")
        else:
            devices.remove_device(store, args.device_id, now=now, broker=broker_files(args))
            print(f"device {args.device_id} removed")
    except CentralError as exc:
        print(f"python -m central device {args.action}: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0
