"""``python -m edge status``: print the state a running gate last wrote to its status file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from edge.config import load_config
from edge.errors import ConfigError


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge status", description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", help="the gate's TOML config file (its gate.status_file is read)")
    source.add_argument("--status-file", help="a status file path")
    parser.add_argument("--json", action="store_true", help="print the raw JSON")
    args = parser.parse_args(argv)
    try:
        path = Path(args.status_file) if args.status_file else load_config(args.config).status_path
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        print(f"{path}: no status file; is the gate running (python -m edge run)?", file=sys.stderr)
        return 1
    except json.JSONDecodeError as exc:
        print(f"{path}: unreadable status file ({exc})", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(status, indent=2, sort_keys=True))
    else:
        for key in sorted(status):
            print(f"{key:>22}: {status[key]}")
    return 0
