"""The CCTV desk: the alert gallery (managed, signed, distributed) and the alarms' SOP-003-D05 workflow.

Alarm workflow, one status per SOP step::

    raised ──examine──► examined ──report──► reported ──decide(identical)──► held ──incident──► closed
      │                    │                     └──────decide(not identical)──► released
      └──────dismiss───────┴──► dismissed

* step 3, officer examines the passenger: 5 min from the alarm (``examine``);
* step 4, officer reports to the supervisor and unit section head: 5 min (``report``);
* step 5, the unit section head decides whether the passenger is identical: 10–15 min (``decide``);
  not identical → the passenger may pass (``released``);
* step 6, identical → temporary hold, departure prevented, incident report: 10–60 min (``incident``).

``dismiss`` is this system's addition: an officer who sees at once that the camera was wrong (a
different face altogether) closes the alarm with a reason; who and why are kept and audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from central.cctv import tables as t
from central.errors import Conflict, Invalid, NotFound
from central.store import Row, Store, utc
from core.clock import Clock
from core.wire.cctv import CctvFaceAlarm, GalleryEntry, GallerySnapshot, sign_snapshot

MAX_TEMPLATE_BYTES = 16_384
MAX_PHOTO_BYTES = 2_000_000


@dataclass(frozen=True)
class StepLimit:
    """The SOP time for the step that is due while an alarm is in a status."""

    step: str
    sop_step: int
    limit_s: float
    warn_s: float


# SOP-003-D05 time standards, keyed by the status the alarm waits in.
STEP_LIMITS = {
    "raised": StepLimit("examine", 3, 300, 300),
    "examined": StepLimit("report", 4, 300, 300),
    "reported": StepLimit("decide", 5, 900, 600),  # "10–15 min": warn at 10, overdue after 15
    "held": StepLimit("incident", 6, 3600, 600),  # "10–60 min"
}
OPEN_STATUSES = tuple(STEP_LIMITS)
FINAL_STATUSES = ("released", "dismissed", "closed")


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """Central's gallery-signing key from a PEM file, created (mode 0600) on first use."""
    if path.exists():
        key = load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise Invalid(f"{path} is not an Ed25519 private key; remove it to have a new one made")
        return key
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return key


def _plain(row: sa.Row[Any]) -> Row:
    out = dict(row._mapping)
    for key, value in out.items():
        if isinstance(value, datetime):
            out[key] = utc(value)
    return out


class CctvDesk:
    """Gallery management, signed distribution, and the alarm workflow, over the central store."""

    def __init__(self, store: Store, clock: Clock, signing_key: Ed25519PrivateKey) -> None:
        # The tables come from the store's migrations (0300_cctv), not from here.
        self.store, self.clock, self.signing_key = store, clock, signing_key

    def public_key_pem(self) -> bytes:
        """What every watcher is configured with to verify the gallery."""
        return self.signing_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)

    # --- the alert gallery ------------------------------------------------------------------------

    def add_entry(
        self,
        label: str,
        templates: list[bytes],
        *,
        by: str,
        watchlist_id: str | None = None,
        photos: list[bytes | None] | None = None,
    ) -> Row:
        """A person in the alert system, with one or more face templates (and reference photos)."""
        label = label.strip()
        if not label or len(label) > 128:
            raise Invalid("an alert-gallery entry needs a label of 1-128 characters (a name or case number)")
        if not templates:
            raise Invalid(
                "an alert-gallery entry needs one or more face templates; make them with "
                "`python -m edge.cctv enrol PHOTO`"
            )
        if any(not tpl or len(tpl) > MAX_TEMPLATE_BYTES for tpl in templates):
            raise Invalid(f"each face template must be 1-{MAX_TEMPLATE_BYTES} bytes")
        photos = photos or [None] * len(templates)
        if len(photos) != len(templates):
            raise Invalid("give one reference photo per template, or none")
        if any(p is not None and (len(p) > MAX_PHOTO_BYTES or not p.startswith(b"\xff\xd8")) for p in photos):
            raise Invalid(f"reference photos must be JPEG files of at most {MAX_PHOTO_BYTES} bytes")
        now = self.clock.now()
        entry_id = str(uuid.uuid4())
        with self.store.write_lock, self.store.engine.begin() as conn:
            conn.execute(
                t.gallery_entries.insert().values(
                    entry_id=entry_id, watchlist_id=watchlist_id, label=label, added_by=by, added_at=now
                )
            )
            conn.execute(
                t.gallery_faces.insert(),
                [
                    {"entry_id": entry_id, "template": tpl, "photo_jpeg": p}
                    for tpl, p in zip(templates, photos, strict=True)
                ],
            )
        self.store.audit(
            by, "cctv.gallery.add", now=now, target=entry_id, watchlist_id=watchlist_id, faces=len(templates)
        )
        return self.entry(entry_id)

    def end_entry(self, entry_id: str, *, by: str, reason: str) -> Row:
        """Take a person out of the alert system (from the next published snapshot on)."""
        if not reason.strip():
            raise Invalid("say why the entry ends (e.g. the watch-list entry was lifted)")
        entry = self.entry(entry_id)
        if entry["ended_at"] is not None:
            raise Conflict(f"alert-gallery entry {entry_id} already ended on {entry['ended_at']:%Y-%m-%d}")
        now = self.clock.now()
        with self.store.write_lock, self.store.engine.begin() as conn:
            conn.execute(
                t.gallery_entries.update()
                .where(t.gallery_entries.c.entry_id == entry_id)
                .values(ended_by=by, ended_at=now, end_reason=reason.strip()[:256])
            )
        self.store.audit(by, "cctv.gallery.end", now=now, target=entry_id, reason=reason.strip()[:256])
        return self.entry(entry_id)

    def entry(self, entry_id: str) -> Row:
        with self.store.engine.connect() as conn:
            row = conn.execute(
                sa.select(t.gallery_entries).where(t.gallery_entries.c.entry_id == entry_id)
            ).first()
            if row is None:
                raise NotFound(f"no alert-gallery entry {entry_id}")
            faces = conn.execute(
                sa.select(
                    t.gallery_faces.c.face_id, t.gallery_faces.c.photo_jpeg.isnot(None).label("has_photo")
                )
                .where(t.gallery_faces.c.entry_id == entry_id)
                .order_by(t.gallery_faces.c.face_id)
            ).all()
        out = _plain(row)
        out["faces"] = [{"face_id": f.face_id, "has_photo": bool(f.has_photo)} for f in faces]
        return out

    def entries(self, *, include_ended: bool = False) -> list[Row]:
        query = sa.select(t.gallery_entries.c.entry_id).order_by(t.gallery_entries.c.added_at)
        if not include_ended:
            query = query.where(t.gallery_entries.c.ended_at.is_(None))
        with self.store.engine.connect() as conn:
            ids = [r.entry_id for r in conn.execute(query)]
        return [self.entry(i) for i in ids]

    def reference_photo(self, entry_id: str) -> bytes:
        """The first reference photo of an entry (shown beside an alarm's snapshot)."""
        with self.store.engine.connect() as conn:
            photo = conn.execute(
                sa.select(t.gallery_faces.c.photo_jpeg)
                .where(t.gallery_faces.c.entry_id == entry_id, t.gallery_faces.c.photo_jpeg.isnot(None))
                .order_by(t.gallery_faces.c.face_id)
            ).scalar()
        if photo is None:
            raise NotFound(f"alert-gallery entry {entry_id} has no reference photo")
        return bytes(photo)

    def publish(self, *, by: str) -> Row:
        """Sign a snapshot of every active entry as the next version; watchers fetch it."""
        now = self.clock.now()
        with self.store.engine.connect() as conn:
            active = conn.execute(
                sa.select(t.gallery_entries)
                .where(t.gallery_entries.c.ended_at.is_(None))
                .order_by(t.gallery_entries.c.added_at)
            ).all()
            faces = conn.execute(sa.select(t.gallery_faces).order_by(t.gallery_faces.c.face_id)).all()
        templates: dict[str, list[bytes]] = {}
        for face in faces:
            templates.setdefault(face.entry_id, []).append(bytes(face.template))
        entries = tuple(
            GalleryEntry(e.entry_id, e.watchlist_id, e.label, tuple(templates[e.entry_id])) for e in active
        )
        with self.store.write_lock, self.store.engine.begin() as conn:
            latest = conn.execute(sa.select(sa.func.max(t.gallery_snapshots.c.version))).scalar()
            version = int(latest or 0) + 1
            signed = sign_snapshot(GallerySnapshot(version, now.isoformat(), entries), self.signing_key)
            conn.execute(
                t.gallery_snapshots.insert().values(
                    version=version, issued_at=now, issued_by=by, entries=len(entries), signed=signed
                )
            )
        self.store.audit(by, "cctv.gallery.publish", now=now, target=str(version), entries=len(entries))
        return {"version": version, "issued_at": now, "issued_by": by, "entries": len(entries)}

    def latest_snapshot(self) -> bytes:
        with self.store.engine.connect() as conn:
            signed = conn.execute(
                sa.select(t.gallery_snapshots.c.signed)
                .order_by(t.gallery_snapshots.c.version.desc())
                .limit(1)
            ).scalar()
        if signed is None:
            raise NotFound("no alert-gallery snapshot published yet; a supervisor must publish one")
        return bytes(signed)

    # --- alarms -----------------------------------------------------------------------------------

    def record_alarm(self, alarm: CctvFaceAlarm) -> tuple[Row, bool]:
        """Store a watcher's alarm once (a re-sent one changes nothing); returns (alarm, is_new)."""
        now = self.clock.now()
        with self.store.write_lock, self.store.engine.begin() as conn:
            exists = conn.execute(
                sa.select(t.alarms.c.alarm_id).where(t.alarms.c.alarm_id == alarm.alarm_id)
            ).first()
            if exists is None:
                conn.execute(
                    t.alarms.insert().values(
                        alarm_id=alarm.alarm_id,
                        camera_id=alarm.camera_id,
                        entry_id=alarm.entry_id,
                        watchlist_id=alarm.watchlist_id,
                        label=alarm.label,
                        score=alarm.score,
                        threshold=alarm.threshold,
                        track_id=alarm.track_id,
                        occurred_at=alarm.occurred_at,
                        received_at=now,
                        snapshot_jpeg=alarm.snapshot_jpeg,
                        status="raised",
                        steps={},
                    )
                )
        return self.alarm(alarm.alarm_id), exists is None

    def alarm(self, alarm_id: str) -> Row:
        with self.store.engine.connect() as conn:
            row = conn.execute(sa.select(t.alarms).where(t.alarms.c.alarm_id == alarm_id)).first()
        if row is None:
            raise NotFound(f"no CCTV alarm {alarm_id}")
        return _plain(row)

    def alarms(self, *, open_only: bool = False, limit: int = 100) -> list[Row]:
        """The alarm queue, oldest open first (they are the most urgent), then the rest newest first."""
        query = sa.select(t.alarms).limit(limit)
        if open_only:
            query = query.where(t.alarms.c.status.in_(OPEN_STATUSES)).order_by(t.alarms.c.occurred_at)
        else:
            query = query.order_by(t.alarms.c.occurred_at.desc())
        with self.store.engine.connect() as conn:
            return [_plain(r) for r in conn.execute(query)]

    def examine(self, alarm_id: str, *, by: str, notes: str = "") -> Row:
        """SOP-003-D05 step 3: the officer has examined the passenger and their travel document."""
        return self._step(alarm_id, ("raised",), "examined", "examined", by=by, notes=notes)

    def dismiss(self, alarm_id: str, *, by: str, reason: str) -> Row:
        """The officer saw the camera was wrong; recorded with who and why."""
        if not reason.strip():
            raise Invalid("say why the alarm is dismissed (e.g. a different person altogether)")
        return self._step(alarm_id, ("raised", "examined"), "dismissed", "dismissed", by=by, notes=reason)

    def report(self, alarm_id: str, *, by: str, notes: str = "") -> Row:
        """SOP-003-D05 step 4: reported to the supervisor and the unit section head."""
        return self._step(alarm_id, ("examined",), "reported", "reported", by=by, notes=notes)

    def decide(self, alarm_id: str, *, by: str, identical: bool, notes: str = "") -> Row:
        """SOP-003-D05 step 5: the unit section head's decision; identical → hold (step 6), else pass."""
        status = "held" if identical else "released"
        return self._step(alarm_id, ("reported",), status, "decided", by=by, notes=notes, identical=identical)

    def write_incident(self, alarm_id: str, *, by: str, fields: dict[str, Any]) -> Row:
        """SOP-003-D05 step 6: the incident report of a held passenger; closes the alarm."""
        alarm = self.alarm(alarm_id)
        if alarm["status"] != "held":
            raise Conflict(f"CCTV alarm {alarm_id} is {alarm['status']}; an incident report follows a hold")
        now = self.clock.now()
        report = self.store.add_incident_report(
            "cctv",
            author=by,
            now=now,
            fields=fields
            | {
                "cctv_alarm_id": alarm_id,
                "camera_id": alarm["camera_id"],
                "gallery_entry_id": alarm["entry_id"],
                "watchlist_id": alarm["watchlist_id"],
            },
        )
        return self._step(
            alarm_id, ("held",), "closed", "incident", by=by, notes="", report_id=int(report["report_id"])
        )

    def _step(
        self,
        alarm_id: str,
        allowed: tuple[str, ...],
        status: str,
        step: str,
        *,
        by: str,
        notes: str,
        identical: bool | None = None,
        report_id: int | None = None,
    ) -> Row:
        now = self.clock.now()
        with self.store.write_lock, self.store.engine.begin() as conn:
            row = conn.execute(sa.select(t.alarms).where(t.alarms.c.alarm_id == alarm_id)).first()
            if row is None:
                raise NotFound(f"no CCTV alarm {alarm_id}")
            if row.status not in allowed:
                raise Conflict(
                    f"CCTV alarm {alarm_id} is {row.status}; {step} is only possible when it is "
                    f"{' or '.join(allowed)}"
                )
            record: dict[str, Any] = {"by": by, "at": now.isoformat(), "notes": notes.strip()[:2000]}
            if identical is not None:
                record["identical"] = identical
            values: dict[str, Any] = {"status": status, "steps": dict(row.steps) | {step: record}}
            if report_id is not None:
                values["report_id"] = report_id
            conn.execute(t.alarms.update().where(t.alarms.c.alarm_id == alarm_id).values(**values))
        self.store.audit(by, f"cctv.alarm.{step}", now=now, target=alarm_id, status=status)
        return self.alarm(alarm_id)

    # --- SOP timing -------------------------------------------------------------------------------

    def timing(self, alarm: Row) -> dict[str, Any]:
        """The step now due and how long it has waited against the SOP time, plus each done step's time."""
        now = self.clock.now()
        marks = [("raised", utc(alarm["occurred_at"]))]
        for step in ("examined", "dismissed", "reported", "decided", "incident"):
            done = alarm["steps"].get(step)
            if done:
                marks.append((step, datetime.fromisoformat(done["at"])))
        durations = {later: (at - marks[i][1]).total_seconds() for i, (later, at) in enumerate(marks[1:])}
        out: dict[str, Any] = {"durations_s": durations, "due": None}
        limit = STEP_LIMITS.get(alarm["status"])
        if limit is not None:
            waited = (now - marks[-1][1]).total_seconds()
            out["due"] = {
                "step": limit.step,
                "sop_step": limit.sop_step,
                "waited_s": waited,
                "limit_s": limit.limit_s,
                "warning": waited >= limit.warn_s,
                "overdue": waited > limit.limit_s,
            }
        return out


def public_alarm(alarm: Row, timing: dict[str, Any]) -> dict[str, Any]:
    """An alarm as the API shows it (the snapshot has its own URL)."""
    out = {k: v for k, v in alarm.items() if k != "snapshot_jpeg"}
    for key in ("occurred_at", "received_at"):
        out[key] = alarm[key].isoformat()
    out["timing"] = timing
    return out
