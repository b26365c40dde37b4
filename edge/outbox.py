"""The durable outbox: every event is on disk before it is published, and leaves only when central acks.

ARCHITECTURE "Data that must never be lost": a crossing, alarm or door fault is appended here (SQLite,
WAL, ``synchronous=FULL``, so a committed append survives ``kill -9`` and power loss), then published;
it is deleted only when central's stored-events ack names its id. Replay after a reconnect walks the
rows in append order. When the outbox holds ``max_events`` rows it refuses new ones with
``OutboxFullError``; it fires ``when_full`` once at ``max_events - reserve``, so the gate goes out of
service instead of dropping events; ``when_drained`` fires once depth falls back under the resume mark.
Both fire after the write that crossed the mark, outside the outbox's lock, in the order the marks were
crossed; ``append(..., announce=False)`` leaves them for the caller's ``announce()`` (the publisher hands
the event on first, so the event that filled the outbox goes out before the alarm its callback raises).

Issue 12: payloads (face crops of alarms, kiosk applications with photos, fingerprints and document scans)
are sealed at rest with AES-GCM (``edge.sealed``; the key from ``sealer``, else ``<outbox>.key`` made on
first use, mode 0600) and ``secure_delete`` overwrites acknowledged rows. Rows written before sealing are
still read as they are.

>>> import tempfile, pathlib
>>> box = Outbox(pathlib.Path(tempfile.mkdtemp()) / "outbox.db", max_events=10)
>>> first = box.append("gate/g1/events", b"crossing", event_id="e1")
>>> [e.event_id for e in box.pending()]
['e1']
>>> box.acknowledge(["e1"]), box.depth()
(1, 0)
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge.errors import OutboxError, OutboxFullError
from edge.sealed import Sealer, SealError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
)
"""


@dataclass(frozen=True)
class OutboxEntry:
    """One stored event: ``seq`` orders replay, ``event_id`` is what central acks."""

    seq: int
    event_id: str
    topic: str
    payload: bytes
    attempts: int


class Outbox:
    """An append-before-publish event store on one SQLite file; safe to share between threads."""

    def __init__(
        self,
        path: Path | str,
        *,
        max_events: int = 100_000,
        reserve: int = 0,
        resume_ratio: float = 0.9,
        sealer: Sealer | None = None,
    ) -> None:
        if max_events < 1:
            raise OutboxError(f"outbox max_events must be at least 1, got {max_events}")
        if not 0 <= reserve < max_events:
            raise OutboxError(f"outbox reserve must be in [0, max_events), got {reserve}")
        if not 0.0 < resume_ratio <= 1.0:
            raise OutboxError(f"outbox resume_ratio must be in (0, 1], got {resume_ratio}")
        self.path = Path(path)
        self.max_events = max_events
        # The gate stops taking passengers ``reserve`` events before the hard limit, so the passenger
        # already inside still gets a crossing record and its alarms.
        self._full_at = max_events - reserve
        self._resume_at = min(self._full_at - 1, int(self._full_at * resume_ratio))
        self._lock = threading.RLock()
        self.when_full: Callable[[], None] | None = None
        self.when_drained: Callable[[], None] | None = None
        # Mark crossings (when_full / when_drained) not yet announced, oldest first.
        self._signals: list[Callable[[], None] | None] = []
        self._announcing = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.sealer = sealer or Sealer.load(default=self.path.with_name(self.path.name + ".key"))
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: the WAL is fsynced at every commit, so an append that returned is on the disk.
            self._db.execute("PRAGMA synchronous=FULL")
            # Acknowledged rows are overwritten with zeros, not just unlinked from the b-tree.
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.execute(_SCHEMA)
        except (sqlite3.Error, OSError, SealError) as exc:
            raise OutboxError(
                f"cannot open the outbox at {self.path}: {exc}; check the folder exists and is writable"
            ) from exc
        self._depth = self._count()
        self._full = self._depth >= self._full_at

    # -- writing -------------------------------------------------------------------------------------

    def append(self, topic: str, payload: bytes, *, event_id: str, announce: bool = True) -> OutboxEntry:
        """Store one event durably and return it; raises ``OutboxFullError`` at the size limit.

        Appending an ``event_id`` that is already stored returns the stored row unchanged, so a
        retried write cannot create a second copy. A ``when_full`` this append causes runs after the
        write, outside the lock; with ``announce=False`` only at the caller's ``announce()``.
        """
        try:
            return self._append(topic, payload, event_id)
        finally:
            if announce:
                self.announce()

    def announce(self) -> None:
        """Run the ``when_full`` / ``when_drained`` callbacks of the mark crossings not yet announced, in
        the order they happened, with no lock held (a callback may append: the gate raises an alarm)."""
        with self._lock:
            if self._announcing:
                return  # another call (this thread's, further up, or another's) runs them, in order
            self._announcing = True
        while True:
            with self._lock:
                if not self._signals:
                    self._announcing = False  # under the lock that queues them: none is left behind
                    return
                callback = self._signals.pop(0)
            try:
                if callback is not None:
                    callback()
            except BaseException:
                with self._lock:
                    self._announcing = False
                raise

    def _append(self, topic: str, payload: bytes, event_id: str) -> OutboxEntry:
        with self._lock:
            existing = self._get(event_id)
            if existing is not None:
                return existing
            if self._depth >= self.max_events:
                self._set_full(True)
                raise OutboxFullError(
                    f"the outbox holds {self._depth} events (limit {self.max_events}); the gate stops "
                    "accepting passengers until central acknowledges stored events"
                )
            try:
                cur = self._db.execute(
                    "INSERT INTO outbox (event_id, topic, payload) VALUES (?, ?, ?)",
                    (event_id, topic, self.sealer.seal(payload, context=event_id.encode())),
                )
            except sqlite3.Error as exc:
                raise OutboxError(f"cannot store event {event_id}: {exc}; check disk space") from exc
            self._depth += 1
            seq = cur.lastrowid
            assert seq is not None
            if self._depth >= self._full_at:
                self._set_full(True)
            return OutboxEntry(seq, event_id, topic, bytes(payload), 0)

    def acknowledge(self, event_ids: Iterable[str]) -> int:
        """Delete the events central says it committed; returns how many were still stored."""
        ids = list(event_ids)
        if not ids:
            return 0
        try:
            return self._acknowledge(ids)
        finally:
            self.announce()

    def _acknowledge(self, ids: list[str]) -> int:
        with self._lock:
            removed = 0
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for event_id in ids:
                    removed += self._db.execute("DELETE FROM outbox WHERE event_id = ?", (event_id,)).rowcount
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise OutboxError(f"cannot delete acknowledged events: {exc}") from exc
            self._depth -= removed
            if self._full and self._depth <= self._resume_at:
                self._set_full(False)
            return removed

    def mark_attempted(self, event_id: str) -> None:
        """Count one publish attempt (shown in status; replay order does not depend on it)."""
        with self._lock:
            self._db.execute("UPDATE outbox SET attempts = attempts + 1 WHERE event_id = ?", (event_id,))

    # -- reading -------------------------------------------------------------------------------------

    def pending(self, *, after_seq: int = 0, limit: int | None = None) -> list[OutboxEntry]:
        """Stored events in append order, starting after ``after_seq``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, event_id, topic, payload, attempts FROM outbox"
                " WHERE seq > ? ORDER BY seq LIMIT ?",
                (after_seq, -1 if limit is None else limit),
            ).fetchall()
        return [self._entry(r) for r in rows]

    def secure_delete_on(self) -> bool:
        """Whether SQLite overwrites deleted rows on this connection (it should: issue 12)."""
        with self._lock:
            return bool(self._db.execute("PRAGMA secure_delete").fetchone()[0])

    def depth(self) -> int:
        """How many events wait for central's ack."""
        with self._lock:
            return self._depth

    @property
    def is_full(self) -> bool:
        """Whether the outbox is at its limit (stays true until depth falls under the resume mark)."""
        with self._lock:
            return self._full

    def close(self) -> None:
        """Close the file; calling it twice is harmless."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------------------

    def _count(self) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()
        return int(row[0])

    def _get(self, event_id: str) -> OutboxEntry | None:
        row = self._db.execute(
            "SELECT seq, event_id, topic, payload, attempts FROM outbox WHERE event_id = ?", (event_id,)
        ).fetchone()
        if row is None:
            return None
        return self._entry(row)

    def _entry(self, row: tuple[Any, ...]) -> OutboxEntry:
        event_id = str(row[1])
        try:
            payload = self.sealer.open(bytes(row[3]), context=event_id.encode())
        except SealError as exc:
            raise OutboxError(f"cannot read event {event_id} from {self.path}: {exc}") from exc
        return OutboxEntry(int(row[0]), event_id, str(row[2]), payload, int(row[4]))

    def _set_full(self, full: bool) -> None:
        if full == self._full:
            return
        self._full = full
        # Announced once the write is done and the lock released (``announce``), never from in here.
        self._signals.append(self.when_full if full else self.when_drained)
