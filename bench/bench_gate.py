"""Gate timings (issue 6): controller-added time, and the frame-to-exit-door decision path.

``--mode flow`` drives full passages through the flow on a simulated lane (hand-advanced clock, so
device travel and capture time cost nothing) and times, in wall-clock, the work the controller does for
each passage: event handling, guards, entry actions, facts, and optionally the outbox write (SQLite WAL,
FULL sync) of every fact as a ``core.wire`` message.

``--mode decision`` runs ``edge.runtime.GateRuntime`` on the emulated board (real HAL devices over the
emulator, hand-advanced clock) with the real face model, and times each passage from the moment the
camera returned the frame to the moment the exit door was commanded open: best-frame selection,
detection, alignment, embedding, comparison, the flow's decision, the outbox write of the crossing and
the status publish. It also reports the controller's share (from the face result to the door command).

    .venv/bin/python bench/bench_gate.py --mode flow [--passages 500] [--outbox]
    .venv/bin/python bench/bench_gate.py --mode decision [--passages 40]
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


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * q + 0.5) - 1)] * 1000


def decision(passages: int) -> int:
    """Frame to exit-door command on the runtime, model included (see the module docstring)."""
    from tests.edge.rig import FACES, FINGER, Rig

    marks: dict[str, float] = {}
    frame_to_door: list[float] = []
    controller: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        rig = Rig(Path(folder), watchlist=[], face={"max_frames": 1, "frame_interval_s": 0})
        runtime = rig.runtime
        camera = runtime.board.camera
        assert camera is not None
        capture, verify = camera.capture, runtime.ports.biometrics.verify_face  # type: ignore[attr-defined]
        exit_open = runtime.ports.exit.open

        def timed_capture() -> object:
            frame = capture()
            marks["frame"] = time.perf_counter()
            return frame

        def timed_verify(record: object) -> object:
            result = verify(record)
            marks["result"] = time.perf_counter()
            return result

        def timed_open() -> None:
            exit_open()
            marks.setdefault("exit", time.perf_counter())

        camera.capture = timed_capture  # type: ignore[method-assign,assignment]
        runtime.ports.biometrics.verify_face = timed_verify  # type: ignore[attr-defined]
        runtime.ports.exit.open = timed_open  # type: ignore[method-assign]
        rig.far.fingerprint.place_finger(FINGER)
        rig.far.camera.present(FACES / "person_a_2.jpg")
        for _ in range(passages):
            marks.clear()
            rig.present()
            rig.advance(1.2)
            walker = rig.walk_in_and_stop()
            rig.advance(3.0)
            assert rig.flow.state == "exiting", rig.flow.state
            frame_to_door.append(marks["exit"] - marks["frame"])
            controller.append(marks["exit"] - marks["result"])
            walker.stopped = False
            rig.advance(4.0)
            assert rig.flow.state == "awaiting_document", rig.flow.state
            rig.runtime.outbox.acknowledge([e.event_id for e in rig.runtime.outbox.pending()])
        rig.close()
    for name, samples in (("frame->exit door", frame_to_door), ("face result->exit door", controller)):
        print(
            f"{name}: passages={len(samples)} p50={_pct(samples, 0.5):.1f} ms "
            f"p95={_pct(samples, 0.95):.1f} ms max={max(samples) * 1000:.1f} ms"
        )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("flow", "decision"), default="flow")
    parser.add_argument("--passages", type=int, default=None)
    parser.add_argument("--outbox", action="store_true", help="flow mode: include the fsynced outbox writes")
    args = parser.parse_args()
    if args.mode == "decision":
        return decision(args.passages or 40)
    args.passages = args.passages or 500
    lane = Lane()
    with tempfile.TemporaryDirectory() as folder:
        outbox = Outbox(Path(folder) / "o.db", max_events=10_000_000)
        if args.outbox:
            pub = EventPublisher(
                outbox, OfflineLink(), ack_topic="a", decode_ack=codec.decode_ack, clock=ManualClock()
            )
            lane.flow.listeners.append(OutboxWriter(pub, "gate-01", site="cgk"))
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
