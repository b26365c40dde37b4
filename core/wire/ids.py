"""Event ids: UUIDv7 (RFC 9562) as canonical lowercase strings, time-ordered, stdlib only.

Why a string and not 16 bytes: the id is a primary key in central's store, appears in logs, acks and the
dashboard, and is compared by people; 20 extra bytes per message are cheap next to that. Ids sort
lexicographically in creation order (the first 48 bits are the Unix time in milliseconds); within one
millisecond a per-process counter in ``rand_a`` keeps ids made by the same process strictly increasing
(RFC 9562 §6.2, method 1).
"""

from __future__ import annotations

import os
import re
import threading
from datetime import UTC, datetime, timedelta

from core.wire.errors import WireError

UUID7_PATTERN = r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
_UUID7_RE = re.compile(UUID7_PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_MS = (1 << 48) - 1


def event_id_from_parts(unix_ms: int, rand_a: int, rand_b: int) -> str:
    """Lay out a UUIDv7 from its three variable parts (48-bit ms, 12-bit ``rand_a``, 62-bit ``rand_b``)."""
    if not 0 <= unix_ms <= _MAX_MS:
        raise WireError(f"UUIDv7 time {unix_ms} ms is outside 0..2**48-1; use a time after 1970")
    value = (
        (unix_ms << 80) | (0x7 << 76) | ((rand_a & 0xFFF) << 64) | (0b10 << 62) | (rand_b & ((1 << 62) - 1))
    )
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _unix_ms(at: datetime) -> int:
    if at.tzinfo is None:
        raise WireError("event-id time must be timezone-aware (UTC); pass clock.now(), not a naive datetime")
    return (at - _EPOCH) // timedelta(milliseconds=1)


class EventIdGenerator:
    """Makes UUIDv7 ids that increase strictly for as long as the time given does not go backwards."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_clock_ms = -1  # the time given for the first id of the current run
        self._last_ms = -1  # the time written into the last id (ahead of the clock after borrowing)
        self._counter = 0

    def new(self, at: datetime | None = None) -> str:
        ms = _unix_ms(at if at is not None else datetime.now(UTC))
        with self._lock:
            if self._last_clock_ms <= ms <= self._last_ms:
                # Same millisecond as the last id (or within the ms borrowed after it): count on.
                ms, counter = self._last_ms, self._counter + 1
                if counter > 0xFFF:
                    # 4,096 ids in one millisecond: borrow the next millisecond rather than lose order.
                    ms, counter = ms + 1, 0
            else:
                # A fresh random start with the top bit clear leaves room for >2,000 ids per ms.
                counter = int.from_bytes(os.urandom(2), "big") & 0x7FF
                self._last_clock_ms = ms
            self._last_ms, self._counter = ms, counter
        return event_id_from_parts(ms, counter, int.from_bytes(os.urandom(8), "big"))


_DEFAULT = EventIdGenerator()


def new_event_id(at: datetime | None = None) -> str:
    """A new time-ordered event id. Pass ``at=clock.now()`` when the component runs on a non-system clock."""
    return _DEFAULT.new(at)


def is_event_id(value: object) -> bool:
    """Whether ``value`` is a canonical (lowercase, hyphenated) UUIDv7 string."""
    return isinstance(value, str) and _UUID7_RE.fullmatch(value) is not None


def event_id_time(event_id: str) -> datetime:
    """The UTC time (millisecond precision) embedded in a UUIDv7 event id."""
    if not is_event_id(event_id):
        raise WireError(f"{event_id!r} is not a UUIDv7 event id (expected e.g. 0193a1b2-...-7...)")
    return _EPOCH + timedelta(milliseconds=int(event_id[:8] + event_id[9:13], 16))
