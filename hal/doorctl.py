"""The board's side of the door controller's UART (firmware in ``hal/firmware``).

``DoorControllerLink`` speaks the framed protocol of ``hal.firmware.protocol`` over any pyserial-like
port (``serial.serial_for_url("/dev/ttyAMA0")`` on the board, ``emu://doorctl`` in the emulator):
commands wait for their ACK and raise ``CommandRefusedError`` with the controller's reason, state
reports and fault reports are decoded into the types below. The controller keeps people safe on its
own (fire, obstruction, interlock, heartbeat loss); this side only asks, and keeps it alive with
``heartbeat()``.

>>> from emulator.doorctl import DoorControllerRig, RigPort
>>> rig = DoorControllerRig()
>>> link = DoorControllerLink(RigPort(rig))
>>> link.set_leaf(Leaf.ENTRANCE, Target.OPEN)
>>> rig.run(700); link.poll()
>>> link.state.leaves[Leaf.ENTRANCE].position
<Position.OPEN: 3>
>>> link.set_leaf(Leaf.EXIT, Target.OPEN)
Traceback (most recent call last):
...
hal.doorctl.CommandRefusedError: the door controller refused SET_LEAF: INTERLOCK ...
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

from core.clock import Clock, Timer
from hal.door import DEFAULT_TRAVEL_TIME, FailMode, GateDoor, Motion
from hal.errors import BoardConfigError, DeviceTimeoutError, DoorError
from hal.firmware import protocol as p

DEFAULT_ACK_TIMEOUT_S = 0.5
# The driver reads the controller's reports this often; the firmware reacts to the switches by itself
# within one 5 ms loop, so this only bounds how late GateDoor hears of a change.
DEFAULT_POLL_INTERVAL_S = 0.02
# Well within the firmware's default heartbeat timeout (1.5 s), so a missed tick or two is harmless.
DEFAULT_HEARTBEAT_INTERVAL_S = 0.25


class DoorControllerError(DoorError):
    """The door controller sent something the HAL cannot read, or did not do what was asked."""


class CommandRefusedError(DoorControllerError):
    """The controller answered a command with a refusal; ``result`` says why."""

    def __init__(self, command: str, result: Result) -> None:
        hints = {
            Result.FIRE_MODE: "fire mode overrides the board; reset it once the alarm has cleared",
            Result.INTERLOCK: "close the other leaf first; both leaves may never be open at once",
            Result.BAD_REQUEST: "check the leaf, target and configuration values",
            Result.FIRE_ACTIVE: "the fire-alarm contact is still active; reset after it clears",
            Result.UNKNOWN_TYPE: "the firmware does not know this command; update the firmware",
        }
        super().__init__(f"the door controller refused {command}: {result.name} ({hints.get(result, '')})")
        self.command = command
        self.result = result


class ControllerTimeoutError(DeviceTimeoutError):
    """No ACK arrived in time: check the UART wiring, baud rate and that the controller is powered."""


class Leaf(IntEnum):
    ENTRANCE = p.LEAF_ENTRANCE
    EXIT = p.LEAF_EXIT


class Target(IntEnum):
    HOLD = p.TARGET_HOLD
    OPEN = p.TARGET_OPEN
    CLOSED = p.TARGET_CLOSED
    LOCKED = p.TARGET_LOCKED


class Position(IntEnum):
    STOPPED = p.POS_STOPPED
    CLOSED = p.POS_CLOSED
    OPENING = p.POS_OPENING
    OPEN = p.POS_OPEN
    CLOSING = p.POS_CLOSING
    CONFLICT = p.POS_CONFLICT


class Mode(IntEnum):
    NORMAL = p.MODE_NORMAL
    FIRE = p.MODE_FIRE
    FIRE_RESET = p.MODE_FIRE_RESET
    FAILSAFE = p.MODE_FAILSAFE


class Result(IntEnum):
    OK = p.RESULT_OK
    FIRE_MODE = p.RESULT_FIRE_MODE
    INTERLOCK = p.RESULT_INTERLOCK
    BAD_REQUEST = p.RESULT_BAD_REQUEST
    FIRE_ACTIVE = p.RESULT_FIRE_ACTIVE
    UNKNOWN_TYPE = p.RESULT_UNKNOWN_TYPE


class Fault(IntEnum):
    NONE = p.FAULT_NONE
    HEARTBEAT_LOST = p.FAULT_HEARTBEAT_LOST
    OBSTRUCTION = p.FAULT_OBSTRUCTION
    MOTOR_TIMEOUT = p.FAULT_MOTOR_TIMEOUT
    SWITCH_CONFLICT = p.FAULT_SWITCH_CONFLICT
    FIRE_ALARM = p.FAULT_FIRE_ALARM
    FRAME_ERROR = p.FAULT_FRAME_ERROR


@dataclass(frozen=True)
class LeafState:
    position: Position
    target: Target
    locked: bool
    obstructed: bool
    motor_running: bool


@dataclass(frozen=True)
class FaultReport:
    """A fault the controller reported; ``detail`` is in ms for heartbeat loss and motor timeouts."""

    fault: Fault
    leaf: Leaf | None
    detail: int


@dataclass(frozen=True)
class ControllerState:
    mode: Mode
    fire_alarm: bool
    latched_fault: FaultReport | None
    leaves: tuple[LeafState, LeafState]
    # Per leaf: the controller drives a fail-secure lock (its ``LOCK_FAIL_SECURE`` wiring constant).
    lock_fail_secure: tuple[bool, bool] = (False, False)


class SerialPort(Protocol):
    """What the link needs of a pyserial port."""

    @property
    def in_waiting(self) -> int: ...

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes, /) -> int | None: ...


def _leaf(code: int) -> Leaf | None:
    return Leaf(code) if code in (p.LEAF_ENTRANCE, p.LEAF_EXIT) else None


def _fault(code: int) -> Fault:
    try:
        return Fault(code)
    except ValueError:
        raise DoorControllerError(f"unknown fault code {code}; update hal.firmware.protocol") from None


def decode_state(payload: bytes) -> ControllerState:
    mode, fire, fault, fault_leaf, detail, positions, targets, flags = p.decode_state(payload)
    leaves = tuple(
        LeafState(
            position=Position(positions[i]),
            target=Target(targets[i]),
            locked=bool(flags[i] & p.FLAG_LOCKED),
            obstructed=bool(flags[i] & p.FLAG_OBSTRUCTED),
            motor_running=bool(flags[i] & p.FLAG_RUNNING),
        )
        for i in range(p.LEAF_COUNT)
    )
    latched = None if fault == p.FAULT_NONE else FaultReport(_fault(fault), _leaf(fault_leaf), detail)
    lock_types = p.decode_lock_types(payload)
    return ControllerState(
        Mode(mode),
        fire,
        latched,
        (leaves[0], leaves[1]),
        (bool(lock_types & 1), bool(lock_types & 2)),
    )


class DoorControllerLink:
    """Commands, state and faults of one door controller over ``port``; see the module docstring.

    Thread-safe: a timer thread may poll while the gate flow sends commands. Several parties (the two
    leaves' drivers) can follow state reports with ``add_state_listener``.
    """

    def __init__(self, port: SerialPort, *, ack_timeout_s: float = DEFAULT_ACK_TIMEOUT_S) -> None:
        self._port = port
        self._ack_timeout_s = ack_timeout_s
        self._decoder = p.FrameDecoder()
        self._seq = 0
        self._acks: dict[int, Result] = {}
        self._state: ControllerState | None = None
        self.faults: list[FaultReport] = []
        self.when_fault: Callable[[FaultReport], None] | None = None
        self.when_state_changed: Callable[[ControllerState], None] | None = None
        self._listeners: list[Callable[[ControllerState], None]] = []
        self._unawaited: set[int] = set()
        self._io = threading.RLock()

    def add_state_listener(self, listener: Callable[[ControllerState], None]) -> None:
        """Call ``listener`` with every state report that differs from the previous one."""
        with self._io:
            self._listeners.append(listener)

    def remove_state_listener(self, listener: Callable[[ControllerState], None]) -> None:
        with self._io:
            if listener in self._listeners:
                self._listeners.remove(listener)

    @property
    def state(self) -> ControllerState:
        """The latest state report (asks for one if none has arrived yet)."""
        if self._state is None:
            self.refresh()
        if self._state is None:  # pragma: no cover - refresh() raises instead
            raise DoorControllerError("no state report from the door controller; check the link")
        return self._state

    def poll(self) -> None:
        """Read and handle everything the controller has sent."""
        with self._io:
            waiting = self._port.in_waiting
            if waiting:
                self._receive(self._port.read(waiting))

    def heartbeat(self) -> None:
        """Tell the controller the board is alive (call well within the configured timeout)."""
        with self._io:
            self._seq = (self._seq + 1) & 0xFFFF
            self._port.write(p.encode_frame(p.MSG_HEARTBEAT, p.encode_seq(self._seq)))

    def set_leaf(self, leaf: Leaf, target: Target) -> None:
        self._command("SET_LEAF", p.MSG_SET_LEAF, bytes([leaf, target]))

    def send_leaf(self, leaf: Leaf, target: Target) -> None:
        """``set_leaf`` without waiting for (or checking) the ACK: for a controller that may be gone."""
        with self._io:
            self._seq = (self._seq + 1) & 0xFFFF
            self._unawaited.add(self._seq)
            self._port.write(p.encode_frame(p.MSG_SET_LEAF, p.encode_seq(self._seq) + bytes([leaf, target])))

    def configure(
        self,
        *,
        heartbeat_timeout_s: float,
        motor_timeout_s: float,
        safe_entrance: Target,
        safe_exit: Target,
    ) -> None:
        """Set the heartbeat timeout, motor timeout and the safe state used when the board goes silent."""
        hb_ms, motor_ms = round(heartbeat_timeout_s * 1000), round(motor_timeout_s * 1000)
        if not (0 < hb_ms <= 0xFFFF and 0 < motor_ms <= 0xFFFF):
            raise ValueError(
                f"timeouts must be between 0.001 and 65.535 s (got {heartbeat_timeout_s}, {motor_timeout_s})"
            )
        rest = p.encode_configure(0, hb_ms, motor_ms, safe_entrance, safe_exit)[2:]
        self._command("CONFIGURE", p.MSG_CONFIGURE, rest)

    def reset_fire(self) -> None:
        """Leave fire mode once the alarm contact has cleared (both leaves then close)."""
        self._command("RESET_FIRE", p.MSG_RESET_FIRE, b"")

    def clear_fault(self) -> None:
        """Acknowledge the latched fault shown in state reports."""
        self._command("CLEAR_FAULT", p.MSG_CLEAR_FAULT, b"")

    def refresh(self) -> ControllerState:
        """Ask for a state report now and return it."""
        self._command("GET_STATE", p.MSG_GET_STATE, b"")
        self.poll()
        return self.state

    def close(self) -> None:
        """Close the port (if it can be closed). The controller, no longer hearing heartbeats, takes
        its safe state."""
        with self._io:
            close = getattr(self._port, "close", None)
            if callable(close):
                close()

    def take_faults(self) -> list[FaultReport]:
        faults, self.faults = self.faults, []
        return faults

    def _command(self, name: str, msg_type: int, rest: bytes) -> None:
        with self._io:
            self._command_locked(name, msg_type, rest)

    def _command_locked(self, name: str, msg_type: int, rest: bytes) -> None:
        self._seq = (self._seq + 1) & 0xFFFF
        self._unawaited.discard(self._seq)
        seq = self._seq
        self._port.write(p.encode_frame(msg_type, p.encode_seq(seq) + rest))
        # I/O timeout on the wall clock, like pyserial's own read timeouts (not flow timing).
        deadline = time.monotonic() + self._ack_timeout_s
        while seq not in self._acks:
            waiting = self._port.in_waiting
            if waiting:
                self._receive(self._port.read(waiting))
            elif time.monotonic() > deadline:
                raise ControllerTimeoutError(
                    f"no ACK to {name} within {self._ack_timeout_s} s; check the controller's UART and power"
                )
            else:
                time.sleep(0.001)
        result = self._acks.pop(seq)
        if result != Result.OK:
            raise CommandRefusedError(name, result)

    def _receive(self, data: bytes) -> None:
        for msg_type, payload in self._decoder.feed(data):
            try:
                self._handle(msg_type, payload)
            except (p.ProtocolError, ValueError):
                continue  # a frame we cannot read is dropped like a bad CRC; the next report corrects it

    def _handle(self, msg_type: int, payload: bytes) -> None:
        if msg_type == p.MSG_ACK:
            seq, result = p.decode_ack(payload)
            if seq in self._unawaited:
                self._unawaited.discard(seq)  # nobody waits for it (send_leaf)
            else:
                self._acks[seq] = Result(result)
        elif msg_type == p.MSG_STATE:
            state = decode_state(payload)
            changed = state != self._state
            self._state = state
            if changed:
                if self.when_state_changed is not None:
                    self.when_state_changed(state)
                for listener in list(self._listeners):
                    listener(state)
        elif msg_type == p.MSG_FAULT:
            fault, leaf, detail = p.decode_fault(payload)
            report = FaultReport(_fault(fault), _leaf(leaf), detail)
            self.faults.append(report)
            if self.when_fault is not None:
                self.when_fault(report)


_TARGET_OF_MOTION = {Motion.OPENING: Target.OPEN, Motion.CLOSING: Target.CLOSED, Motion.STOPPED: Target.HOLD}


class ControllerDoorDriver:
    """One leaf of a door controller as a ``hal.door.DoorDriver``: ``GateDoor``'s policy on the firmware.

    ``drive(OPENING/CLOSING/STOPPED)`` asks for targets ``OPEN/CLOSED/HOLD`` (``STOPPED`` keeps an
    engaged lock engaged, and never raises for a silent controller); ``set_locked(True)`` asks for
    ``LOCKED``, ``set_locked(False)`` for ``CLOSED`` if the leaf is locked. Switches, lock and
    obstruction are read from the controller's state reports.
    The controller's own rules stay in force underneath, so a command can be refused
    (``CommandRefusedError``: interlock, fire mode), and ``ControllerTimeoutError`` means no controller
    answered.

    A timer on ``clock`` polls the link every ``poll_interval_s`` and sends a heartbeat every
    ``heartbeat_interval_s``; the listener is called from that timer when a state report changed
    (never from inside a command, so ``GateDoor`` is not re-entered half-way through a move).
    ``fail_mode`` must match the lock the controller drives (its ``LOCK_FAIL_SECURE``): the driver
    checks it against the controller's report and refuses a mismatch.
    """

    def __init__(
        self,
        link: DoorControllerLink,
        leaf: Leaf,
        clock: Clock,
        *,
        fail_mode: FailMode | str = FailMode.SAFE,
        poll_interval_s: float = DEFAULT_POLL_INTERVAL_S,
        heartbeat_interval_s: float = DEFAULT_HEARTBEAT_INTERVAL_S,
    ) -> None:
        if poll_interval_s <= 0 or heartbeat_interval_s <= 0:
            raise BoardConfigError(
                f"poll and heartbeat intervals must be positive seconds, got {poll_interval_s}, "
                f"{heartbeat_interval_s}"
            )
        self._link = link
        self._leaf = Leaf(leaf)
        self._clock = clock
        self._fail_mode = FailMode(fail_mode)
        self._poll_interval_s = poll_interval_s
        self._heartbeat_interval_s = heartbeat_interval_s
        self._listener: Callable[[], None] | None = None
        self._changed = False
        self._unpowered = False
        self._closed = False
        self.last_error: Exception | None = None
        reported = link.refresh().lock_fail_secure[self._leaf]
        if reported != (self._fail_mode is FailMode.SECURE):
            kind = "fail-secure" if reported else "fail-safe"
            raise BoardConfigError(
                f"the door controller drives the {self._leaf.name.lower()} lock as {kind}, but this door is "
                f"configured {self._fail_mode.value}; make the door's fail_mode and the firmware's "
                "LOCK_FAIL_SECURE agree with the lock that is fitted"
            )
        link.heartbeat()
        self._last_heartbeat = clock.monotonic()
        link.add_state_listener(self._on_state)
        self._timer: Timer | None = clock.call_later(poll_interval_s, self._tick)

    # -- outputs ------------------------------------------------------------------------------------
    def drive(self, motion: Motion) -> None:
        target = _TARGET_OF_MOTION[motion]
        if motion is Motion.STOPPED and self._view().target is Target.LOCKED:
            # Stopping never releases a lock, as on GPIO where drive() only touches the motor lines.
            target = Target.LOCKED
        if motion is not Motion.STOPPED:
            self._link.set_leaf(self._leaf, target)
            return
        try:
            self._link.set_leaf(self._leaf, target)
        except ControllerTimeoutError:
            # A stop must not fail: GateDoor stops on its fault path, often from a timer. A silent
            # controller runs no motor for long: unpowered it cannot, and powered it stops hearing
            # heartbeats and takes its safe state by itself (docs/door-firmware.md rule 4).
            self._unpowered = True

    def set_locked(self, locked: bool) -> None:
        # LOCKED engages only once the leaf is closed (the controller closes it first); GateDoor
        # locks a leaf only after it has arrived closed (SOP-003-A08 step 4).
        if locked:
            self._link.set_leaf(self._leaf, Target.LOCKED)
            return
        view = self._view()
        if view.locked or view.target is Target.LOCKED:
            self._link.set_leaf(self._leaf, Target.CLOSED)

    def release(self) -> None:
        """Leave the leaf as a power cut would: motor off, lock in its unpowered state.

        A fail-secure lock on a closed leaf is engaged (target ``LOCKED``); otherwise the leaf holds
        (``HOLD``: motor off, lock released). If the controller does not answer it is taken to be
        unpowered: nothing moves and the lock reads as its type leaves it without power, until the
        controller reports again. In fire mode the controller refuses, and its fire rule stands.
        """
        if self._closed:
            return
        view = self._view()
        secure = self._fail_mode is FailMode.SECURE
        target = Target.LOCKED if secure and view.position is Position.CLOSED else Target.HOLD
        try:
            self._link.set_leaf(self._leaf, target)
        except ControllerTimeoutError:
            self._unpowered = True
        except CommandRefusedError:
            pass  # fire mode: leaves stay open and unlocked, which is what a fire needs

    # -- inputs -------------------------------------------------------------------------------------
    def _view(self) -> LeafState:
        return self._link.state.leaves[self._leaf]

    @property
    def is_locked(self) -> bool:
        if self._unpowered:
            return self._fail_mode is FailMode.SECURE
        return self._view().locked

    @property
    def open_switch(self) -> bool:
        return self._view().position in (Position.OPEN, Position.CONFLICT)

    @property
    def closed_switch(self) -> bool:
        return self._view().position in (Position.CLOSED, Position.CONFLICT)

    @property
    def obstructed(self) -> bool:
        return self._view().obstructed

    @property
    def controller_unpowered(self) -> bool:
        """True after ``release()`` found the controller silent, until it reports again."""
        return self._unpowered

    def set_listener(self, callback: Callable[[], None] | None) -> None:
        self._listener = callback

    def close(self) -> None:
        """Stop polling and heartbeats for this leaf; the link and its port stay open (both leaves share
        them). With no heartbeat the controller drives the leaves to its configured safe state."""
        self._closed = True
        self._listener = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._link.remove_state_listener(self._on_state)

    # -- the poll timer -----------------------------------------------------------------------------
    def _on_state(self, state: ControllerState) -> None:
        # Called by the link, possibly inside one of our own commands: only note it here.
        self._unpowered = False
        self._changed = True

    def _tick(self) -> None:
        if self._closed:
            return
        try:
            self._link.poll()
            now = self._clock.monotonic()
            if now - self._last_heartbeat >= self._heartbeat_interval_s:
                self._link.heartbeat()
                self._last_heartbeat = now
        except (OSError, DoorError) as exc:
            # A UART error must not end the polling; the heartbeat simply lapses until it recovers.
            self.last_error = exc
        finally:
            if not self._closed:
                self._timer = self._clock.call_later(self._poll_interval_s, self._tick)
        listener = self._listener
        if self._changed and listener is not None:
            self._changed = False
            listener()


def open_controller_link(url: str, *, ack_timeout_s: float = DEFAULT_ACK_TIMEOUT_S) -> DoorControllerLink:
    """A link over the UART at ``url`` (``/dev/ttyAMA0`` on the board, ``emu://doorctl/NAME`` emulated).

    ``link.close()`` closes the port; do it after both leaves' doors are closed.
    """
    import serial

    try:
        port = serial.serial_for_url(url, baudrate=115200, timeout=0.05)
    except (serial.SerialException, ValueError) as exc:
        raise BoardConfigError(
            f"cannot open the door controller's UART {url!r} ({exc}); check the device path, or for "
            "emu://doorctl run emulator.devices.register() and import emulator.doorctl first"
        ) from None
    return DoorControllerLink(port, ack_timeout_s=ack_timeout_s)


def controller_door(
    link: DoorControllerLink,
    leaf: Leaf | str,
    clock: Clock,
    *,
    name: str = "door",
    fail_mode: FailMode | str = FailMode.SAFE,
    travel_time: float = DEFAULT_TRAVEL_TIME,
) -> GateDoor:
    """A ``GateDoor`` on one leaf of the controller behind ``link``, driver and door agreeing on the lock.

    ``leaf`` is a ``Leaf`` or its name (``"entrance"``/``"exit"``, as a board config would give it).
    """
    if isinstance(leaf, str):
        try:
            leaf = Leaf[leaf.upper()]
        except KeyError:
            raise BoardConfigError(
                f"door {name!r}: leaf must be 'entrance' or 'exit', got {leaf!r}"
            ) from None
    try:
        mode = FailMode(fail_mode)
    except ValueError:
        raise BoardConfigError(
            f"door {name!r}: fail_mode must be 'fail-safe' or 'fail-secure', got {fail_mode!r}"
        ) from None
    driver = ControllerDoorDriver(link, leaf, clock, fail_mode=mode)
    return GateDoor(name=name, driver=driver, clock=clock, fail_mode=mode, travel_time=travel_time)
