"""``python -m emulator gate``: one emulated gate process playing its share of a scenario's passengers.

    python -m emulator gate --scenario mixed --seed 7 --index 0 --gates 2 --passengers 40 \\
        --broker mqtt://127.0.0.1:1883 --device-id gate-01 --folder var/site/gate-01 --factor 200

Today this runs the stand-in gate (``emulator.wiregate``: real outbox, publisher, link and wire messages;
outcomes from the passenger model). ``--engine runtime`` is reserved for ``edge.runtime.GateRuntime``
on the emulated board and refuses to start until that lands. Exit status: 0 when every event was acked
by central, 3 when the drain timed out, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import importlib.util
import signal
import sys
from pathlib import Path
from types import FrameType

from core.clock import ScaledClock
from emulator.scenarios import ScenarioError, load
from emulator.wiregate import GateIdentity, WireGate


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emulator gate", description=__doc__)
    parser.add_argument("--scenario", required=True, help="built-in name or TOML path")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--index", type=int, required=True, help="this gate's index, 0-based")
    parser.add_argument("--gates", type=int, default=1, help="how many gates share the passengers")
    parser.add_argument("--passengers", type=int, default=None, help="site-wide count (default: scenario's)")
    parser.add_argument("--broker", required=True, help="mqtt://host:port")
    parser.add_argument("--device-id", required=True)
    parser.add_argument("--site", default="cgk")
    parser.add_argument("--direction", default="departure", choices=("arrival", "departure"))
    parser.add_argument("--folder", type=Path, required=True, help="outbox and ledger live here")
    parser.add_argument("--ledger", type=Path, default=None, help="default: FOLDER/ledger.jsonl")
    parser.add_argument("--factor", type=float, default=200.0, help="emulated seconds per real second")
    parser.add_argument("--drain-timeout", type=float, default=60.0, help="real seconds to wait for acks")
    parser.add_argument("--engine", default="wire", choices=("wire", "runtime"))
    parser.add_argument(
        "--die-after-append", type=int, default=None, help="fault: kill -9 itself after the Nth outbox write"
    )
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.engine == "runtime" and importlib.util.find_spec("edge.runtime") is None:
        print(
            "python -m emulator gate: --engine runtime needs edge/runtime.py (GateRuntime), which is not "
            "in this tree yet; use --engine wire (the stand-in delivery-path gate)",
            file=sys.stderr,
        )
        return 2
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
    gate = WireGate(
        GateIdentity(args.device_id, args.site, args.direction),
        broker_url=args.broker,
        outbox_path=args.folder / "outbox.sqlite",
        ledger_path=args.ledger or args.folder / "ledger.jsonl",
        clock=ScaledClock(args.factor),
        factor=args.factor,
        die_after_append=args.die_after_append,
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
