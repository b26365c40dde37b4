"""The same contracts against real devices on a hardware test rig (opt in: ``pytest -m hardware``).

Environment variables name what is wired:

- ``IMIGRASI_RIG_DOOR_PINS``: six BCM numbers ``motor_open,motor_close,lock,open_switch,closed_switch,
  obstruction`` (and ``IMIGRASI_RIG_DOOR_TRAVEL``, seconds, default 1.0); the door contract runs on
  the ``pi`` backend. Checks that need a hand on the leaf (obstruct, jam, cut power) skip unless the
  rig can do them itself.
- ``IMIGRASI_RIG_FINGERPRINT_URL``: the fingerprint module's serial port.
- ``IMIGRASI_RIG_MRZ_URL``: the passport reader's port (present the test passport when asked).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from hal.door import DoorPins, FailMode, GateDoor
from tests.hal.contract_door import DoorContract

pytestmark = pytest.mark.hardware


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set: no such device on this rig")
    return value


class HardwareDoorRig:
    def __init__(self, door: GateDoor) -> None:
        self.door = door

    def advance(self, seconds: float) -> None:
        time.sleep(seconds * 1.2)  # real leaves move in real time

    def obstruct(self, present: bool) -> None:
        pytest.skip("obstruction needs a hand (or a relay) on the rig")

    def jam(self, jammed: bool) -> None:
        pytest.skip("jamming a real leaf is not automated")

    def cut_power(self) -> None:
        pytest.skip("power cuts need a rig relay")

    def push_open(self) -> bool:
        pytest.skip("pushing the leaf needs a hand")

    def make(self, fail_mode: FailMode) -> HardwareDoorRig:
        pytest.skip("a second door with another lock type is not wired on this rig")


@pytest.fixture
def rig() -> Iterator[HardwareDoorRig]:
    pins = [int(p) for p in _env("IMIGRASI_RIG_DOOR_PINS").split(",")]
    travel = float(os.environ.get("IMIGRASI_RIG_DOOR_TRAVEL", "1.0"))
    door = GateDoor(DoorPins(*pins), name="rig", travel_time=travel, backend="pi")
    if not door.is_closed:
        door.close()
        time.sleep(travel * 1.2)
    yield HardwareDoorRig(door)
    door.close_device()


class TestHardwareDoor(DoorContract):
    pass


def test_the_fingerprint_module_answers() -> None:
    from hal.fingerprint import FingerprintModule

    with FingerprintModule(_env("IMIGRASI_RIG_FINGERPRINT_URL")) as module:
        params = module.read_system_parameters()
        assert module.handshake() and params.capacity > 0


def test_the_passport_reader_reads_the_test_passport() -> None:
    from hal.mrz import MrzReader

    with MrzReader(_env("IMIGRASI_RIG_MRZ_URL"), backend="pi") as reader:
        print("present the test passport to the reader (30 s)")
        reading = reader.wait_for_document(30)
        assert reading is not None and reading.valid
