"""A stand-in gate for the delivery path: real outbox, publisher, MQTT link and wire messages.

The gate runtime (``edge/runtime.py``: HAL board + flow + outbox + link) had not landed when the site
emulator was written, so this stand-in plays each passenger's *expected* outcome (``population.EXPECTED``)
instead of running the SOP flow on the emulated board. What it does run for real is everything between
the gate and central's store: ``edge.outbox.Outbox`` (SQLite, fsynced), ``edge.publisher.EventPublisher``
(store-and-forward, replay on connect, delete on central's ack) and ``edge.link.MqttLink`` (paho MQTT 5,
persistent session), with ``core.wire`` ``CrossingRecord`` and ``Alarm`` messages on the real topics.
That is the part the no-loss proof is about (broker restart, central kill, gate kill -9).

The ledger is an append-only JSON-lines file: a ``session`` line before a passenger's events (so a
recovered event can be tied to its passenger), then one ``event`` line per event *after* it is in the
outbox. On start, events found in the outbox but missing from the ledger (a kill -9 between the outbox
write and the ledger write) are added to the ledger, and passengers already played are skipped, so the
ledger is exactly the set of events this gate emitted.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from core.clock import Clock, SystemClock
from core.wire import (
    Alarm,
    AlarmKind,
    CrossingOutcome,
    CrossingRecord,
    Direction,
    DocumentFields,
    Severity,
    StepTimings,
    StoredEventsAck,
    decode,
    encode,
    new_event_id,
)
from core.wire.topics import Channel, topic_for
from edge.link import LinkConfig, MqttLink
from edge.outbox import Outbox
from edge.publisher import EventPublisher
from emulator.population import Kind, Passenger


class WireGateError(RuntimeError):
    """The stand-in gate could not start or finish; the message says what to check."""


def decode_ack(payload: bytes) -> list[str]:
    """Event ids central stored (or quarantined: the outbox drops those too) from a ``StoredEventsAck``."""
    msg = decode(payload)
    if not isinstance(msg, StoredEventsAck):
        raise ValueError(f"expected a stored_events_ack on the ack topic, got {type(msg).__name__}")
    return [*msg.event_ids, *msg.quarantined]


@dataclass(frozen=True)
class LedgerState:
    """What an existing ledger says: passengers' sessions and the event types already emitted."""

    sessions: dict[int, str]
    emitted: dict[int, set[str]]
    event_ids: set[str]


def read_ledger(path: Path) -> list[dict[str, Any]]:
    """Every complete line of a ledger (a torn last line from a kill -9 is ignored)."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def ledger_event_ids(path: Path) -> set[str]:
    return {row["event_id"] for row in read_ledger(path) if row.get("line") == "event"}


class Ledger:
    """The append-only record of what this gate emitted (fsynced per line)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._lock = threading.Lock()

    def write(self, row: dict[str, Any]) -> None:
        data = (json.dumps(row, separators=(",", ":")) + "\n").encode()
        with self._lock:
            os.write(self._fd, data)
            os.fsync(self._fd)

    def state(self) -> LedgerState:
        sessions: dict[int, str] = {}
        emitted: dict[int, set[str]] = {}
        ids: set[str] = set()
        for row in read_ledger(self.path):
            if row.get("line") == "session":
                sessions[int(row["passenger"])] = str(row["session"])
            elif row.get("line") == "event":
                emitted.setdefault(int(row["passenger"]), set()).add(str(row["type"]))
                ids.add(str(row["event_id"]))
        return LedgerState(sessions, emitted, ids)

    def close(self) -> None:
        os.close(self._fd)


@dataclass
class GateIdentity:
    device_id: str
    site: str = "cgk"
    direction: str = "departure"


class WireGate:
    """Plays a list of passengers on one emulated gate, through the real delivery path."""

    def __init__(
        self,
        identity: GateIdentity,
        *,
        broker_url: str,
        outbox_path: Path,
        ledger_path: Path,
        clock: Clock,
        factor: float,
        die_after_append: int | None = None,
        link_options: dict[str, Any] | None = None,
    ) -> None:
        self.identity = identity
        self.clock = clock
        self.factor = factor
        self.die_after_append = die_after_append
        self._appends = 0
        self.ledger = Ledger(ledger_path)
        self.outbox = Outbox(outbox_path)
        ack = topic_for(identity.site, "gate", identity.device_id, Channel.ACK)
        self.event_topic = topic_for(identity.site, "gate", identity.device_id, Channel.EVENT)
        # link_options: the broker account and TLS files (emulator.sitetls.link_options).
        self.link = MqttLink(
            LinkConfig(
                url=broker_url, client_id=identity.device_id, reconnect_max_s=2.0, **(link_options or {})
            )
        )
        self.publisher = EventPublisher(
            # Replays run on real time (not the sped-up clock): a replay every 25 ms would flood the
            # broker with transport duplicates of events still waiting for their ack.
            self.outbox,
            self.link,
            ack_topic=ack,
            decode_ack=decode_ack,
            clock=SystemClock(),
            replay_interval_s=3.0,
        )
        self.link.when_connected = self.publisher.replay
        self.stop = threading.Event()
        self.on_passenger: Callable[[Passenger], None] | None = None

    def start(self) -> None:
        self._recover()
        self.publisher.start()
        self.link.start()

    def close(self) -> None:
        self.publisher.close()
        self.link.close()
        self.outbox.close()
        self.ledger.close()

    def _recover(self) -> None:
        """Ledger lines for outbox events a kill -9 left out of the ledger (see the module docstring)."""
        state = self.ledger.state()
        by_session = {sid: p for p, sid in state.sessions.items()}
        for entry in self.outbox.pending():
            if entry.event_id in state.event_ids:
                continue
            msg = decode(entry.payload)
            session = getattr(msg, "session_id", None)
            passenger = by_session.get(str(session), -1)
            self.ledger.write(
                {"line": "event", "event_id": entry.event_id, "passenger": passenger, "type": msg.TYPE,
                 "recovered": True}
            )  # fmt: skip

    # -- playing passengers ---------------------------------------------------------------------------

    def play(self, passengers: list[Passenger]) -> int:
        """Play passengers in arrival order, lane one at a time; returns how many were played now."""
        state = self.ledger.state()
        lane_free_at = 0.0
        played = 0
        start = time.monotonic()
        for p in passengers:
            if self.stop.is_set():
                break
            begin = max(lane_free_at, p.arrival_s)
            lane_free_at = begin + p.cycle_s
            done = state.emitted.get(p.index, set())
            if "crossing" in done or (p.kind is Kind.WRONG_WAY and "alarm" in done):
                continue  # played before a restart
            # Pace in real time: the lane is busy for cycle_s emulated seconds (ScaledClock factor).
            due = start + lane_free_at / self.factor
            self.stop.wait(max(0.0, due - time.monotonic()))
            self._play_one(p, state.sessions.get(p.index), done, begin)
            played += 1
            if self.on_passenger is not None:
                self.on_passenger(p)
        return played

    def _play_one(self, p: Passenger, session: str | None, done: set[str], begin_s: float) -> None:
        if session is None:
            session = new_event_id()
            self.ledger.write({"line": "session", "passenger": p.index, "session": session, "kind": p.kind})
        now = self.clock.now()
        if p.alarm is not None and "alarm" not in done:
            alarm = Alarm(
                device_id=self.identity.device_id,
                ts=now,
                alarm_id=new_event_id(),
                kind=AlarmKind(p.alarm),
                severity=Severity.CRITICAL if p.kind is Kind.CEKAL_IDENTIK else Severity.WARNING,
                session_id=session,
                message=f"emulated passenger {p.index}: {p.kind}",
            )
            self._emit(alarm, p)
        if p.kind is Kind.WRONG_WAY:
            return  # nobody presented a document: an alarm, no crossing record
        self._emit(self._crossing(p, session, now), p)

    def _crossing(self, p: Passenger, session: str, now: datetime) -> CrossingRecord:
        t = p.timing
        reached_biometrics = p.expected_outcome in ("crossed", "redirected") and p.kind is not Kind.TAILGATER
        retries = 2 if p.kind is Kind.NEEDS_RETRY else 1
        faces = 2 if p.kind is Kind.IMPOSTOR else 1
        readable = p.kind is not Kind.DAMAGED_MRZ
        return CrossingRecord(
            device_id=self.identity.device_id,
            ts=now,
            session_id=session,
            site=self.identity.site,
            direction=Direction(self.identity.direction),
            outcome=CrossingOutcome(p.expected_outcome),
            reason=p.expected_reason,
            document=DocumentFields(
                document_code="P",
                issuing_state=p.nationality,
                document_number=p.document_number,
                nationality=p.nationality,
                surname=p.surname,
                given_names=p.given_names,
                birth_date=p.birth_date,
                sex=p.sex,
                expiry_date=p.expiry_date,
            )
            if readable
            else None,
            timings_ms=StepTimings(
                scan=_ms(t.scan_s),
                entry_door=1000 if p.expected_outcome != "rejected_document" else None,
                fingerprint=_ms(t.fingerprint_s * retries) if reached_biometrics else None,
                face=_ms(t.face_s * faces) if reached_biometrics else None,
                exit_door=1000 if p.expected_outcome == "crossed" else None,
                total=_ms(p.cycle_s),
            ),
            fingerprint_attempts=retries if reached_biometrics else 0,
            face_attempts=faces if reached_biometrics else 0,
        )

    def _emit(self, msg: CrossingRecord | Alarm, p: Passenger) -> None:
        began = time.perf_counter()
        self.publisher.emit(self.event_topic, encode(msg), event_id=msg.event_id)
        emit_ms = (time.perf_counter() - began) * 1000
        self._appends += 1
        if self.die_after_append is not None and self._appends >= self.die_after_append:
            # The fault "gate killed between writing and publishing": the event is in the outbox,
            # not yet in the ledger. Recovery on the next start must find it.
            os.kill(os.getpid(), signal.SIGKILL)
        row: dict[str, Any] = {
            "line": "event", "event_id": msg.event_id, "passenger": p.index, "type": msg.TYPE,
            "kind": p.kind, "emit_ms": round(emit_ms, 3),
        }  # fmt: skip
        if isinstance(msg, CrossingRecord):
            row["outcome"] = msg.outcome.value
            row["cycle_s"] = round(p.cycle_s, 3)
        self.ledger.write(row)

    def drain(self, timeout_s: float) -> bool:
        """Wait (real seconds) until central has acked every event; True when the outbox is empty."""
        deadline = time.monotonic() + timeout_s
        last_replay = 0.0
        while self.outbox.depth() and time.monotonic() < deadline and not self.stop.is_set():
            if self.link.is_connected and time.monotonic() - last_replay > 2.0:
                self.publisher.replay()
                last_replay = time.monotonic()
            self.stop.wait(0.1)
        return self.outbox.depth() == 0


def _ms(seconds: float) -> int:
    return round(seconds * 1000)
