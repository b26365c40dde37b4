"""``python -m central pki init|issue``: the site CA and certificates for the MQTT broker over TLS."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from central import pki
from central.errors import CentralError


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m central pki", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    init = sub.add_parser("init", help="make the CA, the broker's and central's certificates")
    init.add_argument("--dir", type=Path, required=True, help="folder for keys and certificates")
    init.add_argument(
        "--host", action="append", default=[], help="broker host name or IP (repeatable; default localhost)"
    )
    init.add_argument("--port", type=int, default=8883, help="the broker's TLS port in mosquitto-tls.conf")
    init.add_argument("--password-file", type=Path, help="the broker password file `device add` maintains")
    init.add_argument("--acl-file", type=Path, help="the broker ACL file `device add` maintains")
    issue = sub.add_parser("issue", help="issue a device's client certificate")
    issue.add_argument("device_id", help="e.g. gate-01")
    issue.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        if args.action == "init":
            hosts = tuple(args.host) or ("localhost", "127.0.0.1")
            ca = pki.init(
                args.dir,
                hosts=hosts,
                port=args.port,
                password_file=args.password_file,
                acl_file=args.acl_file,
            )
            print(f"CA {ca.certfile}; broker and central certificates and mosquitto-tls.conf in {args.dir}")
        else:
            issued = pki.issue(args.dir, args.device_id)
            print(f"{issued.certfile} and {issued.keyfile} (copy the key to the device only)")
    except CentralError as exc:
        print(f"python -m central pki {args.action}: {exc}", file=sys.stderr)
        return 1
    return 0
