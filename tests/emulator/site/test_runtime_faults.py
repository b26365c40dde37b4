"""Device faults on the real gate (edge.runtime on the emulated board): what the gate does, and that
every event it emitted is still in its outbox (no central here, so nothing is acked or dropped).

Each test builds its own gate: most faults leave the lane out of service.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.broker import MosquittoBroker
from emulator.devices.board import FACES, EmulatedBoard
from emulator.devices.walkers import Walker
from emulator.population import Kind, Passenger
from emulator.rungate import RuntimeRig
from tests.emulator.site.runtime_support import assert_nothing_lost, make_rig, play

pytestmark = pytest.mark.skipif(not (FACES / "person_a_1.jpg").exists(), reason="face fixtures missing")


@pytest.fixture
def fresh_gate(
    tmp_path: Path, broker: MosquittoBroker, face: Any, passengers: dict[Kind, Passenger]
) -> Iterator[RuntimeRig]:
    rig = make_rig(tmp_path / "gate", broker, face, passengers)
    try:
        yield rig
    finally:
        rig.stop()


def far_end(rig: RuntimeRig) -> EmulatedBoard:
    far = rig.runtime.board.far_end
    assert isinstance(far, EmulatedBoard)
    return far


def eventually(condition: Callable[[], bool], timeout_s: float = 20.0) -> bool:
    """Wait (real time) for the gate's threads to get there; the gate runs on its own clock."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def alarms_raised(rig: RuntimeRig) -> set[str]:
    return set(rig.runtime.flow.active_alarms)


def test_fire_alarm_opens_both_doors_and_the_lane_resumes_when_it_clears(fresh_gate: RuntimeRig) -> None:
    far, doors = far_end(fresh_gate), fresh_gate.runtime.board.doors
    assert far.fire_contact is not None
    far.fire_contact.raise_alarm()
    assert eventually(lambda: doors["entry"].is_open and doors["exit"].is_open)
    assert fresh_gate.runtime.flow.state == "fire_mode"
    assert "fire" in alarms_raised(fresh_gate)
    far.fire_contact.clear()
    assert eventually(lambda: fresh_gate.runtime.flow.state == "awaiting_document")
    assert_nothing_lost(fresh_gate)


def test_a_jammed_entrance_takes_the_lane_out_of_service(
    fresh_gate: RuntimeRig, passengers: dict[Kind, Passenger]
) -> None:
    doors = fresh_gate.runtime.board.doors
    # Jam the leaf once it has settled shut after start-up (a leaf jammed mid-move faults at once).
    assert eventually(lambda: doors["entry"].is_closed and doors["exit"].is_closed)
    far_end(fresh_gate).leaves["entry"].jam()
    played = play(fresh_gate, passengers[Kind.VALID])
    assert "door_fault" in played.alarms
    assert (played.outcome, played.reason) == ("redirected", "out_of_service")
    assert fresh_gate.runtime.flow.state == "out_of_service"
    assert_nothing_lost(fresh_gate)


def test_a_beam_stuck_broken_with_nobody_in_the_lane_raises_an_alarm(fresh_gate: RuntimeRig) -> None:
    lane = far_end(fresh_gate).lane
    assert lane is not None
    # A beam that reads "broken" for good (dirt on the lens): a thin object that never moves.
    lane.add(Walker(position=0.75, speed=0.0, length=0.02, kind="stuck-beam", stopped=True))
    assert eventually(lambda: bool(alarms_raised(fresh_gate) & {"tailgating", "wrong_way"}))
    assert fresh_gate.runtime.flow.state != "admitting"
    assert not fresh_gate.runtime.board.doors["entry"].is_open
    assert_nothing_lost(fresh_gate)


def test_a_lost_camera_sends_the_passenger_to_the_counter_and_stops_the_lane(
    fresh_gate: RuntimeRig, passengers: dict[Kind, Passenger]
) -> None:
    camera = far_end(fresh_gate).camera
    assert camera is not None
    camera.fail()
    played = play(fresh_gate, passengers[Kind.VALID])
    assert (played.outcome, played.reason) == ("redirected", "out_of_service")
    assert fresh_gate.runtime.flow.state == "out_of_service"
    assert "device_lost" in fresh_gate.runtime.flow.stop_reasons
    assert_nothing_lost(fresh_gate)


def test_an_unplugged_fingerprint_module_never_lets_the_passenger_through(
    fresh_gate: RuntimeRig, passengers: dict[Kind, Passenger]
) -> None:
    module = far_end(fresh_gate).fingerprint
    assert module is not None
    module.unplug()
    played = play(fresh_gate, passengers[Kind.VALID])
    assert played.outcome == "redirected"
    assert "look_at_camera" not in played.shown
    assert_nothing_lost(fresh_gate)


def test_garbage_on_the_mrz_line_before_the_document_is_skipped(
    fresh_gate: RuntimeRig, passengers: dict[Kind, Passenger]
) -> None:
    fresh_gate.driver.mrz_garbage = 40
    played = play(fresh_gate, passengers[Kind.VALID])
    assert (played.outcome, played.reason) == ("passed", "")
    assert_nothing_lost(fresh_gate)


def test_a_full_outbox_lets_the_passenger_inside_finish_then_stops_the_lane(
    tmp_path: Path, broker: MosquittoBroker, face: Any, passengers: dict[Kind, Passenger]
) -> None:
    # The outbox is the gate's bounded store (100 events, the last 50 kept for the passenger inside);
    # with no central acking, 45 earlier events leave room for only a few more before it is full.
    rig = make_rig(tmp_path / "gate", broker, face, passengers, outbox_max_events=100)
    try:
        for n in range(45):
            rig.runtime.outbox.append("imigrasi/v1/cgk/gate/gate-07/filler", b"x", event_id=f"filler-{n}")
        played = play(rig, passengers[Kind.VALID])
        assert played.outcome == "passed"
        assert eventually(lambda: rig.runtime.flow.state == "out_of_service")
        assert "outbox_full" in rig.runtime.flow.stop_reasons
        assert_nothing_lost(rig)
    finally:
        rig.stop()
