"""``python -m kiosk run --config kiosk.toml``: serve the kiosk app on the configured local port."""

from __future__ import annotations

import argparse

import uvicorn

from kiosk.config import KioskConfig
from kiosk.errors import KioskError
from kiosk.runtime import build


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk run", description=__doc__)
    parser.add_argument(
        "--config", required=True, help="the kiosk config TOML (see kiosk/examples/kiosk.toml)"
    )
    args = parser.parse_args(argv)
    try:
        kiosk = build(KioskConfig.load(args.config))
    except KioskError as exc:
        parser.exit(2, f"python -m kiosk run: {exc}\n")
    print(f"kiosk {kiosk.config.device_id}: open http://{kiosk.config.host}:{kiosk.config.port}/ full-screen")
    try:
        uvicorn.run(kiosk.app, host=kiosk.config.host, port=kiosk.config.port, log_level="warning")
    finally:
        kiosk.close()
    return 0
