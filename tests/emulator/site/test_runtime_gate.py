"""The real gate (edge.runtime.GateRuntime on the emulated board) played by the passenger driver.

One gate per module runs on a ``ScaledClock`` against a real Mosquitto (no central: nothing is acked,
so every event the gate wrote to its ledger must still be in its outbox — the gate side of "lost == 0").
The watch list is a signed snapshot of the cekal passengers (key generated per run); enrolments are
seeded into the gate's enrolment cache (face templates from the model on the fixture
photos, synthetic fingerprint templates of the finger the driver places).
"""

from __future__ import annotations

import pytest

from core.wire import CommandName
from emulator.devices.board import FACES
from emulator.population import Kind, Passenger
from emulator.rungate import RuntimeRig
from tests.emulator.site.runtime_support import assert_nothing_lost, play

pytestmark = pytest.mark.skipif(not (FACES / "person_a_1.jpg").exists(), reason="face fixtures missing")


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
