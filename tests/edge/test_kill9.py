"""``kill -9`` of the edge process between the outbox write and the publish loses nothing.

The gate runs as ``python -m edge run`` on the emulated board against a real Mosquitto. With
``IMIGRASI_EDGE_PAUSE_AFTER_WRITE`` it stops right after its first event is committed to the outbox
and before publishing it; the test kills it there, restarts it, and a peer acting as central (acking
each event on the gate's ``ack`` topic) must receive that event and every event in the gate's ledger.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from core import wire
from emulator.broker import MosquittoBroker
from tests.edge.peer import CentralPeer, wait_until
from tests.edge.rig import BOARD

ROOT = Path(__file__).resolve().parents[2]


def _config(tmp: Path, url: str) -> Path:
    path = tmp / "gate.toml"
    path.write_text(
        f"""
[gate]
id = "gate-01"
site = "cgk"
[board]
config = "{BOARD}"
[face]
liveness = "off"
[link]
url = "{url}"
[metrics]
port = 0
"""
    )
    return path


def _run(config: Path, ledger: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "edge", "run", "--config", str(config), "--ledger", str(ledger)],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_an_event_written_but_not_published_before_kill_9_reaches_central(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    config, ledger, marker = _config(tmp_path, mosquitto.url), tmp_path / "ledger.txt", tmp_path / "paused"
    first = _run(config, ledger, {"IMIGRASI_EDGE_PAUSE_AFTER_WRITE": str(marker)})
    try:
        assert wait_until(marker.exists, timeout=60), "the gate never wrote its first event"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    stranded = marker.read_text()
    assert wire.is_event_id(stranded)

    central = CentralPeer(mosquitto.url, "gate-01").start()
    second = _run(config, ledger, {})
    try:
        assert central.wait_for({stranded}, timeout=60), "the event stored before the kill was replayed"
        central.send_command(wire.CommandName.OPEN_DOORS_FOR_EVACUATION)  # more events: alarm, doors
        assert wait_until(lambda: any(isinstance(m, wire.Alarm) for m in central.received), timeout=30)
        assert wait_until(lambda: ledger.exists() and set(ledger.read_text().split()) <= central.event_ids())
        assert stranded in central.event_ids()
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(20) == 0
        central.close()
