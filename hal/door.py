"""``GateDoor``: one leaf of a lane (entry or exit) with its motor, lock, end switches and obstruction sensor.

The door's *policy* lives here once, for every backend: a move that does not make its end switch within
``travel_time`` is a fault; an obstruction while closing stops the leaf and reopens it; ``lock()``
closes and then engages the lock (SOP-003-A08 step 4: a cekal-identical passenger is held inside);
``power_down()`` leaves every output de-energised, which is what a power cut does.

A *backend* only moves outputs and reports inputs: it implements the small ``DoorDriver`` protocol.
``GpioDoorDriver`` does it on gpiozero pins (``pi``: lgpio/RPi.GPIO, ``emulated``: mock pins that the
emulator's door physics drives); another backend (a door controller over UART) is its own class in its
own file, passed as ``driver=``.

>>> from hal.backend import emulated_clock
>>> door = GateDoor(DoorPins(motor_open=5, motor_close=6, lock=13, open_switch=19, closed_switch=26,
...                          obstruction=21), name="doctest", backend="emulated")
>>> door.state, door.is_locked
(<DoorState.STOPPED: 'stopped'>, False)
>>> door.close_device()
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from core.clock import Clock, Timer
from hal.backend import backend_clock, pin_factory
from hal.errors import BoardConfigError, DoorError

# SOP-003-A08 steps 4, 7 and 8 give each door movement 1 s; a leaf slower than that is a fault.
DEFAULT_TRAVEL_TIME = 1.0


class Motion(Enum):
    """What the motor is asked to do."""

    STOPPED = "stopped"
    OPENING = "opening"
    CLOSING = "closing"


class FailMode(Enum):
    """What the lock does without power (configured per door, it is the lock's hardware type).

    ``fail-safe`` (a maglock): unpowered means free, so people can leave in a fire or power cut.
    ``fail-secure`` (an electric strike): unpowered means locked.
    """

    SAFE = "fail-safe"
    SECURE = "fail-secure"


class DoorState(Enum):
    CLOSED = "closed"
    OPENING = "opening"
    OPEN = "open"
    CLOSING = "closing"
    STOPPED = "stopped"  # neither end switch made and not moving: after start-up, reset or power-down
    FAULT = "fault"


@dataclass(frozen=True, slots=True)
class DoorPins:
    """GPIO numbers (BCM) of one leaf. Inputs are active-high (switch to 3.3 V, pulled down)."""

    motor_open: int
    motor_close: int
    lock: int
    open_switch: int
    closed_switch: int
    obstruction: int

    def all(self) -> tuple[int, ...]:
        return (
            self.motor_open,
            self.motor_close,
            self.lock,
            self.open_switch,
            self.closed_switch,
            self.obstruction,
        )


class DoorDriver(Protocol):
    """The whole of a door backend: outputs, inputs and a change listener. No timing, no policy."""

    def drive(self, motion: Motion) -> None:
        """Run the motor towards open or closed, or stop it."""
        ...

    def set_locked(self, locked: bool) -> None:
        """Engage or release the lock (the driver knows the lock's polarity from its fail mode)."""
        ...

    @property
    def is_locked(self) -> bool: ...

    @property
    def open_switch(self) -> bool: ...

    @property
    def closed_switch(self) -> bool: ...

    @property
    def obstructed(self) -> bool: ...

    def set_listener(self, callback: Callable[[], None] | None) -> None:
        """Call ``callback`` (from any thread) whenever an input changes."""
        ...

    def release(self) -> None:
        """De-energise every output: the state a power cut leaves behind."""
        ...

    def close(self) -> None: ...


class GpioDoorDriver:
    """A door on gpiozero pins; outputs start de-energised (motor off, lock in its unpowered state)."""

    def __init__(self, pins: DoorPins, fail_mode: FailMode, factory: Any) -> None:
        from gpiozero import DigitalInputDevice, DigitalOutputDevice

        if len(set(pins.all())) != len(pins.all()):
            raise BoardConfigError(f"door pins must all differ, got {pins}")
        self._fail_mode = fail_mode
        self._listener: Callable[[], None] | None = None
        self._outputs = [
            DigitalOutputDevice(pin, initial_value=False, pin_factory=factory)
            for pin in (pins.motor_open, pins.motor_close, pins.lock)
        ]
        self._motor_open, self._motor_close, self._lock = self._outputs
        self._inputs = [
            DigitalInputDevice(pin, pull_up=False, pin_factory=factory)
            for pin in (pins.open_switch, pins.closed_switch, pins.obstruction)
        ]
        self._open, self._closed, self._obstruction = self._inputs
        for device in self._inputs:
            device.when_activated = self._changed
            device.when_deactivated = self._changed

    def _changed(self) -> None:
        if self._listener is not None:
            self._listener()

    def drive(self, motion: Motion) -> None:
        # Both motor lines low first so the H-bridge never sees both directions at once.
        self._motor_open.off()
        self._motor_close.off()
        if motion is Motion.OPENING:
            self._motor_open.on()
        elif motion is Motion.CLOSING:
            self._motor_close.on()

    def set_locked(self, locked: bool) -> None:
        # A fail-safe lock holds while powered; a fail-secure lock releases while powered.
        energise = locked if self._fail_mode is FailMode.SAFE else not locked
        self._lock.value = energise

    @property
    def is_locked(self) -> bool:
        energised = bool(self._lock.value)
        return energised if self._fail_mode is FailMode.SAFE else not energised

    @property
    def open_switch(self) -> bool:
        return bool(self._open.is_active)

    @property
    def closed_switch(self) -> bool:
        return bool(self._closed.is_active)

    @property
    def obstructed(self) -> bool:
        return bool(self._obstruction.is_active)

    def set_listener(self, callback: Callable[[], None] | None) -> None:
        self._listener = callback

    def release(self) -> None:
        for device in self._outputs:
            device.off()

    def close(self) -> None:
        self._listener = None
        for device in (*self._outputs, *self._inputs):
            device.close()


Callback = Callable[[], None]


class _OwnedLock:
    """A re-entrant lock that knows whether the calling thread holds it (callbacks wait until it doesn't)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._owner: int | None = None
        self._depth = 0

    def __enter__(self) -> None:
        self._lock.acquire()
        self._owner = threading.get_ident()
        self._depth += 1

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
        self._lock.release()

    def held_here(self) -> bool:
        return self._owner == threading.get_ident()


class GateDoor:
    """One door leaf in the gate's words. Thread-safe; callbacks never run under the door's lock.

    A change queues its callback under the lock; the callbacks are run, in order, after the lock is
    released, by the thread that saw the change (or by one already delivering, so they never overlap).
    The controller drives the doors holding its own lock, and a callback takes that lock: running
    callbacks under the door lock made the two locks' order depend on the thread (a deadlock when the
    fire contact cleared from another thread).

    ``when_opened``/``when_closed`` fire when the end switch is made, ``when_obstructed`` when an
    obstruction stops a closing leaf (it then reopens), ``when_fault`` when a move overruns
    ``travel_time`` or a switch pair is impossible; ``fault`` holds the reason until ``reset()``.
    """

    def __init__(
        self,
        pins: DoorPins | None = None,
        *,
        name: str = "door",
        travel_time: float = DEFAULT_TRAVEL_TIME,
        fail_mode: FailMode | str = FailMode.SAFE,
        backend: str | None = None,
        clock: Clock | None = None,
        driver: DoorDriver | None = None,
    ) -> None:
        if travel_time <= 0:
            raise BoardConfigError(f"door {name!r}: travel_time must be positive seconds, got {travel_time}")
        try:
            self.fail_mode = FailMode(fail_mode)
        except ValueError:
            raise BoardConfigError(
                f"door {name!r}: fail_mode must be 'fail-safe' or 'fail-secure', got {fail_mode!r}"
            ) from None
        if driver is None:
            if pins is None:
                raise BoardConfigError(f"door {name!r}: give either pins= or driver=")
            driver = GpioDoorDriver(pins, self.fail_mode, pin_factory(backend))
        self.name = name
        self.travel_time = travel_time
        self.clock = clock if clock is not None else backend_clock(backend)
        self.when_opened: Callback | None = None
        self.when_closed: Callback | None = None
        self.when_obstructed: Callback | None = None
        self.when_fault: Callback | None = None
        self.fault: str | None = None
        self.last_travel_time: float | None = None
        self._driver = driver
        self._lock = _OwnedLock()
        self._pending: deque[Callback] = deque()
        self._delivering = False
        self._timer: Timer | None = None
        self._started_at = 0.0
        self._now = 0.0
        self._move_id = 0
        self._to_arm: int | None = None
        self._lock_when_closed = False
        self._closed_device = False
        self._state = self._state_from_switches()
        driver.set_listener(self._inputs_changed)

    # -- what the gate reads ------------------------------------------------------------------------
    @property
    def state(self) -> DoorState:
        return self._state

    @property
    def is_open(self) -> bool:
        return self._driver.open_switch

    @property
    def is_closed(self) -> bool:
        return self._driver.closed_switch

    @property
    def is_locked(self) -> bool:
        return self._driver.is_locked

    @property
    def is_obstructed(self) -> bool:
        return self._driver.obstructed

    @property
    def is_moving(self) -> bool:
        return self._state in (DoorState.OPENING, DoorState.CLOSING)

    # -- what the gate does -------------------------------------------------------------------------
    def open(self) -> None:
        """Release the latch and swing open; ``when_opened`` fires on the open switch."""
        now = self.clock.monotonic()
        with self._lock:
            self._now = now
            self._check_usable()
            if self._driver.is_locked and self._lock_when_closed:
                raise DoorError(f"door {self.name!r} is locked; call unlock() before open()")
            self._lock_when_closed = False
            self._driver.set_locked(False)
            if self._state is DoorState.OPEN or (self._state is not DoorState.OPENING and self.is_open):
                self._state = DoorState.OPEN
                return
            self._start(Motion.OPENING, DoorState.OPENING)
        self._arm_timer()
        self._deliver()

    def close(self) -> None:
        """Swing closed; an obstruction stops and reopens the leaf (``when_obstructed``)."""
        now = self.clock.monotonic()
        with self._lock:
            self._now = now
            self._check_usable()
            if self._state is DoorState.CLOSED or (self._state is not DoorState.CLOSING and self.is_closed):
                self._arrived_closed()
            elif self._driver.obstructed:
                self._obstructed()
            else:
                self._start(Motion.CLOSING, DoorState.CLOSING)
        self._arm_timer()
        self._deliver()

    def lock(self) -> None:
        """Close (if needed) and engage the lock once closed: nobody leaves through this leaf.

        SOP-003-A08 step 4: a suspected cekal-identical passenger is admitted and then held inside.
        """
        with self._lock:
            self._check_usable()
            self._lock_when_closed = True
        self.close()

    def unlock(self) -> None:
        """Release the lock (the leaf stays where it is)."""
        with self._lock:
            self._lock_when_closed = False
            self._driver.set_locked(False)

    def reset(self) -> None:
        """Clear a fault after someone has looked at the leaf; the state is read from the switches."""
        with self._lock:
            self._cancel_timer()
            self._driver.drive(Motion.STOPPED)
            self.fault = None
            self._state = self._state_from_switches()

    def power_down(self) -> None:
        """De-energise everything, as a power cut would: fail-safe leaves free, fail-secure locked."""
        with self._lock:
            self._cancel_timer()
            self._driver.release()
            self._lock_when_closed = False
            self._state = self._state_from_switches()

    def close_device(self) -> None:
        """Release the pins (or the controller link). Calling it twice is harmless."""
        with self._lock:
            if self._closed_device:
                return
            self._closed_device = True
            self._cancel_timer()
            self._driver.set_listener(None)
            self._driver.release()
            self._driver.close()

    def __enter__(self) -> GateDoor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_device()

    # -- policy ---------------------------------------------------------------------------------------
    def _check_usable(self) -> None:
        if self._closed_device:
            raise DoorError(f"door {self.name!r} is closed; open a new GateDoor")
        if self._state is DoorState.FAULT:
            raise DoorError(f"door {self.name!r} is faulted ({self.fault}); inspect it and call reset()")

    def _state_from_switches(self) -> DoorState:
        opened, closed = self._driver.open_switch, self._driver.closed_switch
        if opened and not closed:
            return DoorState.OPEN
        if closed and not opened:
            return DoorState.CLOSED
        return DoorState.STOPPED

    # Lock order: the clock is never called while this door's lock is held by a thread that is not
    # running the clock's callbacks. A hand-advanced clock holds its own lock while it runs callbacks
    # (which take ours), so the other order would deadlock. Entry points read the time first and arm
    # the travel timer after releasing the lock; a move id tells a stale timer from the current one.
    def _start(self, motion: Motion, state: DoorState) -> None:
        self._cancel_timer()
        # Drive first: a controller that refuses the move (interlock, fire mode) must not leave the leaf
        # believed to be moving with no travel timer to ever end it.
        self._driver.drive(motion)
        self._state = state
        self._started_at = self._now
        self._move_id += 1
        self._to_arm = self._move_id

    def _arm_timer(self) -> None:
        with self._lock:
            move_id, self._to_arm = self._to_arm, None
        if move_id is None:
            return
        timer = self.clock.call_later(self.travel_time, lambda: self._travel_overrun(move_id))
        with self._lock:
            if move_id == self._move_id and self.is_moving:
                self._timer = timer
            else:
                timer.cancel()

    def _cancel_timer(self) -> None:
        self._to_arm = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _stop(self) -> None:
        self._cancel_timer()
        self._move_id += 1
        self._driver.drive(Motion.STOPPED)

    def _travel_overrun(self, move_id: int) -> None:
        with self._lock:
            if move_id != self._move_id or not self.is_moving:
                return
            target = "open" if self._state is DoorState.OPENING else "closed"
            self._fail(
                f"leaf did not reach its {target} switch within {self.travel_time:.2f} s "
                "(jammed, unpowered or a broken switch)"
            )
        self._deliver()

    def _fail(self, reason: str) -> None:
        self._stop()
        self.fault = reason
        self._state = DoorState.FAULT
        self._emit(self.when_fault)

    def _inputs_changed(self) -> None:
        now = self.clock.monotonic()
        with self._lock:
            self._now = now
            self._changed()
        self._arm_timer()
        self._deliver()

    def _changed(self) -> None:
        with self._lock:
            if self._closed_device:
                return
            opened, closed = self._driver.open_switch, self._driver.closed_switch
            if opened and closed and self._state is not DoorState.FAULT:
                self._fail("open and closed switches are both made (wiring fault)")
            elif self._state is DoorState.OPENING and opened:
                self._stop()
                self.last_travel_time = self._now - self._started_at
                self._state = DoorState.OPEN
                self._emit(self.when_opened)
            elif self._state is DoorState.CLOSING and self._driver.obstructed:
                self._obstructed()
            elif self._state is DoorState.CLOSING and closed:
                self._stop()
                self.last_travel_time = self._now - self._started_at
                self._arrived_closed()
            elif not self.is_moving and self._state is not DoorState.FAULT:
                # A leaf moved by hand, or switches read for the first time: believe the switches.
                self._state = self._state_from_switches()

    def _arrived_closed(self) -> None:
        self._state = DoorState.CLOSED
        if self._lock_when_closed:
            self._driver.set_locked(True)
        self._emit(self.when_closed)

    def _obstructed(self) -> None:
        # Someone is in the leaf's path: stop at once, tell the gate, and give the way back.
        self._stop()
        self._emit(self.when_obstructed)
        self._lock_when_closed = False
        if self._driver.open_switch:
            # Already fully open (close() asked with someone in the doorway): nothing to drive, and a
            # reopening move would never see its open switch change and fault a free leaf.
            self._state = DoorState.OPEN
            return
        self._state = DoorState.STOPPED
        self._start(Motion.OPENING, DoorState.OPENING)

    def _emit(self, callback: Callback | None) -> None:
        # Under the lock: only queue. ``_deliver`` runs it once the lock is released.
        if callback is not None:
            self._pending.append(callback)

    def _deliver(self) -> None:
        """Run queued callbacks in order, outside the door lock; one thread delivers at a time."""
        if self._lock.held_here():
            return  # called inside a locked section: the entry point delivers when it releases
        with self._lock:
            if self._delivering or not self._pending:
                return
            self._delivering = True
        try:
            while True:
                with self._lock:
                    if not self._pending:
                        self._delivering = False
                        return
                    callback = self._pending.popleft()
                callback()
        except BaseException:
            with self._lock:
                self._delivering = False
            raise
