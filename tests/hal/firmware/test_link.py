"""The board's side of the door controller's UART (``hal.doorctl``) against the real firmware."""

from __future__ import annotations

import pytest
import serial

from core.clock import ManualClock
from emulator.doorctl import (
    ClockedRig,
    DoorControllerRig,
    DoorctlSerial,
    RigPort,
    register_rig,
    unregister_rig,
)
from hal.doorctl import (
    CommandRefusedError,
    ControllerTimeoutError,
    DoorControllerLink,
    Fault,
    FaultReport,
    Leaf,
    Mode,
    Position,
    Result,
    Target,
)


@pytest.fixture
def rig() -> DoorControllerRig:
    return DoorControllerRig()


@pytest.fixture
def link(rig: DoorControllerRig) -> DoorControllerLink:
    link = DoorControllerLink(RigPort(rig))
    link.configure(
        heartbeat_timeout_s=1.0, motor_timeout_s=2.0, safe_entrance=Target.OPEN, safe_exit=Target.LOCKED
    )
    return link


def test_an_accepted_command_moves_the_leaf_and_the_state_follows(
    rig: DoorControllerRig, link: DoorControllerLink
) -> None:
    link.set_leaf(Leaf.ENTRANCE, Target.OPEN)
    rig.run(700)
    link.poll()
    assert link.state.leaves[Leaf.ENTRANCE].position is Position.OPEN
    assert link.state.leaves[Leaf.EXIT].position is Position.CLOSED


def test_a_refused_command_raises_with_the_controllers_reason(
    rig: DoorControllerRig, link: DoorControllerLink
) -> None:
    link.set_leaf(Leaf.ENTRANCE, Target.OPEN)
    with pytest.raises(CommandRefusedError, match="INTERLOCK") as refused:
        link.set_leaf(Leaf.EXIT, Target.OPEN)
    assert refused.value.result is Result.INTERLOCK


def test_the_returning_board_learns_of_the_heartbeat_loss(
    rig: DoorControllerRig, link: DoorControllerLink
) -> None:
    link.heartbeat()
    rig.run(2500)
    link.heartbeat()
    link.poll()
    assert FaultReport(Fault.HEARTBEAT_LOST, None, 2500) in link.take_faults()
    assert link.refresh().latched_fault == FaultReport(Fault.HEARTBEAT_LOST, None, 2500)
    link.clear_fault()
    assert link.refresh().latched_fault is None


def test_fault_callbacks_see_an_obstruction(rig: DoorControllerRig, link: DoorControllerLink) -> None:
    seen: list[FaultReport] = []
    link.when_fault = seen.append
    link.set_leaf(Leaf.ENTRANCE, Target.OPEN)
    rig.run(700)
    link.set_leaf(Leaf.ENTRANCE, Target.CLOSED)
    rig.run(200)
    rig.set_obstructed(Leaf.ENTRANCE, True)
    rig.run(20)
    link.poll()
    assert FaultReport(Fault.OBSTRUCTION, Leaf.ENTRANCE, 0) in seen


def test_fire_mode_is_visible_in_the_state(rig: DoorControllerRig, link: DoorControllerLink) -> None:
    rig.set_fire(True)
    rig.run(20)
    state = link.refresh()
    assert state.mode is Mode.FIRE and state.fire_alarm


def test_out_of_range_timeouts_are_refused_before_sending(link: DoorControllerLink) -> None:
    with pytest.raises(ValueError, match="timeouts"):
        link.configure(
            heartbeat_timeout_s=100, motor_timeout_s=2, safe_entrance=Target.OPEN, safe_exit=Target.LOCKED
        )


def test_a_silent_port_times_out_with_a_hint() -> None:
    port = serial.serial_for_url("loop://", timeout=0)  # echoes our own frames; nobody answers
    link = DoorControllerLink(port, ack_timeout_s=0.05)
    with pytest.raises(ControllerTimeoutError, match="UART"):
        link.set_leaf(Leaf.ENTRANCE, Target.OPEN)


def test_a_clocked_rig_follows_a_manual_clock() -> None:
    clock = ManualClock()
    port = RigPort(DoorControllerRig())
    driver = ClockedRig(port, clock).start()
    link = DoorControllerLink(port)
    link.set_leaf(Leaf.ENTRANCE, Target.OPEN)
    clock.advance(0.7)
    link.poll()
    assert link.state.leaves[Leaf.ENTRANCE].position is Position.OPEN
    driver.stop()


def test_the_emu_doorctl_port_opens_a_registered_rig_on_its_clock() -> None:
    clock = ManualClock()
    register_rig("test-gate", clock)
    try:
        port = DoorctlSerial("emu://doorctl?name=test-gate", timeout=0)
        link = DoorControllerLink(port)
        link.set_leaf(Leaf.EXIT, Target.OPEN)
        clock.advance(0.7)
        link.poll()
        assert link.state.leaves[Leaf.EXIT].position is Position.OPEN
        port.close()
    finally:
        unregister_rig("test-gate")


def test_the_emu_doorctl_url_refuses_unknown_options() -> None:
    with pytest.raises(serial.SerialException, match="only 'name'"):
        DoorctlSerial("emu://doorctl?speed=fast")
