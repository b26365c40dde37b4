"""Encode and decode time per message for ``core.wire``: ``.venv/bin/python bench/bench_wire.py``.

Central must ingest at least 5,000 events/s on 2 cores, so decode + validate must stay well under
100 µs per message. For each registered type's example the script times ``encode``, ``decode`` and
``decode_from_topic`` in batches and reports the median and the fastest batch's CPU time per call, plus
``new_event_id`` and ``canonical_bytes``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.wire import canonical_bytes, decode, decode_from_topic, encode, new_event_id
from core.wire.examples import examples

TOPICS = {
    "status": "imigrasi/v1/cgk/gate/gate-01/status",
    "crossing": "imigrasi/v1/cgk/gate/gate-01/event",
    "alarm": "imigrasi/v1/cgk/gate/gate-02/event",
    "door": "imigrasi/v1/cgk/gate/gate-02/event",
    "retry_request": "imigrasi/v1/cgk/gate/gate-01/event",
    "command": "imigrasi/v1/cgk/gate/gate-01/cmd",
    "command_ack": "imigrasi/v1/cgk/gate/gate-01/cmd/ack",
    "events_ack": "imigrasi/v1/cgk/gate/gate-01/ack",
    "watchlist_announce": "imigrasi/v1/cgk/watchlist/announce",
    "enrolment": "imigrasi/v1/cgk/kiosk/kiosk-01/event",
    "application": "imigrasi/v1/cgk/kiosk/kiosk-01/event",
}


def per_call_us(fn: Callable[[], object], number: int, repeat: int) -> tuple[float, float]:
    # CPU time of this process, not wall time: the machine is shared, and waiting for a core is not
    # the codec's cost. Wall-clock figures under load are higher; see bench/results/wire.md.
    runs = timeit.repeat(fn, number=number, repeat=repeat, timer=time.process_time)
    return statistics.median(runs) / number * 1e6, min(runs) / number * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--number", type=int, default=2000, help="calls per batch")
    parser.add_argument("--repeat", type=int, default=15, help="batches")
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()} on {platform.machine()}; {args.repeat} batches of {args.number}"
    )
    print("| type | bytes | encode µs (median / min) | decode µs | decode_from_topic µs |")
    print("|---|---|---|---|---|")
    for name, msg in examples().items():
        payload = encode(msg)
        topic = TOPICS.get(name)
        enc = per_call_us(partial(encode, msg), args.number, args.repeat)
        dec = per_call_us(partial(decode, payload), args.number, args.repeat)
        if topic is None:
            dft = "—"
        else:
            m, f = per_call_us(partial(decode_from_topic, topic, payload), args.number, args.repeat)
            dft = f"{m:.1f} / {f:.1f}"
        cells = [
            f"`{name}`",
            str(len(payload)),
            f"{enc[0]:.1f} / {enc[1]:.1f}",
            f"{dec[0]:.1f} / {dec[1]:.1f}",
            dft,
        ]
        print("| " + " | ".join(cells) + " |")
    ids = per_call_us(new_event_id, args.number, args.repeat)
    command = examples()["command"]
    canon = per_call_us(lambda: canonical_bytes(command), args.number, args.repeat)
    print(f"\nnew_event_id: {ids[0]:.2f} / {ids[1]:.2f} µs per id (median / min)")
    print(f"canonical_bytes(command): {canon[0]:.1f} / {canon[1]:.1f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
