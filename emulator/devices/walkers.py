"""Emulated lane beams, broken by emulated walkers moving over clock time.

A ``Walker`` is anything that breaks beams: a passenger (body 0.3–0.5 m deep), a bag or a trolley
(``kind``), moving at ``speed`` m/s (negative: towards the entry, the wrong way) from ``position``
(its centre, metres from the entry; negative is before the lane). Every ``tick`` the lane moves them
and drives each beam's mock input pin high while any walker covers the beam.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.clock import Clock

DEFAULT_TICK = 0.02


@dataclass
class Walker:
    position: float
    speed: float = 1.0
    length: float = 0.4
    kind: str = "passenger"
    stopped: bool = False

    def covers(self, x: float) -> bool:
        return self.position - self.length / 2 <= x <= self.position + self.length / 2


class EmulatedLane:
    """The far end of ``hal.beams.BeamArray``'s inputs."""

    def __init__(
        self,
        factory: Any,
        pins: Sequence[int],
        positions: Sequence[float],
        clock: Clock,
        *,
        tick: float = DEFAULT_TICK,
    ) -> None:
        if len(pins) != len(positions):
            raise ValueError(f"{len(pins)} beam pins for {len(positions)} positions")
        self._pin = factory.pin
        self.pins = tuple(pins)
        self.positions = tuple(positions)
        self.clock = clock
        self.tick = tick
        self.walkers: list[Walker] = []
        self.length = max(positions) + min(positions)
        self._running = True
        clock.call_later(tick, self._step)

    def add(self, walker: Walker) -> Walker:
        self.walkers.append(walker)
        self._update()
        return walker

    def walk_in(self, *, speed: float = 1.0, length: float = 0.4, gap: float | None = None) -> Walker:
        """A passenger who starts just before the entry; ``gap`` metres behind the last walker if given."""
        start = -length / 2
        if gap is not None and self.walkers:
            last = min(self.walkers, key=lambda w: w.position)
            start = min(start, last.position - last.length / 2 - gap - length / 2)
        return self.add(Walker(start, speed, length))

    def walk_in_wrong_way(self, *, speed: float = 1.0, length: float = 0.4) -> Walker:
        return self.add(Walker(self.length + length / 2, -abs(speed), length))

    @property
    def broken(self) -> tuple[bool, ...]:
        return tuple(any(w.covers(x) for w in self.walkers) for x in self.positions)

    def stop(self) -> None:
        self._running = False

    def _step(self) -> None:
        if not self._running:
            return
        for walker in self.walkers:
            if not walker.stopped:
                walker.position += walker.speed * self.tick
        # Walkers well past either end have left the lane.
        self.walkers = [w for w in self.walkers if -2.0 < w.position < self.length + 2.0]
        self._update()
        self.clock.call_later(self.tick, self._step)

    def _update(self) -> None:
        for pin_no, is_broken in zip(self.pins, self.broken, strict=True):
            pin = self._pin(pin_no)
            if is_broken and not pin.state:
                pin.drive_high()
            elif not is_broken and pin.state:
                pin.drive_low()
