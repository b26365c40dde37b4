"""CPython stand-ins for MicroPython's ``machine`` and ``utime``, so the firmware runs off the device.

Not firmware: this file is never copied to the controller. A ``Shim`` is one virtual RP2040: its pins
keep the levels the firmware writes and the levels the outside world drives, its UARTs are byte queues
the host side fills and drains, and its clock moves only when told (``advance``), so tests and the
emulator never sleep.

``load_firmware(shim)`` executes the firmware's own modules (``protocol``, ``safety``, ``controller``)
against that shim and returns them. ``machine``/``utime`` and the firmware's plain module names are in
``sys.modules`` only while the firmware is being imported and are restored afterwards, so no fake
``machine`` module leaks into other code, and several controllers (each with its own clock) can run in
one process.

>>> shim = Shim()
>>> fw = load_firmware(shim)
>>> controller = fw.controller.DoorController(fw.controller.open_uart())
>>> shim.advance(10)
>>> controller.poll()
>>> shim.uart(0).drain()[:1] == bytes([fw.protocol.START])
True
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import Any, ClassVar

FIRMWARE_DIR = Path(__file__).resolve().parent
FIRMWARE_MODULES = ("protocol", "safety", "controller")
# MicroPython's ticks wrap at 2**30 on the rp2 port (MICROPY_PY_TIME_TICKS_PERIOD).
TICKS_PERIOD = 1 << 30


class ShimError(RuntimeError):
    """The firmware used the shim in a way the real device would not allow."""


class ShimPin:
    """``machine.Pin``: the subset the firmware uses (``IN``/``OUT``, pulls, ``value``, ``on``/``off``)."""

    IN: ClassVar[int] = 0
    OUT: ClassVar[int] = 1
    OPEN_DRAIN: ClassVar[int] = 2
    PULL_UP: ClassVar[int] = 1
    PULL_DOWN: ClassVar[int] = 2
    board: ClassVar[Shim]

    def __init__(self, id: int, mode: int = -1, pull: int = -1, *, value: int | None = None) -> None:
        self.id = id
        self.mode = self.IN
        self.pull = -1
        self._out = 0
        self.board.pins[id] = self
        self.init(mode, pull, value=value)

    def init(self, mode: int = -1, pull: int = -1, *, value: int | None = None) -> None:
        if mode != -1:
            self.mode = mode
        if pull != -1:
            self.pull = pull
        if value is not None:
            self._out = 1 if value else 0

    def value(self, x: int | bool | None = None) -> int | None:
        if x is not None:
            self._out = 1 if x else 0
            return None
        if self.mode == self.OUT:
            return self._out
        return self.board.input_level(self.id, self.pull)

    def on(self) -> None:
        self._out = 1

    def off(self) -> None:
        self._out = 0

    @property
    def output(self) -> int:
        """The level the firmware drives (host side)."""
        return self._out


class ShimUART:
    """``machine.UART``: ``read``/``write``/``any``; the host side uses ``inject`` and ``drain``."""

    board: ClassVar[Shim]

    def __init__(self, id: int, baudrate: int = 9600, **_options: Any) -> None:
        self.id = id
        self.baudrate = baudrate
        self._rx = bytearray()
        self._tx = bytearray()
        self.board.uarts[id] = self

    def read(self, nbytes: int | None = None) -> bytes | None:
        if not self._rx:
            return None  # MicroPython returns None, not b"", when nothing has arrived
        n = len(self._rx) if nbytes is None else min(nbytes, len(self._rx))
        data = bytes(self._rx[:n])
        del self._rx[:n]
        return data

    def any(self) -> int:
        return len(self._rx)

    def write(self, buf: bytes) -> int:
        self._tx += buf
        return len(buf)

    def inject(self, data: bytes) -> None:
        """Bytes arriving from the board (host side)."""
        self._rx += data

    def drain(self) -> bytes:
        """Everything the firmware has written since the last drain (host side)."""
        data = bytes(self._tx)
        self._tx.clear()
        return data


class ShimWDT:
    """``machine.WDT``: counts feeds; a real reset is out of scope for the shim."""

    def __init__(self, id: int = 0, timeout: int = 5000) -> None:
        self.timeout = timeout
        self.feeds = 0

    def feed(self) -> None:
        self.feeds += 1


class Shim:
    """One virtual controller board: pins, UARTs, a hand-advanced millisecond clock, and the modules."""

    def __init__(self, start_ms: int = 0) -> None:
        self.ms = start_ms
        self.pins: dict[int, ShimPin] = {}
        self.uarts: dict[int, ShimUART] = {}
        self._driven: dict[int, int] = {}
        self.machine = self._machine_module()
        self.utime = self._utime_module()

    # Host side -----------------------------------------------------------------------------------

    def advance(self, ms: int) -> None:
        """Move the clock forward by ``ms`` milliseconds."""
        if ms < 0:
            raise ShimError(f"time cannot go backwards ({ms} ms); advance by a positive amount")
        self.ms += ms

    def drive(self, pin: int, level: int | bool) -> None:
        """The outside world holds input ``pin`` at ``level``."""
        self._driven[pin] = 1 if level else 0

    def release(self, pin: int) -> None:
        """The outside world lets go of ``pin``; its pull resistor decides the level again."""
        self._driven.pop(pin, None)

    def output(self, pin: int) -> int:
        """The level the firmware writes to ``pin`` (0 if the firmware never set the pin up)."""
        found = self.pins.get(pin)
        return found.output if found is not None else 0

    def uart(self, id: int) -> ShimUART:
        try:
            return self.uarts[id]
        except KeyError:
            raise ShimError(
                f"the firmware has not opened UART {id}; construct the controller first"
            ) from None

    def input_level(self, pin: int, pull: int) -> int:
        if pin in self._driven:
            return self._driven[pin]
        return 1 if pull == ShimPin.PULL_UP else 0

    # utime --------------------------------------------------------------------------------------

    def ticks_ms(self) -> int:
        return self.ms % TICKS_PERIOD

    @staticmethod
    def ticks_diff(ticks1: int, ticks2: int) -> int:
        """MicroPython's wrap-safe difference of two tick values."""
        half = TICKS_PERIOD // 2
        return ((ticks1 - ticks2 + half) & (TICKS_PERIOD - 1)) - half

    @staticmethod
    def ticks_add(ticks: int, delta: int) -> int:
        return (ticks + delta) % TICKS_PERIOD

    def sleep_ms(self, ms: int) -> None:
        # Sleeping is time passing: the clock moves, the process does not block.
        self.advance(ms)

    def _machine_module(self) -> types.ModuleType:
        module = types.ModuleType("machine", "MicroPython machine shim (CPython)")
        module.Pin = type("Pin", (ShimPin,), {"board": self})  # type: ignore[attr-defined]
        module.UART = type("UART", (ShimUART,), {"board": self})  # type: ignore[attr-defined]
        module.WDT = ShimWDT  # type: ignore[attr-defined]
        return module

    def _utime_module(self) -> types.ModuleType:
        module = types.ModuleType("utime", "MicroPython utime shim (CPython)")
        module.ticks_ms = self.ticks_ms  # type: ignore[attr-defined]
        module.ticks_diff = self.ticks_diff  # type: ignore[attr-defined]
        module.ticks_add = self.ticks_add  # type: ignore[attr-defined]
        module.sleep_ms = self.sleep_ms  # type: ignore[attr-defined]
        return module


class Firmware:
    """The firmware's modules as loaded against one shim."""

    def __init__(self, modules: dict[str, types.ModuleType]) -> None:
        self.protocol = modules["protocol"]
        self.safety = modules["safety"]
        self.controller = modules["controller"]


def load_firmware(shim: Shim) -> Firmware:
    """Import a fresh copy of the firmware modules bound to ``shim``; ``sys.modules`` is restored."""
    names = ("machine", "utime", *FIRMWARE_MODULES)
    saved = {name: sys.modules.get(name) for name in names}
    loaded: dict[str, types.ModuleType] = {}
    try:
        sys.modules["machine"] = shim.machine
        sys.modules["utime"] = shim.utime
        for name in FIRMWARE_MODULES:
            spec = importlib.util.spec_from_file_location(name, FIRMWARE_DIR / f"{name}.py")
            if spec is None or spec.loader is None:  # pragma: no cover - the files ship with the package
                raise ShimError(f"cannot load firmware module {name!r} from {FIRMWARE_DIR}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            loaded[name] = module
    finally:
        for name, previous in saved.items():
            if previous is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous
    return Firmware(loaded)
