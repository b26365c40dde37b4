"""``python -m edge run --config gate.toml``: run the gate controller until SIGTERM or SIGINT.

Under systemd (deploy/edge.service, ``Type=notify``) it sends ``READY=1`` once the gate takes
passengers and ``WATCHDOG=1`` at half the watchdog interval. On an emulated board (``backend =
"emulated"``) the emulated devices run on the real clock, or ``--speed`` times faster.

``IMIGRASI_EDGE_PAUSE_AFTER_WRITE=<file>`` (tests only): after the first event is committed to the
outbox and before it is published, write its id to ``<file>`` and stop there, so a test can
``kill -9`` the process between the write and the publish.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from core.clock import Clock, ScaledClock, SystemClock
from edge.config import load_config
from edge.errors import EdgeError
from edge.outbox import OutboxEntry
from edge.systemd import notify, watchdog_interval_s
from hal.backend import use_emulated_clock
from hal.board import load_board_config
from hal.errors import HalError

PAUSE_ENV = "IMIGRASI_EDGE_PAUSE_AFTER_WRITE"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="the gate's TOML config file")
    parser.add_argument("--ledger", type=Path, help="append every emitted event id to this file")
    parser.add_argument("--speed", type=float, default=1.0, help="emulated board only: clock speed factor")
    parser.add_argument("--log-level", default="INFO", help="logging level (JSON lines on stderr)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(message)s", stream=sys.stderr)
    try:
        cfg = load_config(args.config)
        if cfg.board_config is None:
            raise EdgeError(f"{args.config}: [board] config is required to run the gate")
        board_cfg = load_board_config(cfg.board_config)
        clock: Clock = SystemClock()
        if board_cfg.backend == "emulated":
            clock = ScaledClock(args.speed) if args.speed != 1.0 else SystemClock()
            use_emulated_clock(clock)
        from edge.runtime import GateRuntime

        runtime = GateRuntime(cfg, clock=clock, ledger_path=args.ledger)
    except (EdgeError, HalError, OSError, ValueError) as exc:
        print(f"edge run: {exc}", file=sys.stderr)
        return 2
    pause_file = os.environ.get(PAUSE_ENV)
    if pause_file:
        runtime.publisher.after_store = _pause_after_first_write(Path(pause_file))

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with runtime:
        if cfg.metrics_port:
            from prometheus_client import start_http_server

            try:
                start_http_server(cfg.metrics_port, addr="127.0.0.1", registry=runtime.metrics.registry)
            except OSError as exc:
                logging.getLogger("edge").warning("metrics port %s not served: %s", cfg.metrics_port, exc)
        notify("READY=1")
        interval = watchdog_interval_s() or 5.0
        while not stop.wait(interval):
            notify("WATCHDOG=1")
        notify("STOPPING=1")
    return 0


def _pause_after_first_write(marker: Path) -> Callable[[OutboxEntry], None]:
    def pause(entry: OutboxEntry) -> None:
        tmp = marker.with_name(marker.name + ".tmp")
        tmp.write_text(entry.event_id, encoding="ascii")
        os.replace(tmp, marker)  # the test sees the whole id or nothing
        threading.Event().wait()  # stay between the outbox write and the publish until killed

    return pause
