"""The door controller at wire level: the real firmware on a virtual RP2040, with door-leaf physics.

URL format: ``emu://doorctl/NAME`` (also ``emu://doorctl?name=NAME``; the name defaults to ``doorctl``).
A rig registered under that name with ``register_rig(name, clock)`` is used; otherwise one is created
on the system clock, so a demo runs in real time. No other options are accepted. Importing this module
registers the ``doorctl`` kind with the emulator's ``emu://`` handler (``emulator.devices``), so
``serial.serial_for_url("emu://doorctl/lane1")`` works once ``emulator.devices.register()`` has run;
``DoorctlSerial`` is the same port as a class, for code that builds its port directly.

``DoorControllerRig`` loads ``hal/firmware`` against the ``machine``/``utime`` shim, wires two door
leaves to its pins (a driven motor moves the leaf; the leaf makes its position switches at the ends of
travel) and exposes the controller's UART as bytes in and out. Time passes only through ``run(ms)``;
bytes written reach the firmware at once, so an ACK is readable as soon as its command was written.
The fire-alarm contact, obstruction sensors, a jammed leaf and a power cut are faults a test or scenario
can inject; each lock is fail-safe (a maglock) or fail-secure (a strike), as ``lock_fail_secure`` says.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from serial import SerialBase, SerialException

from core.clock import Clock, SystemClock, Timer
from emulator.devices.serialdev import SerialDevice, install, register_kind
from hal.firmware.shim import Shim, load_firmware

if TYPE_CHECKING:
    from typing_extensions import Buffer

DEFAULT_TRAVEL_MS = 600  # a swing leaf from closed to open; SOP-003-A08 allows 1 s per door step
DEFAULT_POLL_MS = 5  # the firmware's loop period (controller.run sleeps 5 ms)


@dataclass
class Leaf:
    """One door leaf: 0.0 is closed, 1.0 fully open."""

    travel_ms: int
    position: float = 0.0
    jammed: bool = False

    def move(self, dt_ms: int, motor_on: bool, opening: bool) -> None:
        if not motor_on or self.jammed or dt_ms <= 0:
            return
        delta = dt_ms / self.travel_ms
        self.position = min(1.0, self.position + delta) if opening else max(0.0, self.position - delta)

    @property
    def is_closed(self) -> bool:
        return self.position <= 0.0

    @property
    def is_open(self) -> bool:
        return self.position >= 1.0


class DoorControllerRig:
    """The firmware, its pins wired to two leaves, a fire contact and two obstruction sensors."""

    def __init__(
        self,
        *,
        travel_ms: int = DEFAULT_TRAVEL_MS,
        poll_ms: int = DEFAULT_POLL_MS,
        start_ms: int = 0,
        lock_fail_secure: tuple[bool, bool] = (False, False),
    ) -> None:
        if travel_ms <= 0 or poll_ms <= 0:
            raise ValueError(f"travel_ms ({travel_ms}) and poll_ms ({poll_ms}) must be positive")
        self.poll_ms = poll_ms
        self.lock_fail_secure = lock_fail_secure
        self.leaves = [Leaf(travel_ms), Leaf(travel_ms)]
        self.obstructed = [False, False]
        self.fire = False
        self.elapsed_ms = 0
        self._boot(start_ms)

    def _boot(self, start_ms: int) -> None:
        """Power-up: a fresh firmware with every output low, as after a reset."""
        self.shim = Shim(start_ms)
        self.firmware = load_firmware(self.shim)
        ctl: Any = self.firmware.controller
        self.pins: Any = ctl
        self.controller: Any = ctl.DoorController(ctl.open_uart(), self.lock_fail_secure)
        self.uart = self.shim.uart(ctl.UART_ID)
        self.powered = True
        self._wire_inputs()

    # Bytes ---------------------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Bytes from the board; the firmware handles them at once (no time passes)."""
        if not self.powered:
            return  # an unpowered controller hears nothing
        self.uart.inject(data)
        self.controller.poll()

    def read(self) -> bytes:
        """Everything the firmware has sent since the last read."""
        if not self.powered:
            return b""
        return self.uart.drain()

    # Time ----------------------------------------------------------------------------------------

    def run(self, ms: int) -> None:
        """Let ``ms`` milliseconds pass: leaves move under their motors, the firmware polls."""
        remaining = ms
        while remaining > 0:
            dt = min(self.poll_ms, remaining)
            for leaf, state in enumerate(self.leaves):
                state.move(dt, self.motor_on(leaf), self.motor_opening(leaf))
            if self.powered:
                self._wire_inputs()
                self.shim.advance(dt)
                self.controller.poll()
            self.elapsed_ms += dt
            remaining -= dt

    # Faults and inputs ---------------------------------------------------------------------------

    def set_fire(self, active: bool) -> None:
        self.fire = active
        self._wire_inputs()

    def set_obstructed(self, leaf: int, obstructed: bool) -> None:
        self.obstructed[leaf] = obstructed
        self._wire_inputs()

    def jam(self, leaf: int, jammed: bool = True) -> None:
        """The leaf stops moving whatever its motor does (something wedged in the hinge)."""
        self.leaves[leaf].jammed = jammed

    def cut_power(self) -> None:
        """The controller, motors and locks lose power: nothing moves, each lock takes its unpowered
        state (a fail-safe lock frees the leaf, a fail-secure lock holds it) and the UART goes silent."""
        self.powered = False

    def restore_power(self) -> None:
        """Power returns: the controller boots afresh (outputs low, heartbeat rule from the start)."""
        if not self.powered:
            self._boot(0)

    def push_open(self, leaf: int) -> bool:
        """A person pushes the leaf by hand; it swings open unless latched or jammed. Returns whether
        it moved. Only a closed leaf can be latched."""
        state = self.leaves[leaf]
        if state.jammed or (state.is_closed and self.lock_engaged(leaf)):
            return False
        state.position = 1.0
        if self.powered:
            self._wire_inputs()
        return True

    # Outputs, as the pins show them -------------------------------------------------------------

    def motor_on(self, leaf: int) -> bool:
        return self.powered and self.shim.output(self.pins.PINS_MOTOR_ON[leaf]) == 1

    def motor_opening(self, leaf: int) -> bool:
        return self.powered and self.shim.output(self.pins.PINS_MOTOR_OPEN[leaf]) == 1

    def lock_energised(self, leaf: int) -> bool:
        return self.powered and self.shim.output(self.pins.PINS_LOCK[leaf]) == 1

    def lock_engaged(self, leaf: int) -> bool:
        """Whether the lock holds: a fail-safe lock while energised, a fail-secure one while not."""
        energised = self.lock_energised(leaf)
        return not energised if self.lock_fail_secure[leaf] else energised

    def _wire_inputs(self) -> None:
        pins = self.pins
        for leaf, state in enumerate(self.leaves):
            # Position switches are normally open to ground: made (0) at the end of travel.
            self._hold_low(pins.PINS_CLOSED[leaf], state.is_closed)
            self._hold_low(pins.PINS_OPENED[leaf], state.is_open)
            # Obstruction sensors are normally closed to ground: interrupted lets the pull-up win.
            self._hold_low(pins.PINS_OBSTRUCTION[leaf], not self.obstructed[leaf])
        self._hold_low(pins.PIN_FIRE, not self.fire)

    def _hold_low(self, pin: int, low: bool) -> None:
        if low:
            self.shim.drive(pin, 0)
        else:
            self.shim.release(pin)


class RigPort:
    """The rig's UART as the board sees it: the pyserial calls a link uses, served from memory.

    Thread-safe, so a clock's timer thread can run the rig while the gate flow reads and writes.
    """

    def __init__(self, rig: DoorControllerRig) -> None:
        self.rig = rig
        self._rx = bytearray()
        self._lock = threading.RLock()
        self.is_open = True

    @property
    def in_waiting(self) -> int:
        with self._lock:
            self._rx += self.rig.read()
            return len(self._rx)

    def read(self, size: int = 1) -> bytes:
        with self._lock:
            self._rx += self.rig.read()
            data = bytes(self._rx[:size])
            del self._rx[:size]
            return data

    def write(self, data: bytes, /) -> int:
        with self._lock:
            self.rig.write(bytes(data))
            return len(data)

    def run(self, ms: int) -> None:
        """Let time pass on the rig, serialised with reads and writes."""
        with self._lock:
            self.rig.run(ms)

    def close(self) -> None:
        self.is_open = False


class ClockedRig:
    """Keeps a rig's time in step with a ``core.clock.Clock`` (a ``ManualClock`` in tests).

    ``after_tick`` (if set) is called after every step of rig time, e.g. to pass the controller's
    output on to a connected serial host.
    """

    def __init__(self, port: RigPort, clock: Clock) -> None:
        self.port = port
        self.clock = clock
        self.after_tick: Callable[[], None] | None = None
        self._last = clock.monotonic()
        self._timer: Timer | None = None
        self._stopped = False

    def start(self) -> ClockedRig:
        self._schedule()
        return self

    def stop(self) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()

    def _schedule(self) -> None:
        if not self._stopped:
            self._timer = self.clock.call_later(self.port.rig.poll_ms / 1000, self._tick)

    def _tick(self) -> None:
        now = self.clock.monotonic()
        elapsed = round((now - self._last) * 1000)
        if elapsed > 0:
            self._last += elapsed / 1000
            self.port.run(elapsed)
            if self.after_tick is not None:
                self.after_tick()
        self._schedule()


class RigSerialDevice(SerialDevice):
    """A clocked rig as an ``emu://doorctl/NAME`` device of the emulator's serial handler.

    Bytes the host writes reach the firmware at once; what the firmware sends is passed on after
    each write and after each step of rig time, while a host is connected.
    """

    kind = "doorctl"

    def __init__(self, driver: ClockedRig | None = None) -> None:
        super().__init__()
        if driver is None:
            driver = ClockedRig(RigPort(DoorControllerRig()), SystemClock()).start()
        self.driver = driver
        self.driver.after_tick = self.flush

    def receive(self, data: bytes) -> None:
        self.driver.port.write(data)
        self.flush()

    def flush(self) -> None:
        port = self.driver.port
        if self.connected:
            data = port.read(port.in_waiting)
            if data:
                self.send(data)


_RIGS: dict[str, ClockedRig] = {}
_RIGS_LOCK = threading.Lock()


def register_rig(name: str, clock: Clock, **rig_options: Any) -> ClockedRig:
    """Create and start the rig that ``emu://doorctl?name=<name>`` opens, running on ``clock``."""
    with _RIGS_LOCK:
        if name in _RIGS:
            raise ValueError(f"a door-controller rig named {name!r} exists; unregister_rig() it first")
        driver = ClockedRig(RigPort(DoorControllerRig(**rig_options)), clock).start()
        _RIGS[name] = driver
    install(RigSerialDevice.kind, name, RigSerialDevice(driver))
    return driver


def unregister_rig(name: str) -> None:
    """Stop and forget the named rig (harmless if there is none)."""
    with _RIGS_LOCK:
        driver = _RIGS.pop(name, None)
    if driver is not None:
        driver.stop()


def _rig_port(name: str) -> RigPort:
    with _RIGS_LOCK:
        driver = _RIGS.get(name)
    if driver is None:
        driver = register_rig(name, SystemClock())
    return driver.port


class DoorctlSerial(SerialBase):
    """A pyserial port onto a door-controller rig (see the module docstring for the URL)."""

    def open(self) -> None:
        if self.is_open:
            raise SerialException("the emu://doorctl port is already open")
        if self.port is None:
            raise SerialException("set the port URL (emu://doorctl?name=...) before opening it")
        self._rig = _rig_port(self.from_url(str(self.port)))
        self.is_open = True

    @staticmethod
    def from_url(url: str) -> str:
        """The rig name in ``url``; unknown hosts or options are refused."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "emu" or parts.netloc != "doorctl":
            raise SerialException(f"expected emu://doorctl[/NAME], got {url!r}")
        options = urllib.parse.parse_qs(parts.query)
        unknown = set(options) - {"name"}
        if unknown:
            raise SerialException(f"unknown option(s) {sorted(unknown)} in {url!r}; only 'name' is accepted")
        path_name = parts.path.strip("/")
        if path_name and "name" in options:
            raise SerialException(f"{url!r} names the rig twice; use emu://doorctl/NAME")
        return path_name or options.get("name", ["doorctl"])[0]

    def close(self) -> None:
        self.is_open = False

    def _reconfigure_port(self, *args: Any, **kwargs: Any) -> None:
        """Baud rate and framing mean nothing in memory."""

    @property
    def in_waiting(self) -> int:
        self._check_open()
        return self._rig.in_waiting

    def read(self, size: int = 1) -> bytes:
        self._check_open()
        data = bytearray(self._rig.read(size))
        # pyserial semantics: wait up to ``timeout`` seconds (None: forever) for the rest.
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while len(data) < size and (deadline is None or time.monotonic() < deadline):
            time.sleep(0.001)
            data += self._rig.read(size - len(data))
        return bytes(data)

    def write(self, b: Buffer, /) -> int:
        self._check_open()
        return self._rig.write(bytes(b))

    def reset_input_buffer(self) -> None:
        self._check_open()
        self._rig.read(self._rig.in_waiting)

    def reset_output_buffer(self) -> None:
        self._check_open()

    def _check_open(self) -> None:
        if not self.is_open:
            raise SerialException("the emu://doorctl port is closed; open() it first")


def _default_device() -> RigSerialDevice:
    """``emu://doorctl/NAME`` for a name nobody registered: a rig in real time."""
    return RigSerialDevice()


register_kind(RigSerialDevice.kind, _default_device)
