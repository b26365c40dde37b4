"""What the door-controller backend adds to the GateDoor contract: lock polarity, power, refusals, links."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import serial

from core.clock import ManualClock
from emulator.doorctl import ClockedRig, DoorControllerRig, RigPort, register_rig, unregister_rig
from hal.door import DoorState, FailMode, GateDoor
from hal.doorctl import (
    CommandRefusedError,
    ControllerDoorDriver,
    DoorControllerLink,
    Leaf,
    Mode,
    Result,
    Target,
    controller_door,
    open_controller_link,
)
from hal.errors import BoardConfigError
from hal.firmware import protocol as p

ACK_TIMEOUT_S = 0.05


class Lane:
    """A controller on a ManualClock with a GateDoor on each leaf, sharing one link."""

    def __init__(self, secure: bool = False) -> None:
        self.clock = ManualClock()
        fail_mode = FailMode.SECURE if secure else FailMode.SAFE
        self.port = RigPort(DoorControllerRig(lock_fail_secure=(secure, secure)))
        self.rig = self.port.rig
        self.clocked = ClockedRig(self.port, self.clock).start()
        self.link = DoorControllerLink(self.port, ack_timeout_s=ACK_TIMEOUT_S)
        self.clock.advance(0.01)
        self.drivers = [
            ControllerDoorDriver(self.link, leaf, self.clock, fail_mode=fail_mode) for leaf in Leaf
        ]
        self.entrance, self.exit = (
            GateDoor(name=leaf.name.lower(), driver=d, clock=self.clock, fail_mode=fail_mode)
            for leaf, d in zip(Leaf, self.drivers, strict=True)
        )

    def shut(self) -> None:
        self.entrance.close_device()
        self.exit.close_device()
        self.clocked.stop()


@pytest.fixture
def lane() -> Iterator[Lane]:
    lane = Lane()
    yield lane
    lane.shut()


def test_both_leaves_on_one_link_report_their_own_moves(lane: Lane) -> None:
    events: list[str] = []
    lane.entrance.when_opened = lambda: events.append("entrance opened")
    lane.exit.when_closed = lambda: events.append("exit closed")
    lane.entrance.open()
    lane.clock.advance(1.0)
    assert events == ["entrance opened"]
    assert lane.entrance.state is DoorState.OPEN and lane.exit.state is DoorState.CLOSED


def test_the_controllers_interlock_refuses_opening_the_second_leaf(lane: Lane) -> None:
    lane.entrance.open()
    lane.clock.advance(1.0)
    with pytest.raises(CommandRefusedError, match="INTERLOCK") as refused:
        lane.exit.open()
    assert refused.value.result is Result.INTERLOCK
    assert lane.rig.leaves[Leaf.EXIT].is_closed


def test_the_drivers_heartbeats_keep_the_controller_in_normal_mode(lane: Lane) -> None:
    lane.clock.advance(10.0)
    assert lane.link.state.mode is Mode.NORMAL
    assert lane.entrance.state is DoorState.CLOSED


def test_closed_drivers_stop_heartbeats_and_the_controller_takes_its_safe_state(lane: Lane) -> None:
    lane.drivers[0].close()
    lane.drivers[1].close()
    lane.clock.advance(3.0)
    # Default safe state (SOP-003-A08 step 7): entrance released open, exit locked.
    assert lane.rig.leaves[Leaf.ENTRANCE].is_open
    assert lane.rig.lock_engaged(Leaf.EXIT)


def test_stopping_a_locked_leaf_keeps_it_locked(lane: Lane) -> None:
    lane.entrance.lock()
    lane.clock.advance(0.1)
    lane.entrance.reset()  # drive(STOPPED)
    assert lane.entrance.is_locked and lane.rig.lock_engaged(Leaf.ENTRANCE)


def test_a_door_whose_fail_mode_disagrees_with_the_firmware_is_refused() -> None:
    clock = ManualClock()
    port = RigPort(DoorControllerRig(lock_fail_secure=(False, True)))
    clocked = ClockedRig(port, clock).start()
    link = DoorControllerLink(port, ack_timeout_s=ACK_TIMEOUT_S)
    clock.advance(0.01)
    with pytest.raises(BoardConfigError, match="exit lock as fail-secure"):
        ControllerDoorDriver(link, Leaf.EXIT, clock, fail_mode=FailMode.SAFE)
    assert ControllerDoorDriver(link, Leaf.ENTRANCE, clock, fail_mode=FailMode.SAFE).is_locked is False
    clocked.stop()


def test_a_fail_secure_lock_is_energised_to_release_and_unpowered_to_hold() -> None:
    lane = Lane(secure=True)
    try:
        assert lane.rig.lock_energised(Leaf.ENTRANCE) and not lane.entrance.is_locked
        lane.entrance.lock()
        lane.clock.advance(0.1)
        assert not lane.rig.lock_energised(Leaf.ENTRANCE)
        assert lane.entrance.is_locked and lane.rig.push_open(Leaf.ENTRANCE) is False
    finally:
        lane.shut()


def test_fire_releases_a_fail_secure_lock_by_energising_it() -> None:
    lane = Lane(secure=True)
    try:
        lane.exit.lock()
        lane.clock.advance(0.1)
        lane.rig.set_fire(True)
        lane.clock.advance(0.1)
        assert lane.rig.lock_energised(Leaf.EXIT) and not lane.rig.lock_engaged(Leaf.EXIT)
        assert not lane.exit.is_locked
    finally:
        lane.shut()


def test_power_down_during_fire_leaves_the_fire_rule_in_charge(lane: Lane) -> None:
    lane.rig.set_fire(True)
    lane.clock.advance(1.0)
    lane.entrance.power_down()
    lane.clock.advance(0.1)
    assert lane.link.state.mode is Mode.FIRE
    assert lane.rig.leaves[Leaf.ENTRANCE].is_open and not lane.entrance.is_locked


def test_an_unpowered_controller_moves_nothing_and_a_restored_one_boots_afresh(lane: Lane) -> None:
    lane.entrance.open()
    lane.clock.advance(0.2)
    lane.rig.cut_power()
    position = lane.rig.leaves[Leaf.ENTRANCE].position
    lane.clock.advance(1.0)
    assert lane.rig.leaves[Leaf.ENTRANCE].position == position
    assert lane.entrance.state is DoorState.FAULT and "open switch" in (lane.entrance.fault or "")
    assert lane.drivers[0].controller_unpowered
    lane.rig.restore_power()
    lane.clock.advance(0.1)
    assert lane.link.state.leaves[Leaf.ENTRANCE].target is Target.HOLD
    assert not lane.drivers[0].controller_unpowered


def test_power_down_on_a_silent_controller_reports_the_locks_unpowered_state() -> None:
    lane = Lane(secure=True)
    try:
        lane.entrance.open()
        lane.clock.advance(1.0)
        lane.rig.cut_power()
        lane.entrance.power_down()
        assert lane.drivers[0].controller_unpowered and lane.entrance.is_locked
    finally:
        lane.shut()


def test_state_reports_carry_the_lock_types() -> None:
    payload = p.encode_state(0, False, 0, p.LEAF_NONE, 0, [1, 1], [0, 0], [0, 0], 0b10)
    assert p.decode_lock_types(payload) == 0b10
    assert p.decode_lock_types(p.encode_state(0, False, 0, p.LEAF_NONE, 0, [1, 1], [0, 0], [0, 0])) == 0


def test_emu_doorctl_urls_reach_a_registered_rig_through_the_emulators_handler() -> None:
    import emulator.devices

    emulator.devices.register()
    clock = ManualClock()
    register_rig("contract-lane", clock)
    try:
        port = serial.serial_for_url("emu://doorctl/contract-lane", timeout=0.05)
        link = DoorControllerLink(port)
        clock.advance(0.01)
        driver = ControllerDoorDriver(link, Leaf.ENTRANCE, clock)
        door = GateDoor(name="entrance", driver=driver, clock=clock)
        door.open()
        clock.advance(1.0)
        assert door.state is DoorState.OPEN
        door.close_device()
        port.close()
    finally:
        unregister_rig("contract-lane")


def test_a_board_opens_a_controller_door_from_a_url_and_leaf_name() -> None:
    import emulator.devices

    emulator.devices.register()
    clock = ManualClock()
    register_rig("board-lane", clock)
    link = open_controller_link("emu://doorctl/board-lane")
    try:
        clock.advance(0.01)
        door = controller_door(link, "exit", clock, name="exit", fail_mode="fail-safe", travel_time=1.0)
        door.open()
        clock.advance(1.0)
        assert door.state is DoorState.OPEN and door.name == "exit"
        door.close_device()
    finally:
        link.close()
        unregister_rig("board-lane")


def test_a_leaf_name_that_is_not_entrance_or_exit_is_a_config_error(lane: Lane) -> None:
    with pytest.raises(BoardConfigError, match="'entrance' or 'exit'"):
        controller_door(lane.link, "middle", lane.clock)


def test_an_unopenable_url_is_a_config_error_naming_the_url() -> None:
    with pytest.raises(BoardConfigError, match="/dev/nonexistent-doorctl"):
        open_controller_link("/dev/nonexistent-doorctl")
