"""The GateDoor contract on the emulated backend: gpiozero mock pins wired to the emulator's leaf."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from core.clock import ManualClock
from emulator.devices.door import EmulatedDoorLeaf
from hal.backend import emulated_clock, pin_factory, reset_emulated
from hal.door import DoorPins, FailMode, GateDoor
from hal.errors import BoardConfigError
from tests.hal.contract_door import DoorContract

PINS = DoorPins(motor_open=5, motor_close=6, lock=13, open_switch=19, closed_switch=26, obstruction=21)
SECOND_PINS = DoorPins(
    motor_open=4, motor_close=17, lock=27, open_switch=22, closed_switch=23, obstruction=24
)


class EmulatedRig:
    def __init__(self, pins: DoorPins, fail_mode: FailMode, clock: ManualClock) -> None:
        self.clock = clock
        self.door = GateDoor(pins, name="entry", fail_mode=fail_mode, backend="emulated", travel_time=1.0)
        self.leaf = EmulatedDoorLeaf(pin_factory("emulated"), pins, clock, fail_mode=fail_mode)
        self.clock.advance(self.leaf.tick)  # the leaf sets its switches on its first tick

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def obstruct(self, present: bool) -> None:
        self.leaf.obstruct(present)

    def jam(self, jammed: bool) -> None:
        self.leaf.jam(jammed)

    def cut_power(self) -> None:
        self.leaf.cut_power()

    def push_open(self) -> bool:
        return self.leaf.push_open()

    def make(self, fail_mode: FailMode) -> EmulatedRig:
        return EmulatedRig(SECOND_PINS, fail_mode, self.clock)


@pytest.fixture
def rig() -> Iterator[EmulatedRig]:
    reset_emulated()
    rig = EmulatedRig(PINS, FailMode.SAFE, emulated_clock())
    yield rig
    rig.door.close_device()
    reset_emulated()


class TestEmulatedDoor(DoorContract):
    pass


def test_door_pins_must_all_differ() -> None:
    reset_emulated()
    with pytest.raises(BoardConfigError, match="must all differ"):
        GateDoor(DoorPins(5, 5, 13, 19, 26, 21), backend="emulated")


def test_unknown_fail_mode_names_the_choices() -> None:
    with pytest.raises(BoardConfigError, match="fail-safe"):
        GateDoor(PINS, fail_mode="fail-open", backend="emulated")


def test_outputs_start_de_energised(rig: EmulatedRig) -> None:
    factory = pin_factory("emulated")
    assert [factory.pin(n).state for n in (PINS.motor_open, PINS.motor_close, PINS.lock)] == [0, 0, 0]


def test_commands_from_another_thread_while_time_advances_never_deadlock(rig: EmulatedRig) -> None:
    errors: list[Exception] = []
    stop = threading.Event()

    def commander() -> None:
        opening = True
        while not stop.is_set():
            try:
                (rig.door.open if opening else rig.door.close)()
            except Exception as exc:  # recorded, so a failure shows instead of a silent thread death
                errors.append(exc)
            opening = not opening

    thread = threading.Thread(target=commander, daemon=True)
    thread.start()
    for _ in range(300):
        rig.advance(0.01)
    stop.set()
    thread.join(5)
    assert not thread.is_alive() and errors == []
