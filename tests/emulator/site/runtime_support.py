"""Helpers of the real-gate tests: build one gate, play one passenger, check the gate lost nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.clock import ScaledClock
from emulator.broker import MosquittoBroker
from emulator.driver import Played
from emulator.population import Kind, Passenger
from emulator.rungate import FaceBook, RuntimeRig, enrolment_record, gate_config, seed_cache, seed_watchlist

FACTOR = 8.0  # emulated seconds per real second: fast, with room for the leaves' timer drift


def make_rig(
    folder: Path,
    broker: MosquittoBroker,
    face: Any,
    passengers: dict[Kind, Passenger],
    *,
    outbox_max_events: int = 100_000,
) -> RuntimeRig:
    clock = ScaledClock(FACTOR)
    config = gate_config(
        folder,
        gate_id="gate-07",
        site="cgk",
        broker_url=broker.url,
        ledger=folder / "ledger.txt",
        watchlist_key=seed_watchlist(folder, passengers.values()),
        outbox_max_events=outbox_max_events,
    )
    book = FaceBook(face)
    assert config.enrolment_cache_dir is not None
    seed_cache(
        config.enrolment_cache_dir,
        [enrolment_record(p, book, "kiosk-01", clock) for p in passengers.values()],
    )
    return RuntimeRig(config, clock, face, supervisor_delay_s=3.0).start()


def play(rig: RuntimeRig, passenger: Passenger) -> Played:
    return rig.play(passenger, timeout_s=40.0)


def assert_nothing_lost(rig: RuntimeRig) -> None:
    ledger = rig.config.ledger_path
    assert ledger is not None
    emitted = {line.strip() for line in ledger.read_text(encoding="ascii").splitlines() if line.strip()}
    kept = {entry.event_id for entry in rig.runtime.outbox.pending()}
    assert emitted, "the gate emitted no events"
    assert emitted - kept == set()
