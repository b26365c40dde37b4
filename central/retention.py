"""Retention of personal data on central (issue 12): what is blanked or deleted after how long.

``run(store, policy, now=..., dry_run=False)`` applies the policy once and audits it (``retention.run``,
with the counts); ``python -m central retention run [--dry-run]`` does it from the shell, and
``Periodic`` repeats it on a timer inside ``central serve``.

The periods are **placeholders** (``Policy()`` defaults): the applicable rules (UU 27/2022 on personal data
protection, immigration records rules) decide them; set them with the CLI options or ``Policy(...)``.

| what | after | becomes |
| --- | --- | --- |
| face snapshots of alerts (``alerts.face_jpeg``) | ``face_days`` after the alert opened | NULL |
| CCTV alarm snapshots (``cctv_alarms.snapshot_jpeg``) | ``face_days`` after it occurred | empty |
| crossings' document number, issuing state, nationality, holder name | ``crossing_days`` | "" |
| enrolment records (templates) | ``enrolment_days`` after the last (re-)enrolment | deleted |
| binaries in raw event bodies (templates, scans, face crops) | ``face_days`` | ``{"$redacted": "binary"}`` |
| the rest of a raw event body (document, names, free text) | ``crossing_days`` | ``EVENT_KEEP`` of its type |

Counts, outcomes, times and gates stay, so reports over old periods still add up (the reports read the
projections, never the raw bodies). A redacted event body keeps its ids (event, session, alarm,
application, watch-list and gallery entry), type, device, time and the non-personal facts of its type,
so audit rows and projections that name an event still find it. The audit trail and its hash chain are
not touched (only a ``retention.run`` row is appended), so ``central audit verify`` still passes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from central.cctv import tables as cctv_tables
from central.errors import Invalid
from central.store import Store
from central.store import schema as t
from core.clock import Clock

log = logging.getLogger("central.retention")
DAY_S = 86_400.0

# What a raw event body keeps after ``crossing_days``: an allow-list, so a field a device adds later is
# dropped unless it is named here. None of these is a name, a document field, a template or an image.
EVENT_COMMON = ("type", "schema", "event_id", "ts", "device_id")
EVENT_KEEP: dict[str, tuple[str, ...]] = {
    "crossing": (
        "session_id",
        "site",
        "direction",
        "outcome",
        "reason",
        "timings_ms",
        "scores",
        "watchlist_version",
        "cekal_entry_id",
        "fingerprint_attempts",
        "face_attempts",
    ),
    # ``message``, ``instructions`` and ``details`` may name the person (a cekal hit): dropped.
    "alarm": ("alarm_id", "kind", "severity", "cleared", "session_id", "watchlist_entry_id", "match_score"),
    "door": ("door", "state", "reason", "session_id"),
    "retry_request": ("session_id", "modality", "attempt", "score", "threshold"),
    "enrolment": ("application_id", "face_model_id", "face_quality", "fingerprint_model_id"),
    "application": (
        "application_id",
        "service_code",
        "face_model_id",
        "fingerprint_model_id",
        "submitted_at",
    ),
    # ``label`` is the gallery entry's label (a name or a case number): dropped.
    "cctv_alarm": ("entry_id", "watchlist_id", "score", "threshold", "track_id"),
}
REDACTED = "$redacted"  # first key of a cut-down body: when it was cut
BINARY = {REDACTED: "binary"}  # what a binary value (``{"$base64": ...}``) becomes after ``face_days``
BATCH = 500


@dataclass(frozen=True)
class Policy:
    face_days: float = 30.0
    crossing_days: float = 365.0
    enrolment_days: float = 5 * 365.0

    def __post_init__(self) -> None:
        for name, days in asdict(self).items():
            if not days > 0:
                raise Invalid(f"retention {name} must be more than 0 days, got {days}")


@dataclass(frozen=True)
class Outcome:
    alert_faces: int
    cctv_snapshots: int
    crossings: int
    enrolments: int
    dry_run: bool
    event_binaries: int = 0  # raw event bodies whose binary values were removed (``face_days``)
    event_bodies: int = 0  # raw event bodies cut down to ``EVENT_KEEP`` (``crossing_days``)

    def summary(self) -> str:
        verb = "would clear" if self.dry_run else "cleared"
        return (
            f"retention {verb}: {self.alert_faces} alert face snapshot(s), {self.cctv_snapshots} CCTV "
            f"snapshot(s), document fields of {self.crossings} crossing(s), {self.enrolments} enrolment(s), "
            f"binary values of {self.event_binaries} event body(ies), personal data of {self.event_bodies} "
            "event body(ies)"
        )


def redact_binaries(value: Any) -> Any:
    """``value`` with every binary (``{"$base64": ...}``, how the store writes bytes) made ``BINARY``."""
    if isinstance(value, dict):
        if set(value) == {"$base64"}:
            return dict(BINARY)
        return {k: redact_binaries(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_binaries(v) for v in value]
    return value


def cut_down(body: dict[str, Any], event_type: str, *, now: datetime) -> dict[str, Any]:
    """The raw event body past ``crossing_days``: ``EVENT_KEEP`` of its type, no binaries, marked."""
    keep = EVENT_COMMON + EVENT_KEEP.get(event_type, ())
    kept = {k: redact_binaries(body[k]) for k in keep if k in body}
    return {REDACTED: now.isoformat().replace("+00:00", "Z"), **kept}


def _event_conditions(
    face_before: datetime, crossing_before: datetime
) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    """(bodies to cut down, bodies whose binaries to remove), disjoint, on SQLite and PostgreSQL.

    The body's JSON text is matched: the store writes ``json.dumps`` output (``{"$base64": ...}`` for
    bytes) and a cut-down body starts with ``{"$redacted"``, so done rows are not read again. A quoted
    ``"$base64"`` inside a string value is escaped (``\\"``) and does not match.
    """
    events = t.events
    text = sa.cast(events.c.body, sa.Text)
    to_cut = sa.and_(events.c.occurred_at < crossing_before, sa.not_(text.like('{"' + REDACTED + '"%')))
    has_binary = text.like('%"$base64"%')
    return to_cut, sa.and_(events.c.occurred_at < face_before, has_binary, sa.not_(to_cut))


def _batches(conn: sa.Connection, where: sa.ColumnElement[bool]) -> Iterator[list[Any]]:
    query = sa.select(t.events.c.event_id, t.events.c.type, t.events.c.body).where(where)
    last = ""
    while True:
        rows = list(
            conn.execute(query.where(t.events.c.event_id > last).order_by(t.events.c.event_id).limit(BATCH))
        )
        if not rows:
            return
        yield rows
        last = rows[-1].event_id


def _rewrite_events(conn: sa.Connection, where: sa.ColumnElement[bool], change: Callable[[Any], Any]) -> None:
    update = (
        t.events.update()
        .where(t.events.c.event_id == sa.bindparam("b_event_id"))
        .values(body=sa.bindparam("b_body"))
    )
    for rows in _batches(conn, where):
        conn.execute(update, [{"b_event_id": r.event_id, "b_body": change(r)} for r in rows])


def run(
    store: Store, policy: Policy, *, now: datetime, dry_run: bool = False, actor: str = "system"
) -> Outcome:
    """Apply ``policy`` once (in one transaction); audited unless ``dry_run``."""
    face_before = now - timedelta(days=policy.face_days)
    crossing_before = now - timedelta(days=policy.crossing_days)
    enrolment_before = now - timedelta(days=policy.enrolment_days)
    alerts_q = sa.and_(t.alerts.c.opened_at < face_before, t.alerts.c.face_jpeg.is_not(None))
    alarms = cctv_tables.alarms
    cctv_q = sa.and_(alarms.c.occurred_at < face_before, sa.func.length(alarms.c.snapshot_jpeg) > 0)
    documents = (
        t.crossings.c.document_number,
        t.crossings.c.issuing_state,
        t.crossings.c.nationality,
        t.crossings.c.holder_name,
    )
    crossings_q = sa.and_(t.crossings.c.occurred_at < crossing_before, sa.or_(*(c != "" for c in documents)))
    enrolments_q = t.enrolments.c.updated_at < enrolment_before
    events_cut_q, events_binary_q = _event_conditions(face_before, crossing_before)
    with store.write_lock, store.engine.begin() as conn:
        has_cctv = sa.inspect(conn).has_table(alarms.name)

        def count(table: sa.Table, where: sa.ColumnElement[bool]) -> int:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(where)).scalar_one())

        outcome = Outcome(
            alert_faces=count(t.alerts, alerts_q),
            cctv_snapshots=count(alarms, cctv_q) if has_cctv else 0,
            crossings=count(t.crossings, crossings_q),
            enrolments=count(t.enrolments, enrolments_q),
            dry_run=dry_run,
            event_binaries=count(t.events, events_binary_q),
            event_bodies=count(t.events, events_cut_q),
        )
        if not dry_run:
            conn.execute(t.alerts.update().where(alerts_q).values(face_jpeg=None))
            if has_cctv:
                conn.execute(alarms.update().where(cctv_q).values(snapshot_jpeg=b""))
            conn.execute(t.crossings.update().where(crossings_q).values({c.name: "" for c in documents}))
            conn.execute(t.enrolments.delete().where(enrolments_q))
            # Binaries first: its condition excludes the rows the cut-down pass will take.
            _rewrite_events(conn, events_binary_q, lambda r: redact_binaries(r.body))
            _rewrite_events(conn, events_cut_q, lambda r: cut_down(r.body, r.type, now=now))
    if not dry_run:
        store.audit(
            actor,
            "retention.run",
            now=now,
            target="personal-data",
            **{k: v for k, v in asdict(outcome).items() if k != "dry_run"},
            policy=asdict(policy),
        )
    log.info(outcome.summary())
    return outcome


class Periodic:
    """Runs ``run`` now and then every ``every_s`` seconds on ``clock`` until ``stop()``."""

    def __init__(self, store: Store, clock: Clock, policy: Policy, *, every_s: float = DAY_S) -> None:
        self.store, self.clock, self.policy, self.every_s = store, clock, policy, every_s
        self._lock = threading.Lock()
        self._timer: object | None = None
        self._stopped = False

    def start(self) -> Periodic:
        self._tick()
        return self

    def _tick(self) -> None:
        with self._lock:
            if self._stopped:
                return
        try:
            run(self.store, self.policy, now=self.clock.now())
        except Exception:  # a failed run is logged and retried at the next tick
            log.exception("retention run failed; retrying in %.0f s", self.every_s)
        with self._lock:
            if not self._stopped:
                self._timer = self.clock.call_later(self.every_s, self._tick)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            timer = self._timer
        cancel = getattr(timer, "cancel", None)
        if cancel is not None:
            cancel()
