"""The far end of the simple GPIO devices: a building fire-alarm contact, and readers of outputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class EmulatedFireAlarmContact:
    """The fire panel's dry contact: ``raise_alarm()`` / ``clear()`` (normally open or closed)."""

    def __init__(self, factory: Any, pin: int, *, normally_closed: bool = False) -> None:
        self._pin = factory.pin(pin)
        self.normally_closed = normally_closed
        self.clear()

    def raise_alarm(self) -> None:
        self._drive(not self.normally_closed)

    def clear(self) -> None:
        self._drive(self.normally_closed)

    def cut_wire(self) -> None:
        """The contact's wire is cut: the input reads open."""
        self._drive(False)

    def _drive(self, closed: bool) -> None:
        if closed:
            self._pin.drive_high()
        else:
            self._pin.drive_low()


def output_states(factory: Any, pins: Sequence[int]) -> tuple[bool, ...]:
    """What a row of output pins is driving right now (lights, buzzer, door motor)."""
    return tuple(bool(factory.pin(pin).state) for pin in pins)
