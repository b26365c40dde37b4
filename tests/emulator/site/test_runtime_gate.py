"""The real gate (edge.runtime.GateRuntime on the emulated board) played by the passenger driver.

One gate per module runs on a ``ScaledClock`` against a real Mosquitto (no central: nothing is acked,
so every event the gate wrote to its ledger must still be in its outbox — the gate side of "lost == 0").
The watch list is a signed snapshot of the cekal passengers (key generated per run); enrolments are
seeded into the gate's enrolment cache (face templates from the model on the fixture
photos, synthetic fingerprint templates of the finger the driver places).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.clock import ScaledClock
from core.wire import CommandName
from emulator.broker import BrokerConfig, MosquittoBroker
from emulator.devices.board import FACES
from emulator.driver import Played
from emulator.population import Kind, Passenger, Population
from emulator.rungate import FaceBook, RuntimeRig, enrolment_record, gate_config, seed_cache, seed_watchlist

pytestmark = pytest.mark.skipif(not (FACES / "person_a_1.jpg").exists(), reason="face fixtures missing")

FACTOR = 8.0  # emulated seconds per real second: fast, with room for the leaves' timer drift
KINDS = [k.value for k in Kind]


@pytest.fixture(scope="module")
def face() -> Any:
    from models import FacePipeline

    return FacePipeline.load()


@pytest.fixture(scope="module")
def passengers() -> dict[Kind, Passenger]:
    """The first passenger of every kind from one seeded population."""
    found: dict[Kind, Passenger] = {}
    for p in Population({k: 1 for k in KINDS}, seed=11).passengers(200):
        found.setdefault(p.kind, p)
    return found


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MosquittoBroker]:
    broker = MosquittoBroker(tmp_path_factory.mktemp("broker"), BrokerConfig()).start()
    try:
        yield broker
    finally:
        broker.kill()


def make_rig(
    folder: Path, broker: MosquittoBroker, face: Any, passengers: dict[Kind, Passenger]
) -> RuntimeRig:
    clock = ScaledClock(FACTOR)
    config = gate_config(
        folder,
        gate_id="gate-07",
        site="cgk",
        broker_url=broker.url,
        ledger=folder / "ledger.txt",
        watchlist_key=seed_watchlist(folder, passengers.values()),
    )
    book = FaceBook(face)
    assert config.enrolment_cache_dir is not None
    seed_cache(
        config.enrolment_cache_dir,
        [enrolment_record(p, book, "kiosk-01", clock) for p in passengers.values()],
    )
    return RuntimeRig(config, clock, face, supervisor_delay_s=3.0).start()


@pytest.fixture(scope="module")
def gate(
    tmp_path_factory: pytest.TempPathFactory,
    broker: MosquittoBroker,
    face: Any,
    passengers: dict[Kind, Passenger],
) -> Iterator[RuntimeRig]:
    rig = make_rig(tmp_path_factory.mktemp("gate"), broker, face, passengers)
    try:
        yield rig
    finally:
        rig.stop()


def play(rig: RuntimeRig, passenger: Passenger) -> Played:
    return rig.play(passenger, timeout_s=40.0)


def assert_nothing_lost(rig: RuntimeRig) -> None:
    ledger = rig.config.ledger_path
    assert ledger is not None
    emitted = {line.strip() for line in ledger.read_text(encoding="ascii").splitlines() if line.strip()}
    kept = {entry.event_id for entry in rig.runtime.outbox.pending()}
    assert emitted, "the gate emitted no events"
    assert emitted - kept == set()


def test_valid_passenger_crosses_after_fingerprint_and_face(
    gate: RuntimeRig, passengers: dict[Kind, Passenger]
) -> None:
    played = play(gate, passengers[Kind.VALID])
    assert (played.outcome, played.reason) == ("passed", "")
    assert played.shown[:4] == ["please_enter", "place_finger", "look_at_camera", "please_proceed"]
    assert_nothing_lost(gate)


def test_slow_passenger_also_crosses(gate: RuntimeRig, passengers: dict[Kind, Passenger]) -> None:
    assert play(gate, passengers[Kind.SLOW]).outcome == "passed"


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (Kind.EXPIRED, "document_expired"),
        (Kind.DAMAGED_MRZ, "document_unreadable"),
        (Kind.FOREIGN, "document_not_eligible"),
    ],
)
def test_refused_documents_keep_the_entrance_shut(
    gate: RuntimeRig, passengers: dict[Kind, Passenger], kind: Kind, reason: str
) -> None:
    played = play(gate, passengers[kind])
    assert (played.outcome, played.reason) == ("rejected", reason)
    assert "please_enter" not in played.shown


def test_impostor_is_sent_to_the_counter_after_the_granted_retry_fails(
    gate: RuntimeRig, passengers: dict[Kind, Passenger]
) -> None:
    before = len(gate.supervisor.issued)
    played = play(gate, passengers[Kind.IMPOSTOR])
    assert (played.outcome, played.reason) == ("redirected", "face_not_verified")
    assert [name for name, _ in gate.supervisor.issued[before:]].count(CommandName.GRANT_RETRY) == 1


def test_wrong_finger_first_passes_after_the_supervisor_grants_a_retry(
    gate: RuntimeRig, passengers: dict[Kind, Passenger]
) -> None:
    played = play(gate, passengers[Kind.NEEDS_RETRY])
    assert played.outcome == "passed"
    assert "try_again" in played.shown


def test_passenger_who_walks_away_is_recorded_as_abandoned(
    gate: RuntimeRig, passengers: dict[Kind, Passenger]
) -> None:
    played = play(gate, passengers[Kind.WALKS_AWAY])
    assert (played.outcome, played.reason) == ("abandoned", "walked_away")


def test_tailgater_raises_the_tailgating_alarm_and_both_go_back(
    gate: RuntimeRig, passengers: dict[Kind, Passenger]
) -> None:
    played = play(gate, passengers[Kind.TAILGATER])
    assert "tailgating" in played.alarms
    assert (played.outcome, played.reason) == ("redirected", "intrusion")


def test_someone_entering_from_the_exit_side_raises_wrong_way(
    gate: RuntimeRig, passengers: dict[Kind, Passenger]
) -> None:
    played = play(gate, passengers[Kind.WRONG_WAY])
    assert "wrong_way" in played.alarms
    assert played.shown[0] == "wrong_way"
    assert gate.runtime.flow.state == "awaiting_document"
    assert_nothing_lost(gate)


def test_identical_watch_list_hit_is_held_until_the_supervisor_releases_to_the_counter(
    gate: RuntimeRig, passengers: dict[Kind, Passenger]
) -> None:
    before = len(gate.supervisor.issued)
    played = play(gate, passengers[Kind.CEKAL_IDENTIK])
    assert "cekal_identik" in played.alarms
    assert (played.outcome, played.reason) == ("redirected", "supervisor_release_cekal")
    assert CommandName.RELEASE_PASSENGER in [name for name, _ in gate.supervisor.issued[before:]]


def test_possible_watch_list_match_is_held_for_review_then_released(
    gate: RuntimeRig, passengers: dict[Kind, Passenger]
) -> None:
    played = play(gate, passengers[Kind.CEKAL_MIRIP])
    assert "watchlist_review" in played.alarms
    assert (played.outcome, played.reason) == ("redirected", "supervisor_release_review")
    assert_nothing_lost(gate)
