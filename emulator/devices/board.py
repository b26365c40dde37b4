"""The far end of a whole emulated board: name it in a board config as ``far_end``.

``[board] far_end = "emulator.devices.board"`` makes ``hal.board.Board.open`` call ``prepare(config)``
(register the ``emu://`` handlers, put fresh emulated serial devices and cameras at the configured
addresses) and then ``attach(board)`` (wire door leaves, the lane's beams and the fire contact to the
mock pins). The returned ``EmulatedBoard`` holds every far-end object, and ``selftest_assist`` plays
the rig operator's part in ``python -m hal selftest`` (present the test passport, place the test finger,
stand in front of the camera).
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

from core.documents import TravelDocument
from emulator.devices import register
from emulator.devices.camera import EmulatedCamera, camera, forget_camera
from emulator.devices.door import EmulatedDoorLeaf
from emulator.devices.fingerprint import EmulatedFingerprintModule
from emulator.devices.mrz_reader import EmulatedMrzReader
from emulator.devices.printer import EmulatedReceiptPrinter
from emulator.devices.serialdev import SerialDevice, device, install
from emulator.devices.signals import EmulatedFireAlarmContact
from emulator.devices.walkers import EmulatedLane
from hal.backend import backend_clock, pin_factory
from hal.board import Board, BoardConfig, SerialConfig
from hal.door import FailMode

T = TypeVar("T")

# The rig's test passport: an ICAO-style specimen in Indonesia's code, valid until 2035.
TEST_DOCUMENT = TravelDocument(
    document_code="P",
    issuing_state="IDN",
    surname="SPESIMEN",
    given_names="UJI",
    document_number="X0000001",
    nationality="IDN",
    birth_date=date(1990, 1, 1),
    sex="F",
    expiry_date=date(2035, 1, 1),
)
TEST_FINGER = "rig-test-finger"
FACES = Path(
    os.environ.get(
        "IMIGRASI_FACE_FIXTURES", Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "faces"
    )
)


def _name(url: str) -> tuple[str, str] | None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "emu":
        return None
    return parts.netloc, parts.path.strip("/") or "default"


class EmulatedBoard:
    def __init__(self, board: Board) -> None:
        factory = pin_factory("emulated")
        config = board.config
        self.board = board
        self.leaves = {
            name: EmulatedDoorLeaf(factory, door.pins, board.clock, fail_mode=door.fail_mode)
            for name, door in config.doors.items()
            if door.pins is not None  # doorctl leaves are driven by the firmware rig instead
        }
        self.lane = (
            EmulatedLane(factory, config.beams.pins, board.beams.positions, board.clock)
            if board.beams is not None and config.beams is not None
            else None
        )
        self.fire_contact = (
            EmulatedFireAlarmContact(factory, config.fire_alarm[0], normally_closed=config.fire_alarm[1])
            if config.fire_alarm
            else None
        )
        self.mrz = _installed(config.mrz.url if config.mrz else None, EmulatedMrzReader)
        self.fingerprint = _installed(
            config.fingerprint.url if config.fingerprint else None, EmulatedFingerprintModule
        )
        self.printer = _installed(config.printer.url if config.printer else None, EmulatedReceiptPrinter)
        address = _name(config.camera[0]) if config.camera else None
        self.camera: EmulatedCamera | None = camera(address[1]) if address else None

    def selftest_assist(self, step: str) -> None:
        """Do what the rig operator would before ``step`` of the self-test."""
        if step == "mrz" and self.mrz is not None:
            self.mrz.present(TEST_DOCUMENT)
        elif step == "fingerprint" and self.fingerprint is not None:
            self.fingerprint.place_finger(TEST_FINGER)
        elif step == "camera" and self.camera is not None and (FACES / "person_a_1.jpg").exists():
            self.camera.present(FACES / "person_a_1.jpg")

    def close(self) -> None:
        for leaf in self.leaves.values():
            leaf.stop()
        if self.lane is not None:
            self.lane.stop()


def _installed(url: str | None, cls: type[T]) -> T | None:
    address = _name(url) if url else None
    if address is None:
        return None
    found = device(*address)
    return found if isinstance(found, cls) else None


def prepare(config: BoardConfig) -> None:
    """Register the handlers and put fresh emulated devices at the config's ``emu://`` addresses."""
    register()
    wanted: list[tuple[SerialConfig | None, Callable[[], SerialDevice]]] = [
        (config.mrz, EmulatedMrzReader),
        (config.fingerprint, EmulatedFingerprintModule),
        (config.printer, EmulatedReceiptPrinter),
    ]
    for serial_config, make in wanted:
        address = _name(serial_config.url) if serial_config else None
        if address is not None:
            install(address[0], address[1], make())
    # Doors on the door controller: the firmware rig behind emu://doorctl/NAME, on the board's clock.
    from emulator.doorctl import register_rig, unregister_rig

    for url in {door.url for door in config.doors.values() if door.backend == "doorctl" and door.url}:
        rig = _name(url)
        if rig is None:
            continue

        def fail_secure(leaf: str, url: str = url) -> bool:
            doors = config.doors.values()
            return any(d.fail_mode is FailMode.SECURE for d in doors if d.url == url and d.leaf == leaf)

        unregister_rig(rig[1])
        register_rig(
            rig[1],
            backend_clock(config.backend),
            lock_fail_secure=(fail_secure("entrance"), fail_secure("exit")),
        )
    address = _name(config.camera[0]) if config.camera else None
    if config.camera and address is not None:
        forget_camera(address[1])
        camera(address[1], width=config.camera[1], height=config.camera[2])


def attach(board: Board) -> EmulatedBoard:
    return EmulatedBoard(board)
