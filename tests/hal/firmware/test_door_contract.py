"""The GateDoor contract on the door-controller backend: ``ControllerDoorDriver`` over the real firmware.

The rig is the firmware on its shim with leaf physics (``DoorControllerRig``), kept in step with a
``ManualClock`` by ``ClockedRig``; the driver talks to it through ``DoorControllerLink`` as the board
would over the UART. The door under test is the entrance leaf; the exit leaf stays closed, so the
controller's interlock allows every move the contract makes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.clock import ManualClock
from emulator.doorctl import ClockedRig, DoorControllerRig, RigPort
from hal.door import FailMode, GateDoor
from hal.doorctl import ControllerDoorDriver, DoorControllerLink, Leaf
from tests.hal.contract_door import DoorContract

# A dead controller is noticed after this long (wall clock, an I/O timeout); short keeps tests fast.
ACK_TIMEOUT_S = 0.05


class ControllerRig:
    """A door controller with both leaves closed, and a GateDoor on its entrance leaf."""

    def __init__(self, clock: ManualClock, fail_mode: FailMode, made: list[ControllerRig]) -> None:
        secure = fail_mode is FailMode.SECURE
        self.clock = clock
        self.port = RigPort(DoorControllerRig(lock_fail_secure=(secure, secure)))
        self.rig = self.port.rig
        self.clocked = ClockedRig(self.port, clock).start()
        self.link = DoorControllerLink(self.port, ack_timeout_s=ACK_TIMEOUT_S)
        clock.advance(0.01)  # the firmware's first loops read the switches
        self.driver = ControllerDoorDriver(self.link, Leaf.ENTRANCE, clock, fail_mode=fail_mode)
        self.door = GateDoor(
            name="entrance", driver=self.driver, clock=clock, fail_mode=fail_mode, travel_time=1.0
        )
        self._made = made
        made.append(self)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def obstruct(self, present: bool) -> None:
        self.rig.set_obstructed(Leaf.ENTRANCE, present)

    def jam(self, jammed: bool) -> None:
        self.rig.jam(Leaf.ENTRANCE, jammed)

    def cut_power(self) -> None:
        self.rig.cut_power()

    def push_open(self) -> bool:
        return self.rig.push_open(Leaf.ENTRANCE)

    def make(self, fail_mode: FailMode) -> ControllerRig:
        return ControllerRig(self.clock, fail_mode, self._made)

    def shut(self) -> None:
        self.door.close_device()
        self.clocked.stop()


@pytest.fixture
def rig() -> Iterator[ControllerRig]:
    made: list[ControllerRig] = []
    rig = ControllerRig(ManualClock(), FailMode.SAFE, made)
    yield rig
    for each in made:
        each.shut()


class TestControllerDoor(DoorContract):
    pass
