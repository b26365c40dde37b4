"""The GateDoor contract: every door backend must pass these. Plug a backend in by subclassing.

A backend's test module subclasses ``DoorContract`` and provides a ``rig`` fixture returning an object
with the ``DoorRig`` shape: the door under test and the far end's hands (advance time, obstruct, jam,
cut power, push the leaf). ``tests/hal/test_door_emulated.py`` plugs in the emulated gpiozero backend;
the door-controller backend (``hal/doorctl.py``) can plug in the same way.
"""

from __future__ import annotations

from typing import Protocol

import pytest

from hal.door import DoorState, FailMode, GateDoor
from hal.errors import DoorError


class DoorRig(Protocol):
    door: GateDoor

    def advance(self, seconds: float) -> None: ...
    def obstruct(self, present: bool) -> None: ...
    def jam(self, jammed: bool) -> None: ...
    def cut_power(self) -> None: ...
    def push_open(self) -> bool: ...
    def make(self, fail_mode: FailMode) -> DoorRig: ...


class DoorContract:
    """Behaviour every ``GateDoor`` backend shows; ``rig`` starts with a closed, unlocked leaf."""

    def test_a_new_door_reports_its_leaf_closed(self, rig: DoorRig) -> None:
        assert rig.door.is_closed and not rig.door.is_open
        assert rig.door.state is DoorState.CLOSED

    def test_open_reaches_the_open_switch_and_fires_when_opened(self, rig: DoorRig) -> None:
        events: list[str] = []
        rig.door.when_opened = lambda: events.append("opened")
        rig.door.open()
        while_moving = rig.door.state
        rig.advance(rig.door.travel_time)
        assert while_moving is DoorState.OPENING
        assert events == ["opened"]
        assert rig.door.is_open and rig.door.state is DoorState.OPEN

    def test_a_completed_move_records_a_travel_time_within_the_limit(self, rig: DoorRig) -> None:
        rig.door.open()
        rig.advance(rig.door.travel_time)
        assert rig.door.last_travel_time is not None
        assert 0 < rig.door.last_travel_time <= rig.door.travel_time

    def test_close_after_open_reaches_the_closed_switch(self, rig: DoorRig) -> None:
        events: list[str] = []
        rig.door.when_closed = lambda: events.append("closed")
        rig.door.open()
        rig.advance(rig.door.travel_time)
        rig.door.close()
        rig.advance(rig.door.travel_time)
        assert events == ["closed"]
        assert rig.door.is_closed and rig.door.state is DoorState.CLOSED

    def test_a_jammed_leaf_is_a_fault_after_its_travel_time(self, rig: DoorRig) -> None:
        faults: list[str | None] = []
        rig.door.when_fault = lambda: faults.append(rig.door.fault)
        rig.jam(True)
        rig.door.open()
        rig.advance(rig.door.travel_time * 1.5)
        assert rig.door.state is DoorState.FAULT
        assert len(faults) == 1 and "open switch" in (faults[0] or "")

    def test_a_faulted_door_refuses_commands_until_reset(self, rig: DoorRig) -> None:
        rig.jam(True)
        rig.door.open()
        rig.advance(rig.door.travel_time * 1.5)
        with pytest.raises(DoorError, match="reset"):
            rig.door.open()
        rig.jam(False)
        rig.door.reset()
        rig.door.open()
        rig.advance(rig.door.travel_time)
        assert rig.door.is_open

    def test_an_obstruction_while_closing_stops_and_reopens(self, rig: DoorRig) -> None:
        events: list[str] = []
        rig.door.when_obstructed = lambda: events.append("obstructed")
        rig.door.when_opened = lambda: events.append("opened")
        rig.door.open()
        rig.advance(rig.door.travel_time)
        rig.door.close()
        rig.advance(rig.door.travel_time / 4)
        rig.obstruct(True)
        rig.advance(rig.door.travel_time)
        assert events == ["opened", "obstructed", "opened"]
        assert rig.door.is_open

    def test_close_refuses_to_start_while_obstructed(self, rig: DoorRig) -> None:
        rig.door.open()
        rig.advance(rig.door.travel_time)
        rig.obstruct(True)
        rig.door.close()
        rig.advance(rig.door.travel_time)
        assert rig.door.is_open and not rig.door.is_closed

    def test_lock_closes_and_latches_the_leaf(self, rig: DoorRig) -> None:
        rig.door.open()
        rig.advance(rig.door.travel_time)
        rig.door.lock()
        rig.advance(rig.door.travel_time)
        assert rig.door.is_closed and rig.door.is_locked
        assert rig.push_open() is False

    def test_a_locked_door_refuses_to_open_until_unlocked(self, rig: DoorRig) -> None:
        rig.door.lock()
        rig.advance(rig.door.travel_time)
        with pytest.raises(DoorError, match="unlock"):
            rig.door.open()
        rig.door.unlock()
        rig.door.open()
        rig.advance(rig.door.travel_time)
        assert rig.door.is_open

    def test_fail_safe_leaf_is_free_after_a_power_loss(self, rig: DoorRig) -> None:
        safe = rig.make(FailMode.SAFE)
        safe.door.lock()
        safe.advance(safe.door.travel_time)
        safe.cut_power()
        safe.door.power_down()
        assert not safe.door.is_locked
        assert safe.push_open() is True

    def test_fail_secure_leaf_stays_locked_after_a_power_loss(self, rig: DoorRig) -> None:
        secure = rig.make(FailMode.SECURE)
        secure.door.open()
        secure.advance(secure.door.travel_time)
        secure.door.close()
        secure.advance(secure.door.travel_time)
        secure.cut_power()
        secure.door.power_down()
        assert secure.door.is_locked
        assert secure.push_open() is False

    def test_closing_the_device_twice_is_harmless(self, rig: DoorRig) -> None:
        rig.door.close_device()
        rig.door.close_device()
        with pytest.raises(DoorError, match="closed"):
            rig.door.open()
