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

Counts, outcomes, times and gates stay, so reports over old periods still add up.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from central.cctv import tables as cctv_tables
from central.errors import Invalid
from central.store import Store
from central.store import schema as t
from core.clock import Clock

log = logging.getLogger("central.retention")
DAY_S = 86_400.0


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

    def summary(self) -> str:
        verb = "would clear" if self.dry_run else "cleared"
        return (
            f"retention {verb}: {self.alert_faces} alert face snapshot(s), {self.cctv_snapshots} CCTV "
            f"snapshot(s), document fields of {self.crossings} crossing(s), {self.enrolments} enrolment(s)"
        )


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
        )
        if not dry_run:
            conn.execute(t.alerts.update().where(alerts_q).values(face_jpeg=None))
            if has_cctv:
                conn.execute(alarms.update().where(cctv_q).values(snapshot_jpeg=b""))
            conn.execute(t.crossings.update().where(crossings_q).values({c.name: "" for c in documents}))
            conn.execute(t.enrolments.delete().where(enrolments_q))
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
