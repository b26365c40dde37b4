"""Controller-added time of the gate flow: everything but device travel and model inference.

Drives full passages through the flow on a simulated lane (hand-advanced clock, so device travel and
capture time cost nothing) and times, in wall-clock, the work the controller does for each passage:
event handling, guards, entry actions, facts, and optionally the outbox write (SQLite WAL, FULL sync).

    .venv/bin/python bench/bench_gate.py [--passages 500] [--outbox]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.clock import ManualClock
from edge import codec
from edge.listeners import OutboxWriter
from edge.outbox import Outbox
from edge.publisher import EventPublisher
from tests.edge.lane import Lane


class OfflineLink:
    is_connected = False

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> bool:
        return False

    def subscribe(self, topic: str, handler: object, *, qos: int = 1) -> None:
        return None


def passage(lane: Lane) -> float:
    """Wall-clock seconds spent inside the controller for one passenger (clock advances excluded)."""
    spent = 0.0

    def timed(fn: object, *args: object) -> None:
        nonlocal spent
        t0 = time.perf_counter()
        fn(*args)  # type: ignore[operator]
        spent += time.perf_counter() - t0

    timed(lane.scan)
    for step in (1.0,):
        lane.advance(step)
    timed(lane.send, "passenger_entered")
    t0 = time.perf_counter()
    lane.advance(4.0)  # door closes, enrolment, fingerprint, face: timers fire controller work
    spent += time.perf_counter() - t0
    timed(lane.send, "passenger_exited")
    t0 = time.perf_counter()
    lane.advance(2.0)
    spent += time.perf_counter() - t0
    assert lane.state == "awaiting_document", lane.state
    return spent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=500)
    parser.add_argument("--outbox", action="store_true", help="include the fsynced outbox writes")
    args = parser.parse_args()
    lane = Lane()
    with tempfile.TemporaryDirectory() as folder:
        outbox = Outbox(Path(folder) / "o.db", max_events=10_000_000)
        if args.outbox:
            pub = EventPublisher(
                outbox, OfflineLink(), ack_topic="a", decode_ack=codec.decode_ack, clock=ManualClock()
            )
            lane.flow.listeners.append(OutboxWriter(pub, "gate-01"))
        samples = sorted(passage(lane) for _ in range(args.passages))
        outbox.close()
    p50 = statistics.median(samples) * 1000
    p95 = samples[int(len(samples) * 0.95) - 1] * 1000
    print(
        f"passages={args.passages} outbox={args.outbox} "
        f"p50={p50:.3f} ms p95={p95:.3f} ms max={samples[-1] * 1000:.3f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
