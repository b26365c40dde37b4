"""The far end of every HAL wire: door physics, beams and walkers, serial devices, camera scenes, printer.

``register()`` makes the emulated devices reachable by address, without ``hal`` importing the emulator:
it adds this package to pyserial's protocol handlers (so ``emu://mrz/NAME``, ``emu://fingerprint/NAME``
and ``emu://printer/NAME`` open in-process emulated devices) and adds the ``emu://camera/NAME`` scheme
to ``hal.camera``'s frame sources. It is idempotent.
"""

from __future__ import annotations

import serial

PACKAGE = "emulator.devices"


def register() -> None:
    """Make ``emu://`` serial URLs (and emulated camera sources) reachable. Idempotent."""
    # Importing the device modules registers their kinds with the serial-device registry.
    from emulator.devices import fingerprint, mrz_reader, printer

    del fingerprint, mrz_reader, printer
    if PACKAGE not in serial.protocol_handler_packages:
        serial.protocol_handler_packages.append(PACKAGE)
