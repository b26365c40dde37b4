"""The lobby queue machine (SOP-004 step 1: the machine calls the number and shows it on a monitor).

Tickets are numbered per day with a letter per service; an officer's "call next" takes the oldest
waiting ticket. Thread-safe: the web app serves requests from several threads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from core.clock import SITE_ZONE, Clock, local_date


@dataclass(frozen=True)
class Ticket:
    number: str
    service_code: str
    issued_at: datetime
    called_at: datetime | None = None
    counter: str = ""


class QueueMachine:
    def __init__(
        self, clock: Clock, prefixes: dict[str, str] | None = None, *, timezone: str = SITE_ZONE
    ) -> None:
        self.clock = clock
        self.timezone = timezone  # numbers restart at the office's midnight, not UTC's (07:00 WIB)
        self.prefixes = dict(prefixes or {})
        self._lock = threading.Lock()
        self._waiting: list[Ticket] = []
        self._called: list[Ticket] = []
        self._counts: dict[str, int] = {}
        self._day = local_date(clock, timezone)

    def prefix_for(self, service_code: str) -> str:
        if service_code not in self.prefixes:
            self.prefixes[service_code] = chr(ord("A") + len(self.prefixes) % 26)
        return self.prefixes[service_code]

    def take(self, service_code: str) -> Ticket:
        """A new ticket for ``service_code``; numbers restart every day."""
        now = self.clock.now()
        with self._lock:
            day = local_date(self.clock, self.timezone)
            if day != self._day:
                self._day, self._counts = day, {}
            prefix = self.prefix_for(service_code)
            self._counts[prefix] = self._counts.get(prefix, 0) + 1
            ticket = Ticket(f"{prefix}{self._counts[prefix]:03d}", service_code, now)
            self._waiting.append(ticket)
            return ticket

    def call_next(self, counter: str = "") -> Ticket | None:
        """Call the oldest waiting ticket to ``counter``; ``None`` when nobody waits."""
        with self._lock:
            if not self._waiting:
                return None
            ticket = self._waiting.pop(0)
            called = Ticket(ticket.number, ticket.service_code, ticket.issued_at, self.clock.now(), counter)
            self._called.insert(0, called)
            del self._called[20:]
            return called

    @property
    def waiting(self) -> list[Ticket]:
        with self._lock:
            return list(self._waiting)

    @property
    def called(self) -> list[Ticket]:
        """Most recent first."""
        with self._lock:
            return list(self._called)
