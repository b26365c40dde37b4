"""``python -m edge check-config --config gate.toml``: validate a gate config and explain any error."""

from __future__ import annotations

import argparse
import sys

from edge.config import load_config
from edge.errors import ConfigError


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge check-config", description=__doc__)
    parser.add_argument("--config", required=True, help="the gate's TOML config file")
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    print(
        f"{args.config}: ok (gate {cfg.gate_id}, {cfg.policy.direction.value}, broker {cfg.link.url}, "
        f"mirip policy {cfg.policy.mirip.value}, outbox {cfg.outbox_path})"
    )
    return 0
