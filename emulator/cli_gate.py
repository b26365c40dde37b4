"""``python -m emulator gate``: one emulated gate process playing its share of a scenario's passengers.

    python -m emulator gate --scenario mixed --seed 7 --index 0 --gates 2 --passengers 40 \\
        --broker mqtt://127.0.0.1:1883 --device-id gate-01 --folder var/site/gate-01 --factor 200

``--engine runtime`` (the default) runs the real gate: ``edge.runtime.GateRuntime`` on the emulated
board, passengers played by ``emulator.driver`` (``emulator.runtime_gate``). ``--engine wire`` runs the
delivery-path stand-in (``emulator.wiregate``: real outbox, publisher, link and wire messages, outcomes
from the passenger model), kept for the fast pure-delivery fault runs (``--die-after-append``).
Exit status: 0 when every event was acked by central, 3 when the drain timed out, 4 when a passenger
got stuck at the real gate, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from core.clock import ScaledClock
from emulator.population import Passenger
from emulator.scenarios import ScenarioError, load
from emulator.sitetls import add_identity_options, link_options
from emulator.wiregate import GateIdentity, WireGate


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emulator gate", description=__doc__)
    parser.add_argument("--scenario", required=True, help="built-in name or TOML path")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--index", type=int, required=True, help="this gate's index, 0-based")
    parser.add_argument("--gates", type=int, default=1, help="how many gates share the passengers")
    parser.add_argument("--passengers", type=int, default=None, help="site-wide count (default: scenario's)")
    parser.add_argument("--broker", required=True, help="mqtt://host:port or mqtts://host:port")
    parser.add_argument("--device-id", required=True)
    parser.add_argument("--site", default="cgk")
    parser.add_argument("--direction", default="departure", choices=("arrival", "departure"))
    parser.add_argument("--folder", type=Path, required=True, help="outbox and ledger live here")
    parser.add_argument("--ledger", type=Path, default=None, help="default: FOLDER/ledger.jsonl")
    parser.add_argument("--factor", type=float, default=200.0, help="emulated seconds per real second")
    parser.add_argument("--drain-timeout", type=float, default=60.0, help="real seconds to wait for acks")
    parser.add_argument("--engine", default="runtime", choices=("wire", "runtime"))
    parser.add_argument("--central-url", default=None, help="runtime: central's HTTP address (enrolments)")
    parser.add_argument("--device-token-file", type=Path, default=None, help="runtime: the gate's API token")
    parser.add_argument(
        "--supervisor-token-file",
        type=Path,
        default=None,
        help="runtime: a supervisor's API token (commands)",
    )
    parser.add_argument("--supervisor-delay", type=float, default=8.0, help="runtime: emulated seconds")
    parser.add_argument(
        "--watchlist-public-key",
        type=Path,
        default=None,
        help="runtime: central's watch-list key (PEM); the list then comes from central's distribution "
        "(retained announce, download, verify) instead of a snapshot the gate signs itself",
    )
    parser.add_argument(
        "--command-public-key",
        type=Path,
        default=None,
        help="runtime: central's command-signing key (PEM): [central] command_public_key",
    )
    parser.add_argument("--keepalive", type=int, default=None, help="runtime: MQTT keep-alive (s)")
    parser.add_argument(
        "--die-after-append", type=int, default=None, help="fault: kill -9 itself after the Nth outbox write"
    )
    add_identity_options(parser)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        scenario = load(args.scenario)
    except ScenarioError as exc:
        print(f"python -m emulator gate: {exc}", file=sys.stderr)
        return 2
    if not 0 <= args.index < args.gates:
        print(f"python -m emulator gate: --index must be in 0..{args.gates - 1}", file=sys.stderr)
        return 2
    count = args.passengers or scenario.passengers
    passengers = scenario.population(seed=args.seed, gates=args.gates).share(count, args.index)
    if args.engine == "runtime":
        if args.die_after_append is not None:
            print("python -m emulator gate: --die-after-append needs --engine wire", file=sys.stderr)
            return 2
        return run_runtime(args, passengers)
    gate = WireGate(
        GateIdentity(args.device_id, args.site, args.direction),
        broker_url=args.broker,
        outbox_path=args.folder / "outbox.sqlite",
        ledger_path=args.ledger or args.folder / "ledger.jsonl",
        clock=ScaledClock(args.factor),
        factor=args.factor,
        die_after_append=args.die_after_append,
        link_options=link_options(args),
    )

    def stop(_sig: int, _frame: FrameType | None) -> None:
        gate.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    gate.start()
    try:
        gate.play(passengers)
        drained = gate.drain(args.drain_timeout)
    finally:
        gate.close()
    return 0 if drained else 3


def run_runtime(args: argparse.Namespace, passengers: list[Passenger]) -> int:
    from emulator.rungate import RigError
    from emulator.runtime_gate import RuntimeGate

    gate = RuntimeGate(
        device_id=args.device_id,
        site=args.site,
        direction=args.direction,
        broker_url=args.broker,
        folder=args.folder,
        ledger_path=args.ledger or args.folder / "ledger.jsonl",
        clock=ScaledClock(args.factor),
        passengers=passengers,
        central_url=args.central_url,
        device_token_file=args.device_token_file,
        supervisor_token_file=args.supervisor_token_file,
        supervisor_delay_s=args.supervisor_delay,
        watchlist_public_key=args.watchlist_public_key,
        command_public_key=args.command_public_key,
        keepalive_s=args.keepalive,
        link_options=link_options(args),
    )

    def stop(_sig: int, _frame: FrameType | None) -> None:
        gate.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    gate.start()
    stuck = False
    try:
        try:
            gate.play(passengers)
        except RigError as exc:
            print(f"python -m emulator gate: {exc}", file=sys.stderr)
            stuck = True
        drained = gate.drain(args.drain_timeout)
    finally:
        gate.close()
    return 4 if stuck else 0 if drained else 3
