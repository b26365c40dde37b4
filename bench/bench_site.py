"""Whole-site benchmark: `python -m emulator run` on a scenario, wall time and summary figures.

    .venv/bin/python bench/bench_site.py [--scenario peak] [--gates 2] [--passengers 60] [--factor 5]
        [--engine runtime|wire]

Prints one JSON line: wall seconds, events stored per wall second, and the run's summary figures.
Record results in bench/results/site.md by hand (date, machine, the note that the machine was shared).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", default="peak")
    parser.add_argument("--gates", type=int, default=2)
    parser.add_argument("--passengers", type=int, default=60)
    parser.add_argument("--engine", default="runtime", choices=("runtime", "wire"))
    parser.add_argument("--factor", type=float, default=None, help="default: 5 runtime, 1000 wire")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.factor is None:
        args.factor = 5.0 if args.engine == "runtime" else 1000.0
    with tempfile.TemporaryDirectory() as tmp:
        began = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "emulator", "run", "--scenario", args.scenario, "--gates", str(args.gates),
             "--passengers", str(args.passengers), "--seed", str(args.seed), "--factor", str(args.factor),
             "--folder", str(Path(tmp) / "run"), "--json", "--engine", args.engine],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        wall = time.monotonic() - began
    summary = json.loads(result.stdout)
    out = {
        "engine": args.engine, "scenario": args.scenario, "gates": args.gates, "passengers": args.passengers,
        "factor": args.factor,
        "wall_s": round(wall, 2), "exit": result.returncode,
        "events_stored": summary["events_stored"], "lost": summary["lost"],
        "events_stored_per_wall_s": round(summary["events_stored"] / wall, 1),
        "controller_ms": summary["controller_ms"], "gate_cycle_s": summary["gate_cycle_s"],
        "passengers_per_hour_per_gate": summary["passengers_per_hour_per_gate"],
        "outcomes": {k: v for k, v in summary["outcomes"].items() if v},
    }  # fmt: skip
    print(json.dumps(out))
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
