"""Time as a dependency: every component takes a clock, so flows and SLA timers are exact in tests.

``SystemClock`` is the real one. ``ManualClock`` only moves when a test (or the emulator) advances it;
timers scheduled on it fire in order during ``advance()``, so flow tests never sleep.

Clocks read UTC. The *day* that matters at a checkpoint (a passport's expiry, a stay permit's last day, an
overstay's count, a queue's numbering) is the local day of the office: ``local_date(clock, zone)``, with
the zone from the device's config (``SITE_ZONE``, WIB, unless set: WITA and WIT offices set theirs).
Between 17:00 and 24:00 UTC the UTC date is the day before Jakarta's.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SITE_ZONE = "Asia/Jakarta"  # WIB (UTC+7); Asia/Makassar is WITA (UTC+8), Asia/Jayapura WIT (UTC+9)


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    """What components need of time: a monotonic reading, the UTC wall time, and one-shot timers."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; never goes backwards."""
        ...

    def now(self) -> datetime:
        """The current UTC time (timezone-aware)."""
        ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` once after ``delay`` seconds; the returned timer can be cancelled."""
        ...


@lru_cache(maxsize=16)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; ``ValueError`` naming it when this machine does not know it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as {SITE_ZONE!r}") from exc


def local_date(clock: Clock, zone_name: str = SITE_ZONE) -> date:
    """Today in the office's time zone (not the UTC date)."""
    return clock.now().astimezone(zone(zone_name)).date()


class SystemClock:
    """The machine's clocks; timers run on daemon threads."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        timer = threading.Timer(max(0.0, delay), callback)
        timer.daemon = True
        timer.start()
        return timer


class ScaledClock:
    """Real time sped up by ``factor``: the site emulator runs gates faster than life, in real processes.

    One second of this clock passes in ``1 / factor`` real seconds; timers are scaled likewise, so a 1 s
    door travel takes 50 ms of real time at ``factor=20``. The wall time starts at the real time of creation.
    """

    def __init__(self, factor: float, start: datetime | None = None) -> None:
        if factor <= 0:
            raise ValueError(f"ScaledClock factor must be positive, got {factor}")
        self.factor = factor
        self._real_origin = time.monotonic()
        self._wall_origin = start or datetime.now(UTC)

    def monotonic(self) -> float:
        return (time.monotonic() - self._real_origin) * self.factor

    def now(self) -> datetime:
        return self._wall_origin + timedelta(seconds=self.monotonic())

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        timer = threading.Timer(max(0.0, delay) / self.factor, callback)
        timer.daemon = True
        timer.start()
        return timer


@dataclass(order=True)
class _Scheduled:
    due: float
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """A clock that moves only when told to. Thread-safe; callbacks run in the advancing thread.

    >>> clock = ManualClock()
    >>> fired = []
    >>> _ = clock.call_later(1.0, lambda: fired.append(clock.monotonic()))
    >>> clock.advance(0.5); fired
    []
    >>> clock.advance(0.5); fired
    [1.0]
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._wall_origin = start or datetime(2026, 1, 1, tzinfo=UTC)
        if self._wall_origin.tzinfo is None:
            raise ValueError("ManualClock start must be timezone-aware (UTC)")
        self._t = 0.0
        self._queue: list[_Scheduled] = []
        self._seq = itertools.count()
        self._lock = threading.RLock()

    def monotonic(self) -> float:
        with self._lock:
            return self._t

    def now(self) -> datetime:
        with self._lock:
            return self._wall_origin + timedelta(seconds=self._t)

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        with self._lock:
            item = _Scheduled(self._t + max(0.0, delay), next(self._seq), callback)
            heapq.heappush(self._queue, item)
            return item

    def advance(self, seconds: float) -> None:
        """Move time forward, firing every timer that falls due, in order, at its own due time."""
        if seconds < 0:
            raise ValueError("time cannot go backwards")
        with self._lock:
            target = self._t + seconds
        while True:
            # Callbacks run outside the clock's lock: a device that holds its own lock while asking the
            # clock the time (from another thread) must not deadlock against the advancing thread.
            with self._lock:
                if not self._queue or self._queue[0].due > target:
                    self._t = max(self._t, target)
                    return
                item = heapq.heappop(self._queue)
                if item.cancelled:
                    continue
                self._t = max(self._t, item.due)
            item.callback()

    def pending(self) -> int:
        """How many timers are still waiting (cancelled ones excluded)."""
        with self._lock:
            return sum(1 for item in self._queue if not item.cancelled)
