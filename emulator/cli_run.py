"""``python -m emulator run``: a scenario headless, as fast as the machine allows; JSON summary.

    python -m emulator run --scenario outage --gates 2 --passengers 40 --seed 7 --json

Starts Mosquitto, central and the gate processes in a fresh folder under ``var/`` (or ``--folder``),
plays the scenario's fault timeline, reconciles the gates' ledgers against central's stored events and
prints the summary. Exit status 0 only when nothing was lost (no event id missing or stored twice, and
with ``--kiosks`` every application opened exactly one case). The broker is TLS only with an account
and ACL per device (``--no-tls`` for debugging).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from emulator.broker import BrokerError
from emulator.scenarios import ScenarioError, load
from emulator.site import Site, SiteError, run_folder, write_summary


def build_parser(
    prog: str = "python -m emulator run", description: str | None = None
) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description or __doc__)
    parser.add_argument("--scenario", default="mixed", help="normal, mixed, peak, outage, or a TOML path")
    parser.add_argument("--gates", type=int, default=2)
    parser.add_argument("--passengers", type=int, default=None, help="default: the scenario's count")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--factor",
        type=float,
        default=None,
        help="emulated seconds per real second (default: 8 runtime, 1000 wire)",
    )
    parser.add_argument(
        "--engine", default="runtime", choices=("runtime", "wire"),
        help="runtime: the real gate on the emulated board; wire: the delivery-path stand-in",
    )  # fmt: skip
    parser.add_argument("--folder", type=Path, default=None, help="run folder (default: a new one in var/)")
    parser.add_argument("--timeout", type=float, default=600.0, help="real seconds before giving up")
    parser.add_argument("--json", action="store_true", help="print only the JSON summary")
    parser.add_argument(
        "--kiosks", type=int, default=0,
        help="emulated kiosks (the real kiosk runtime), each serving --applicants applicants "
        "(default: 0 for run, 1 for site)",
    )  # fmt: skip
    parser.add_argument("--applicants", type=int, default=3, help="applicants per kiosk")
    parser.add_argument(
        "--no-tls", dest="tls", action="store_false",
        help="debugging only: a plain anonymous broker instead of TLS with an account and ACL per device",
    )  # fmt: skip
    return parser


def default_factor(args: argparse.Namespace) -> float:
    """The real gate's door and lane physics tick every 20 ms of emulated time on timer threads: beyond
    about 10x the ticks drift and doors overrun (docs/emulator.md); the stand-in has no physics."""
    if args.factor is not None:
        return float(args.factor)
    return 8.0 if args.engine == "runtime" else 1000.0


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.gates < 1 or args.kiosks < 0 or args.applicants < 1:
        print("python -m emulator run: --gates and --applicants must be at least 1, --kiosks at least 0",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        scenario = load(args.scenario)
    except ScenarioError as exc:
        print(f"python -m emulator run: {exc}", file=sys.stderr)
        return 2
    folder = args.folder or run_folder()
    log = (lambda _m: None) if args.json else (lambda m: print(m, file=sys.stderr))
    try:
        with Site(
            folder, scenario, gates=args.gates, seed=args.seed, passengers=args.passengers,
            factor=default_factor(args), log=log, engine=args.engine, tls=args.tls,
            kiosks=args.kiosks, applicants=args.applicants,
        ) as site:  # fmt: skip
            site.start()
            site.wait(timeout_s=args.timeout)
            site.settle()
            summary = site.summary()
            passed = site.passed(summary)
    except (SiteError, BrokerError) as exc:
        print(f"python -m emulator run: {exc}", file=sys.stderr)
        return 1
    write_summary(summary, folder)
    print(json.dumps(summary, indent=None if args.json else 2))
    return 0 if passed else 1
