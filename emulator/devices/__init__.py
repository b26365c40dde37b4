"""The far end of every HAL wire: door physics, beams and walkers, serial devices, camera scenes, printer.

``register()`` makes the emulated devices reachable by address, without ``hal`` importing the emulator:
it adds this package to pyserial's protocol handlers (so ``emu://mrz/NAME``, ``emu://fingerprint/NAME``
and ``emu://printer/NAME`` open in-process emulated devices, see ``protocol_emu``) and adds the
``emu://camera/NAME`` scheme to ``hal.camera``'s frame sources. It is idempotent.
"""

from __future__ import annotations

import serial

PACKAGE = "emulator.devices"


def register() -> None:
    """Make ``emu://`` serial URLs and emulated camera sources reachable. Idempotent."""
    # Imported here, not at package import: the camera pulls in OpenCV, and the device modules
    # register their kinds with the serial-device registry as they load.
    from emulator import doorctl  # registers emu://doorctl/NAME (the door-controller firmware rig)
    from emulator.devices import fingerprint, mrz_reader, printer
    from emulator.devices.camera import open_source
    from hal.camera import register_source

    del doorctl, fingerprint, mrz_reader, printer
    if PACKAGE not in serial.protocol_handler_packages:
        serial.protocol_handler_packages.append(PACKAGE)
    register_source("emu", open_source)
