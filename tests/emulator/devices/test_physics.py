"""Door-leaf and lane physics on mock pins, driven by a hand-advanced clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.clock import ManualClock
from emulator.devices.door import EmulatedDoorLeaf
from emulator.devices.walkers import EmulatedLane, Walker
from hal.backend import emulated_clock, pin_factory, reset_emulated
from hal.beams import default_positions
from hal.door import DoorPins, FailMode

PINS = DoorPins(motor_open=5, motor_close=6, lock=13, open_switch=19, closed_switch=26, obstruction=21)


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    reset_emulated()
    yield emulated_clock()
    reset_emulated()


def drive(pin: int, value: bool) -> None:
    out = pin_factory("emulated").pin(pin)
    out.function = "output"
    out.state = value


def test_a_driven_motor_swings_the_leaf_in_its_travel_time(clock: ManualClock) -> None:
    leaf = EmulatedDoorLeaf(pin_factory("emulated"), PINS, clock, travel_time=0.6)
    drive(PINS.motor_open, True)
    clock.advance(0.3)
    halfway = leaf.position
    clock.advance(0.3 + leaf.tick)  # the leaf moves in ticks: allow the last one
    assert 0.4 < halfway < 0.6 and leaf.position == 1.0
    assert pin_factory("emulated").pin(PINS.open_switch).state


def test_a_latched_fail_safe_leaf_does_not_open(clock: ManualClock) -> None:
    leaf = EmulatedDoorLeaf(pin_factory("emulated"), PINS, clock, fail_mode=FailMode.SAFE)
    drive(PINS.lock, True)  # a powered maglock holds
    drive(PINS.motor_open, True)
    clock.advance(1.0)
    assert leaf.is_latched and leaf.position == 0.0


def test_a_fail_secure_leaf_is_latched_without_power(clock: ManualClock) -> None:
    leaf = EmulatedDoorLeaf(pin_factory("emulated"), PINS, clock, fail_mode=FailMode.SECURE)
    drive(PINS.lock, True)  # a powered strike releases
    released = leaf.is_latched
    leaf.cut_power()
    assert not released and leaf.is_latched


def test_walkers_break_the_beams_they_cover(clock: ManualClock) -> None:
    positions = default_positions(6)
    lane = EmulatedLane(pin_factory("emulated"), (4, 17, 27, 22, 23, 24), positions, clock)
    lane.add(Walker(position=0.75, speed=0.0, length=0.4))
    assert lane.broken == (False, False, True, False, False, False)


def test_walkers_leave_the_lane_and_the_beams_clear(clock: ManualClock) -> None:
    positions = default_positions(6)
    lane = EmulatedLane(pin_factory("emulated"), (4, 17, 27, 22, 23, 24), positions, clock)
    lane.walk_in(speed=1.5)
    clock.advance(4.0)
    assert lane.walkers == [] and not any(lane.broken)
