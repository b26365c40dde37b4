"""Simple GPIO devices: ``Lights`` (red/amber/green), ``Buzzer``, ``FireAlarmInput``.

Outputs start off. Blinking and beeping run on the backend clock (not gpiozero's background threads),
so the emulated ones follow a hand-advanced clock exactly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Literal

from core.clock import Clock, Timer
from hal.backend import backend_clock, pin_factory
from hal.errors import BoardConfigError

Colour = Literal["red", "amber", "green"]
COLOURS: tuple[Colour, ...] = ("red", "amber", "green")


class _Pattern:
    """Toggle an output ``times`` times (``None``: until cancelled) on the clock."""

    def __init__(
        self, clock: Clock, set_output: Callable[[bool], None], on: float, off: float, times: int | None
    ):
        self._clock, self._set, self._on, self._off = clock, set_output, on, off
        self._left = times
        self._timer: Timer | None = None
        self._lit = False
        self._toggle()

    def _toggle(self) -> None:
        if not self._lit and self._left is not None:
            if self._left <= 0:
                return
            self._left -= 1
        self._lit = not self._lit
        self._set(self._lit)
        self._timer = self._clock.call_later(self._on if self._lit else self._off, self._toggle)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._set(False)


class Lights:
    """The lane's signal lights. ``show("green")`` lights one colour; ``blink`` flashes one."""

    def __init__(
        self, red: int, amber: int, green: int, *, backend: str | None = None, clock: Clock | None = None
    ) -> None:
        from gpiozero import LED

        if len({red, amber, green}) != 3:
            raise BoardConfigError(
                f"lights: red, amber and green need three different pins, got {red, amber, green}"
            )
        factory = pin_factory(backend)
        self.clock = clock if clock is not None else backend_clock(backend)
        self._leds: dict[Colour, Any] = {
            colour: LED(pin, pin_factory=factory)
            for colour, pin in zip(COLOURS, (red, amber, green), strict=True)
        }
        self._pattern: _Pattern | None = None
        self._lock = threading.RLock()

    @property
    def lit(self) -> tuple[Colour, ...]:
        return tuple(colour for colour, led in self._leds.items() if led.is_lit)

    def show(self, colour: Colour | None) -> None:
        """Light only ``colour`` (``None``: all off)."""
        with self._lock:
            self._stop_pattern()
            for name, led in self._leds.items():
                led.value = name == colour

    def blink(
        self, colour: Colour, *, on_time: float = 0.5, off_time: float = 0.5, times: int | None = None
    ) -> None:
        with self._lock:
            self.show(None)
            led = self._leds[colour]
            self._pattern = _Pattern(
                self.clock, lambda on: setattr(led, "value", on), on_time, off_time, times
            )

    def _stop_pattern(self) -> None:
        if self._pattern is not None:
            self._pattern.cancel()
            self._pattern = None

    def close(self) -> None:
        with self._lock:
            self._stop_pattern()
            for led in self._leds.values():
                led.close()

    def __enter__(self) -> Lights:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Buzzer:
    """The lane's buzzer (alarm sounds for tailgating, wrong way, a held passenger)."""

    def __init__(self, pin: int, *, backend: str | None = None, clock: Clock | None = None) -> None:
        from gpiozero import Buzzer as GpioBuzzer

        self.clock = clock if clock is not None else backend_clock(backend)
        self._buzzer = GpioBuzzer(pin, pin_factory=pin_factory(backend))
        self._pattern: _Pattern | None = None

    @property
    def is_sounding(self) -> bool:
        return bool(self._buzzer.is_active)

    def on(self) -> None:
        self.off()
        self._buzzer.on()

    def off(self) -> None:
        if self._pattern is not None:
            self._pattern.cancel()
            self._pattern = None
        self._buzzer.off()

    def beep(self, times: int | None = 1, *, on_time: float = 0.2, off_time: float = 0.2) -> None:
        self.off()
        self._pattern = _Pattern(
            self.clock, lambda on: setattr(self._buzzer, "value", on), on_time, off_time, times
        )

    def close(self) -> None:
        self.off()
        self._buzzer.close()

    def __enter__(self) -> Buzzer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FireAlarmInput:
    """The building fire alarm's dry contact. ``normally_closed``: the contact opens on alarm, so a cut
    wire also reads as an alarm (fail-safe wiring)."""

    def __init__(self, pin: int, *, normally_closed: bool = False, backend: str | None = None) -> None:
        from gpiozero import DigitalInputDevice

        self.normally_closed = normally_closed
        self._input = DigitalInputDevice(pin, pull_up=False, pin_factory=pin_factory(backend))
        self.when_alarm_started: Callable[[], None] | None = None
        self.when_alarm_ended: Callable[[], None] | None = None
        self._input.when_activated = self._contact_closed
        self._input.when_deactivated = self._contact_opened

    @property
    def is_alarm_on(self) -> bool:
        return bool(self._input.is_active) != self.normally_closed

    def _contact_closed(self) -> None:
        self._emit(self.when_alarm_ended if self.normally_closed else self.when_alarm_started)

    def _contact_opened(self) -> None:
        self._emit(self.when_alarm_started if self.normally_closed else self.when_alarm_ended)

    @staticmethod
    def _emit(callback: Callable[[], None] | None) -> None:
        if callback is not None:
            callback()

    def close(self) -> None:
        self._input.close()

    def __enter__(self) -> FireAlarmInput:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
