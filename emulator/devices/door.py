"""Door-leaf physics on gpiozero mock pins: the far end of ``hal.door.GateDoor``'s wires.

The leaf watches the motor and lock outputs on the shared ``MockFactory`` (polled every ``tick`` of the
backend clock, so tests advance time by hand), moves at ``1 / travel_time`` of its swing per second and
makes its open/closed switches at the ends of travel. Faults a test or scenario can inject: a jammed
leaf, an obstruction (someone in the leaf's path), and a power cut (outputs lose their power: motor
stops, the lock falls into its unpowered state).
"""

from __future__ import annotations

from typing import Any

from core.clock import Clock
from hal.door import DoorPins, FailMode

DEFAULT_LEAF_TRAVEL = 0.6  # seconds closed → open; inside the 1 s of SOP-003-A08 steps 4, 7, 8
DEFAULT_TICK = 0.02
MAX_CATCH_UP = 5  # ticks of travel one late callback may make up
_EPS = 1e-9


class EmulatedDoorLeaf:
    """A swing leaf: ``position`` 0.0 closed … 1.0 open, driven by the door's mock output pins."""

    def __init__(
        self,
        factory: Any,
        pins: DoorPins,
        clock: Clock,
        *,
        fail_mode: FailMode | str = FailMode.SAFE,
        travel_time: float = DEFAULT_LEAF_TRAVEL,
        tick: float = DEFAULT_TICK,
        position: float = 0.0,
    ) -> None:
        if travel_time <= 0 or tick <= 0:
            raise ValueError(f"travel_time ({travel_time}) and tick ({tick}) must be positive seconds")
        self._pin = factory.pin
        self.pins = pins
        self.clock = clock
        self.fail_mode = FailMode(fail_mode)
        self.travel_time = travel_time
        self.tick = tick
        self.position = position
        self.jammed = False
        self.powered = True
        self._stopped = False
        self._last_step = clock.monotonic()
        self._update_switches()
        self._schedule()

    # -- fault injection ------------------------------------------------------------------------------
    def obstruct(self, present: bool = True) -> None:
        """Someone (or a bag) stands in the leaf's path."""
        pin = self._pin(self.pins.obstruction)
        if present:
            pin.drive_high()
        else:
            pin.drive_low()

    def jam(self, jammed: bool = True) -> None:
        """The leaf stops moving whatever the motor does."""
        self.jammed = jammed

    def cut_power(self) -> None:
        """The gate loses power: the motor stops and the lock takes its unpowered state."""
        self.powered = False

    def restore_power(self) -> None:
        self.powered = True

    def push_open(self) -> bool:
        """A person pushes the leaf by hand; it swings open unless latched. Returns whether it moved."""
        if self.is_latched or self.jammed:
            return False
        self.position = 1.0
        self._update_switches()
        return True

    # -- what the physics sees --------------------------------------------------------------------------
    @property
    def is_latched(self) -> bool:
        """Whether the lock holds the leaf (only a closed leaf can be latched)."""
        energised = self.powered and self._pin(self.pins.lock).state
        locked = bool(energised) if self.fail_mode is FailMode.SAFE else not energised
        return locked and self.position <= 0.0

    @property
    def motor(self) -> int:
        """+1 opening, -1 closing, 0 stopped, as the outputs drive it right now."""
        if not self.powered:
            return 0
        opening = bool(self._pin(self.pins.motor_open).state)
        closing = bool(self._pin(self.pins.motor_close).state)
        return int(opening) - int(closing)

    def stop(self) -> None:
        """Stop simulating (the leaf keeps its last position)."""
        self._stopped = True

    def _schedule(self) -> None:
        if not self._stopped:
            self.clock.call_later(self.tick, self._step)

    def _step(self) -> None:
        # The leaf moves by the time that really passed, not by one tick: on a loaded machine the tick
        # callbacks come late, and a leaf moving a fixed step per callback fell behind the door's travel
        # timer (false "did not reach its switch" faults). Capped at MAX_CATCH_UP ticks so one long stall
        # cannot carry a leaf through an obstruction before the controller has seen it.
        now = self.clock.monotonic()
        elapsed = min(max(now - self._last_step, 0.0), self.tick * MAX_CATCH_UP)
        self._last_step = now
        direction = self.motor
        if direction and not self.jammed and not (direction > 0 and self.is_latched):
            step = direction * elapsed / self.travel_time
            position = self.position + step
            # Snap to the end stops so float steps never leave a leaf a hair short of its switch.
            self.position = 1.0 if position > 1.0 - _EPS else 0.0 if position < _EPS else position
        # Every tick, not only on movement: a pin configured after the leaf was made starts at its pull.
        self._update_switches()
        self._schedule()

    def _update_switches(self) -> None:
        for pin_no, made in (
            (self.pins.open_switch, self.position >= 1.0),
            (self.pins.closed_switch, self.position <= 0.0),
        ):
            pin = self._pin(pin_no)
            if made and not pin.state:
                pin.drive_high()
            elif not made and pin.state:
                pin.drive_low()
