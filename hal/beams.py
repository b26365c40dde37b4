"""``BeamArray``: the lane's infrared beams, and what their pattern says about the people in the lane.

Beams are numbered from the entry (0) to the exit; each input is active while its beam is broken.
``analyse()`` is pure: from which beams are broken it derives the zones (entry, inside, exit), the
number of bodies (separate groups of broken beams, or one group longer than a person → two), and
thus tailgating. Movement direction comes from the order beams break and clear: the leading edge of a
body walking towards the exit breaks the next beam on the exit side. Vendor practice (see
``shared/notes/hardware-protocols.md``): 6 beams as standard; a false tailgating alarm (a trolley read
as a second person) is better than a missed tailgater.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from hal.backend import pin_factory
from hal.errors import BoardConfigError

DEFAULT_BEAMS = 6
DEFAULT_SPACING = 0.3  # metres between beams: a 0.3–0.5 m body always breaks at least one
DEFAULT_MAX_BODY_LENGTH = 0.6  # metres: a single walking person's depth never exceeds this


class Direction(Enum):
    FORWARD = "forward"  # entry → exit
    BACKWARD = "backward"  # exit → entry: the wrong way


@dataclass(frozen=True, slots=True)
class LaneOccupancy:
    broken: tuple[bool, ...]
    in_entry_zone: bool
    inside: bool
    at_exit: bool
    bodies: int

    @property
    def is_clear(self) -> bool:
        return not any(self.broken)

    @property
    def tailgating(self) -> bool:
        """More than one body in the lane (SOP-003-A08: the gate serves one passenger at a time)."""
        return self.bodies > 1


def default_positions(count: int = DEFAULT_BEAMS, spacing: float = DEFAULT_SPACING) -> tuple[float, ...]:
    return tuple(round(spacing / 2 + spacing * i, 6) for i in range(count))


def analyse(
    broken: Sequence[bool],
    positions: Sequence[float],
    *,
    entry_beams: int = 1,
    exit_beams: int = 1,
    max_body_length: float = DEFAULT_MAX_BODY_LENGTH,
) -> LaneOccupancy:
    """What the broken beams mean. ``positions`` are the beams' distances from the entry in metres."""
    if len(broken) != len(positions):
        raise ValueError(f"{len(broken)} beam states for {len(positions)} beam positions")
    bodies = 0
    start: int | None = None
    for index, is_broken in enumerate([*broken, False]):
        if is_broken and start is None:
            start = index
        elif not is_broken and start is not None:
            extent = positions[index - 1] - positions[start]
            bodies += max(1, math.ceil(round(extent / max_body_length, 6)))
            start = None
    count = len(broken)
    return LaneOccupancy(
        broken=tuple(bool(b) for b in broken),
        in_entry_zone=any(broken[:entry_beams]),
        inside=any(broken[entry_beams : count - exit_beams]),
        at_exit=any(broken[count - exit_beams :]),
        bodies=bodies,
    )


def movement(before: Sequence[bool], after: Sequence[bool]) -> Direction | None:
    """The direction shown by one beam changing between two patterns, if it shows one."""
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    if len(changed) != 1:
        return None
    i, last = changed[0], len(after) - 1
    behind = after[i - 1] if i > 0 else False
    ahead = after[i + 1] if i < last else False
    if after[i]:  # a beam broke: the body's leading edge moved onto it
        if behind and not ahead:
            return Direction.FORWARD
        if ahead and not behind:
            return Direction.BACKWARD
        if not behind and not ahead:  # a body appeared at one end of the lane
            return Direction.FORWARD if i == 0 else Direction.BACKWARD if i == last else None
        return None
    # a beam cleared: the body's trailing edge left it
    if ahead and not behind:
        return Direction.FORWARD
    if behind and not ahead:
        return Direction.BACKWARD
    return None


Callback = Callable[[], None]


class BeamArray:
    """The lane's beams on GPIO inputs (active while broken).

    Events: ``when_changed`` (any beam), ``when_entered`` (someone reached the entry zone),
    ``when_tailgating`` (a second body appeared), ``when_wrong_way`` (movement towards the entry),
    ``when_cleared`` (the lane is empty again).
    """

    def __init__(
        self,
        pins: Sequence[int],
        *,
        positions: Sequence[float] | None = None,
        entry_beams: int = 1,
        exit_beams: int = 1,
        max_body_length: float = DEFAULT_MAX_BODY_LENGTH,
        backend: str | None = None,
    ) -> None:
        from gpiozero import DigitalInputDevice

        if len(pins) < entry_beams + exit_beams + 1:
            raise BoardConfigError(
                f"beams: {len(pins)} pins cannot make an entry zone of {entry_beams}, "
                f"an exit zone of {exit_beams} and an inside; give at least {entry_beams + exit_beams + 1}"
            )
        self.positions = tuple(positions) if positions is not None else default_positions(len(pins))
        if len(self.positions) != len(pins) or list(self.positions) != sorted(self.positions):
            raise BoardConfigError(
                f"beams: positions must be {len(pins)} distances from the entry in increasing order"
            )
        self.entry_beams = entry_beams
        self.exit_beams = exit_beams
        self.max_body_length = max_body_length
        self.when_changed: Callback | None = None
        self.when_entered: Callback | None = None
        self.when_tailgating: Callback | None = None
        self.when_wrong_way: Callback | None = None
        self.when_cleared: Callback | None = None
        self.direction: Direction | None = None
        self._lock = threading.RLock()
        factory = pin_factory(backend)
        self._inputs = [DigitalInputDevice(pin, pull_up=False, pin_factory=factory) for pin in pins]
        self._closed = False
        self._last = self.broken
        self._occupancy = self._analyse(self._last)
        for device in self._inputs:
            device.when_activated = self._changed
            device.when_deactivated = self._changed

    @property
    def broken(self) -> tuple[bool, ...]:
        return tuple(bool(device.is_active) for device in self._inputs)

    @property
    def occupancy(self) -> LaneOccupancy:
        with self._lock:
            return self._occupancy

    def _analyse(self, broken: Sequence[bool]) -> LaneOccupancy:
        return analyse(
            broken,
            self.positions,
            entry_beams=self.entry_beams,
            exit_beams=self.exit_beams,
            max_body_length=self.max_body_length,
        )

    def _changed(self) -> None:
        with self._lock:
            if self._closed:
                return
            now = self.broken
            before, self._last = self._last, now
            previous, current = self._occupancy, self._analyse(now)
            self._occupancy = current
            step = movement(before, now)
            if step is not None:
                self.direction = step
            events = [self.when_changed]
            if current.in_entry_zone and not previous.in_entry_zone:
                events.append(self.when_entered)
            if current.tailgating and not previous.tailgating:
                events.append(self.when_tailgating)
            if step is Direction.BACKWARD:
                events.append(self.when_wrong_way)
            if current.is_clear and not previous.is_clear:
                self.direction = None
                events.append(self.when_cleared)
        for callback in events:
            if callback is not None:
                callback()

    def close(self) -> None:
        """Release the pins. Calling it twice is harmless."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for device in self._inputs:
                device.close()

    def __enter__(self) -> BeamArray:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
