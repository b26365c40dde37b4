"""The gate runtime on the emulated board, time advanced by hand: SOP-003-A08 passages end to end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from core import wire
from tests.edge.rig import FACES, FINGER, Rig, cekal_entry, passport, wait_real


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    gate = Rig(tmp_path, watchlist=[])
    yield gate
    gate.close()


def test_the_gate_starts_inviting_a_passport_with_both_doors_shut(rig: Rig) -> None:
    assert rig.flow.state == "awaiting_document"
    assert rig.runtime.board.display is not None
    assert rig.runtime.board.display.current is not None
    assert rig.runtime.board.display.current.key == "scan_passport"
    status = rig.runtime.status()
    assert (status.entry_door, status.exit_door) == (wire.DoorState.LOCKED, wire.DoorState.LOCKED)


def test_a_whole_passage_opens_the_exit_door_and_records_the_crossing(rig: Rig) -> None:
    rig.present()
    rig.advance(1.2)
    assert rig.runtime.board.doors["entry"].is_open
    rig.far.fingerprint.place_finger(FINGER)
    rig.far.camera.present(FACES / "person_a_2.jpg")
    walker = rig.walk_in_and_stop()
    rig.advance(3.0)
    assert rig.flow.state == "exiting"
    assert rig.runtime.board.doors["exit"].is_open and rig.runtime.board.doors["entry"].is_closed
    walker.stopped = False
    rig.advance(4.0)
    assert rig.flow.state == "awaiting_document"
    [crossing] = rig.messages(wire.CrossingRecord)
    assert crossing.outcome is wire.CrossingOutcome.CROSSED
    assert crossing.document is not None and crossing.document.document_number == "X1234567"
    assert crossing.scores.face is not None and crossing.scores.fingerprint is not None
    assert wire.is_event_id(crossing.session_id) and crossing.watchlist_version == 1


def test_every_event_is_written_to_the_outbox_on_the_gate_topic(rig: Rig) -> None:
    rig.present()
    rig.advance(1.2)
    assert {e.topic for e in rig.runtime.outbox.pending()} == {"imigrasi/v1/cgk/gate/gate-01/event"}
    doors = rig.messages(wire.DoorEvent)
    assert (wire.Door.ENTRY, wire.DoorState.OPENED) in [(d.door, d.state) for d in doors]


def test_another_persons_face_asks_the_supervisor_for_a_retry(rig: Rig) -> None:
    rig.present()
    rig.advance(1.2)
    rig.far.fingerprint.place_finger(FINGER)
    rig.far.camera.present(FACES / "impostor_1.jpg")
    rig.walk_in_and_stop()
    rig.advance(3.0)
    assert rig.flow.state == "awaiting_face_retry"
    [request] = rig.messages(wire.BiometricRetryRequest)
    assert request.modality is wire.Modality.FACE and request.attempt == 1
    assert request.score is not None and request.threshold is not None and request.score < request.threshold
    assert rig.runtime.board.doors["exit"].is_closed


def test_a_wrong_finger_asks_the_supervisor_for_a_retry(rig: Rig) -> None:
    rig.present()
    rig.advance(1.2)
    rig.far.fingerprint.place_finger("someone-else")
    rig.walk_in_and_stop()
    rig.advance(3.0)
    assert rig.flow.state == "awaiting_fingerprint_retry"
    [request] = rig.messages(wire.BiometricRetryRequest)
    assert request.modality is wire.Modality.FINGERPRINT


def test_an_expired_passport_keeps_the_entry_shut_and_is_recorded(rig: Rig) -> None:

    rig.present(passport(expiry=date(2020, 1, 1)))
    assert rig.flow.state == "document_rejected"
    rig.advance(1.2)
    assert rig.runtime.board.doors["entry"].is_closed
    [record] = rig.messages(wire.CrossingRecord)
    assert (record.outcome, record.reason) == (wire.CrossingOutcome.REJECTED_DOCUMENT, "expired")


def test_without_an_enrolment_record_the_passenger_goes_to_the_counter(tmp_path: Path) -> None:
    gate = Rig(tmp_path, enrolled=False)
    try:
        gate.present()
        gate.advance(1.2)
        gate.walk_in_and_stop()
        gate.advance(2.0)
        assert gate.flow.state == "releasing_to_counter"
        assert gate.runtime.board.doors["exit"].is_closed
        [crossing] = gate.messages(wire.CrossingRecord)
        assert (crossing.outcome, crossing.reason) == (wire.CrossingOutcome.REDIRECTED, "no_enrolment_record")
    finally:
        gate.close()


def test_a_fire_alarm_opens_both_doors_from_any_state(rig: Rig) -> None:
    rig.present()
    rig.advance(1.2)
    rig.walk_in_and_stop()
    rig.advance(0.5)
    rig.far.fire_contact.raise_alarm()
    rig.advance(1.0)  # (c): both open within 1 s of the signal (emulated leaves travel 0.6 s)
    doors = rig.runtime.board.doors
    assert rig.flow.state == "fire_mode"
    assert doors["entry"].is_open and doors["exit"].is_open
    assert any(a.kind is wire.AlarmKind.FIRE and not a.cleared for a in rig.messages(wire.Alarm))
    rig.far.fire_contact.clear()
    rig.advance(0.1)
    assert rig.flow.state != "fire_mode"


def test_cekal_identik_is_held_inside_with_the_entry_locked(tmp_path: Path) -> None:
    gate = Rig(tmp_path, watchlist=[cekal_entry()])
    try:
        gate.present()
        gate.advance(1.2)
        gate.walk_in_and_stop()
        gate.advance(2.0)
        assert gate.flow.state == "held_cekal"
        doors = gate.runtime.board.doors
        assert doors["entry"].is_locked and doors["exit"].is_closed
        [alarm] = [a for a in gate.messages(wire.Alarm) if a.kind is wire.AlarmKind.CEKAL_IDENTIK]
        assert alarm.severity is wire.Severity.CRITICAL
        assert (alarm.watchlist_entry_id, alarm.instructions) == (
            "CK-1",
            "hold and hand over to the KPK liaison",
        )
        gate.advance(120.0)  # no timer releases a watch-list subject
        assert gate.flow.state == "held_cekal"
    finally:
        gate.close()


def test_the_status_names_doors_outbox_depth_and_watchlist(rig: Rig) -> None:
    rig.present()
    status = rig.runtime.status()
    assert status.lane_state == "admitting" and status.in_service
    assert status.outbox_depth == rig.runtime.outbox.depth() > 0
    assert status.watchlist_version == 1 and status.watchlist_age_s == pytest.approx(3600.0)
    assert status.software_version


def test_the_ledger_lists_every_event_id_written(tmp_path: Path) -> None:
    gate = Rig(tmp_path, gate={"id": "gate-01", "site": "cgk", "ledger": "ledger.txt"})
    try:
        gate.present(passport(expiry=date(2020, 1, 1)))
        ledger = tmp_path / "ledger.txt"

        def ledger_matches_outbox() -> bool:
            # The reader thread writes the ledger line just after the outbox append: wait for both.
            ids = ledger.read_text().split() if ledger.exists() else []
            return bool(ids) and ids == [e.event_id for e in gate.runtime.outbox.pending()]

        assert wait_real(ledger_matches_outbox), (ledger.read_text(), gate.runtime.outbox.pending())
    finally:
        gate.close()


def test_stop_cancels_the_flow_timer_and_later_events_do_nothing(tmp_path: Path) -> None:
    # Issue 6: GateRuntime.stop() left the flow's state timer armed; it fired into closed devices.
    gate = Rig(tmp_path, watchlist=[])
    try:
        gate.present()
        gate.advance(1.2)
        assert gate.flow.state == "admitting" and gate.flow.deadline() is not None
        state = gate.flow.state
        gate.runtime.stop()
        assert gate.flow.stopped
        # The admitting timeout (enter_s) and any other flow timer would have fired by now.
        gate.clock.advance(120.0)
        assert gate.flow.state == state
        assert gate.flow.send("fire_alarm_raised") is False and gate.flow.state == state
    finally:
        gate.close()


def test_a_gate_that_starts_with_a_full_outbox_is_out_of_service_with_an_alarm(tmp_path: Path) -> None:
    # Issue 6: at its size limit the gate stops accepting passengers (out of service + alarm) rather
    # than drop events; a limit already reached before start-up must count too.
    from core.clock import ManualClock
    from edge.outbox import Outbox

    clock = ManualClock()
    with Outbox(tmp_path / "outbox.db", max_events=100) as outbox:
        for _ in range(60):  # over the full mark (max_events - the runtime's reserve of 50)
            outbox.append(
                "imigrasi/v1/cgk/gate/gate-01/event", b"{}", event_id=wire.new_event_id(clock.now())
            )
    gate = Rig(tmp_path, watchlist=[], outbox={"max_events": 100})
    try:
        assert gate.runtime.outbox.is_full
        assert gate.flow.state == "out_of_service"
        assert {"outbox_full", "out_of_service"} <= set(gate.flow.active_alarms)
        assert gate.runtime.board.doors["entry"].is_closed
    finally:
        gate.close()


def test_a_wrong_way_walker_into_the_idle_lane_is_held_with_both_doors_latched(rig: Rig) -> None:
    # Issue 6: the exit-side beam broken from outside while the lane waits for a passport.
    walker = rig.far.lane.walk_in_wrong_way()
    for _ in range(200):
        rig.clock.advance(0.02)
        if walker.position <= 0.9:  # well inside the lane, and stays there
            walker.stopped = True
            break
    assert rig.flow.state == "intrusion_hold"
    doors = rig.runtime.board.doors
    assert doors["entry"].is_locked and doors["exit"].is_locked
    raised = [a for a in rig.messages(wire.Alarm) if not a.cleared]
    assert [a.kind for a in raised] == [wire.AlarmKind.WRONG_WAY], "one alarm for the whole walk"
    rig.far.mrz.present(passport())  # a passport laid on the reader opens nothing meanwhile
    rig.advance(1.0)
    assert rig.flow.state == "intrusion_hold" and doors["entry"].is_closed and doors["exit"].is_closed
    # Cleared by the supervisor with the walker still inside: out by the entrance, never a reset to an
    # idle lane that would take the next passport with someone in it.
    assert rig.flow.command("clear_alarm")
    rig.advance(1.5)
    assert rig.flow.state == "releasing_to_counter"
    assert doors["entry"].is_open and doors["exit"].is_closed


def test_a_body_appearing_at_the_exit_side_between_two_reads_is_still_wrong_way(rig: Rig) -> None:
    # Two beams break between two reads (on a board, two edges whose first callback runs after both):
    # the beams cannot tell a direction, the pattern can: nobody was admitted, yet the exit side of the
    # lane is broken. Before, this was taken for a second person ("tailgating").
    from emulator.devices.walkers import Walker

    lane = rig.far.lane
    exit_pin = lane._pin(lane.pins[-1])
    exit_pin._change_state(True)  # the exit beam's edge is not delivered yet
    lane.add(Walker(position=1.5, speed=0.0, length=0.4))  # covers the last two beams: one edge, two changes
    beams = rig.runtime.board.beams
    assert beams is not None and beams.broken[-2:] == (True, True) and beams.direction is None
    assert rig.flow.state == "intrusion_hold"
    assert [a.kind for a in rig.messages(wire.Alarm) if not a.cleared] == [wire.AlarmKind.WRONG_WAY]
    doors = rig.runtime.board.doors
    assert doors["entry"].is_locked and doors["exit"].is_locked


class _RecordingLink:
    """Always connected; keeps what the gate hands on, in order (event topic and status topic alike)."""

    is_connected = True
    when_connected = None

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> bool:
        self.sent.append((topic, payload))
        return True

    def subscribe(self, topic: str, handler: object, *, qos: int = 1) -> None:
        return None

    def start(self) -> _RecordingLink:
        return self

    def close(self) -> None:
        return None


def _prefill(path: Path, count: int) -> None:
    from core.clock import ManualClock
    from edge.outbox import Outbox

    clock = ManualClock()
    with Outbox(path, max_events=100) as outbox:
        for _ in range(count):
            outbox.append(
                "imigrasi/v1/cgk/gate/gate-01/event", b"{}", event_id=wire.new_event_id(clock.now())
            )


def _decodable(outbox: Any) -> list[wire.Message]:
    return [wire.decode(e.payload) for e in outbox.pending() if e.payload != b"{}"]


def test_the_event_that_fills_the_outbox_goes_out_before_the_full_alarm_and_the_status(
    tmp_path: Path,
) -> None:
    # Issue 6: at the full mark the gate alarms and goes out of service. The outbox's when_full used to
    # run inside the write of the event that reached the mark, before that event was handed on: when
    # the write came from outside the flow (here a watch-list alarm) the full alarm and the out-of-service
    # status went out first and the event that filled the outbox after them. Now: that event, then the
    # outbox_full alarm, then the status saying out of service because of it.
    link = _RecordingLink()
    gate = Rig(tmp_path, watchlist=[], link=link, outbox={"max_events": 100})
    try:
        outbox = gate.runtime.outbox
        while outbox.depth() < 49:  # one under the full mark (100 - the runtime's reserve of 50)
            outbox.append(
                "imigrasi/v1/cgk/gate/gate-01/event", b"{}", event_id=wire.new_event_id(gate.clock.now())
            )
        assert not outbox.is_full
        gate.runtime.publisher.replay_now()  # what the link's connect would do: the stored 49 go out
        link.sent.clear()
        gate.runtime.raise_alarm("watchlist_stale", "the watch list is older than allowed")
        assert gate.runtime.outbox.is_full and gate.flow.state == "out_of_service"
        said: list[str] = []
        for _topic, payload in link.sent:
            message = wire.decode(payload)
            if isinstance(message, wire.Alarm):
                said.append(message.kind.value)
            elif isinstance(message, wire.DeviceStatus) and not message.in_service:
                said.append(f"status:{message.reason}")
        first_status = said.index("status:outbox_full")
        assert said[: first_status + 1] == ["watchlist_stale", "outbox_full", "status:outbox_full"]
        stored = [m.kind.value for m in _decodable(gate.runtime.outbox) if isinstance(m, wire.Alarm)]
        assert stored == ["watchlist_stale", "outbox_full"], "one full alarm, after the event that filled it"
    finally:
        gate.close()


def test_a_gate_at_the_hard_limit_alarms_once_and_does_not_spin(tmp_path: Path) -> None:
    # At the hard limit the outbox refuses even the full alarm; the refusal says "full" again. The flow
    # used to answer that with another alarm, refused again, forever (the flow thread never returned).
    _prefill(tmp_path / "outbox.db", 100)
    gate = Rig(tmp_path, watchlist=[], outbox={"max_events": 100})
    try:
        assert gate.flow.state == "out_of_service"
        assert "outbox_full" in gate.flow.active_alarms
        assert gate.runtime.outbox.depth() == 100, "nothing dropped, nothing more stored"
    finally:
        gate.close()
