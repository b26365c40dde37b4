"""Handing a finished application to central, durably, over the one path: the link.

The ``application`` event (form, passport fields, document photos, face and fingerprint templates) and an
``enrolment`` record go into the edge ``Outbox`` before they are published; central's ingest opens the
workflow case from the ``application`` event (once per ``application_id``) and its ``events_ack`` deletes
both. Biometrics and document images leave the kiosk only this way and are kept nowhere else on it.

``submit`` waits a few seconds for that ack so the receipt can carry central's application number and
payment code (read over HTTP from the device-allowed status endpoint); when central does not answer in
time the application simply stays in the outbox, is replayed until acked, and the receipt carries the
kiosk's application id, which the status endpoint also accepts.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from core import wire
from core.clock import Clock
from core.wire import DocumentFields, DocumentImage, EnrolmentRecord, KioskApplication, StoredEventsAck
from edge.outbox import Outbox
from edge.publisher import EventPublisher, Link
from edge.sealed import Sealer

log = logging.getLogger("kiosk.submitter")
STATUS_PATH = "/api/v1/workflows/cases/by-number/{number}/status"


@dataclass
class Application:
    """Everything one applicant gave at the kiosk, held in memory until it is handed over."""

    application_id: str
    service_code: str
    fields: dict[str, str | int]
    document: DocumentFields | None = None
    photos: dict[str, bytes] = field(default_factory=dict)
    face_template: bytes | None = None
    face_model_id: str | None = None
    face_quality: float | None = None
    fingerprint_template: bytes | None = None
    fingerprint_model_id: str | None = None


@dataclass(frozen=True)
class Submitted:
    application_id: str
    application_no: str | None  # central's number; None while central has not answered
    billing_code: str | None
    queued: bool  # True: central has not acknowledged yet; the application waits in the outbox


class CaseNotFound(LookupError):
    """Central knows no application by that number (404 from the status endpoint)."""


class CentralClient:
    """The one central HTTP call the kiosk makes, with the kiosk's device bearer token."""

    def __init__(self, url: str, token: str, *, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url, headers={"authorization": f"Bearer {token}"}, timeout=timeout
        )

    def status(self, number: str) -> dict[str, Any]:
        """An application's state by central's number or the kiosk's application id (device-allowed
        ``GET .../cases/by-number/{number}/status``: no names, no documents).

        Raises ``CaseNotFound`` for an unknown number and ``httpx.HTTPError`` when central is
        unreachable or refuses the token."""
        response = self._http.get(STATUS_PATH.format(number=quote(number, safe="")))
        if response.status_code == 404:
            raise CaseNotFound(number)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def close(self) -> None:
        self._http.close()


class Submitter:
    def __init__(
        self,
        *,
        site: str,
        device_id: str,
        data_dir: Path,
        clock: Clock,
        link: Link,
        central: CentralClient,
        ack_wait_s: float = 8.0,
        replay_interval_s: float = 15.0,
        sealer: Sealer | None = None,
    ) -> None:
        self.site, self.device_id, self.clock, self.central = site, device_id, clock, central
        self.event_topic = wire.topic_for(site, "kiosk", device_id, "event")
        # Sealed at rest with ``sealer`` (the configured data key; without one, ``outbox.db.key`` there).
        self.events = Outbox(data_dir / "outbox.db", sealer=sealer)
        self.publisher = EventPublisher(
            self.events,
            link,
            ack_topic=wire.topic_for(site, "kiosk", device_id, "ack"),
            decode_ack=self._decode_ack,
            clock=clock,
            replay_interval_s=replay_interval_s,
        )
        self.ack_wait_s = ack_wait_s
        self._acked = threading.Condition()
        self._waiting: dict[str, bool] = {}  # event id -> acked, for the submits that wait

    def start(self) -> None:
        self.publisher.start()

    def close(self) -> None:
        self.publisher.close()
        self.central.close()
        self.events.close()

    def submit(self, app: Application) -> Submitted:
        """Store the application in the outbox, publish it, and wait up to ``ack_wait_s`` for central's
        ack; never raises for an absent central (the outbox replays it until central acks)."""
        now = self.clock.now()
        event_id = wire.new_event_id(now)
        with self._acked:
            self._waiting[event_id] = False
        try:
            self._emit_events(app, now, event_id)
            with self._acked:
                # Real time on purpose: this is how long an applicant waits at the screen.
                self._acked.wait_for(lambda: self._waiting[event_id], timeout=self.ack_wait_s)
                acked = self._waiting[event_id]
        finally:
            with self._acked:
                self._waiting.pop(event_id, None)
        if not acked:
            return Submitted(app.application_id, None, None, queued=True)
        try:
            status = self.central.status(app.application_id)
        except (CaseNotFound, httpx.HTTPError) as exc:
            # Central has the application (acked) but its number cannot be read now (or the case was
            # not opened: central logs why and keeps the event for an officer). The kiosk id works.
            log.warning("no application number from central for %s: %s", app.application_id, exc)
            return Submitted(app.application_id, None, None, queued=False)
        return Submitted(
            app.application_id, status.get("application_no"), status.get("billing_code"), queued=False
        )

    @staticmethod
    def applicant(app: Application) -> dict[str, Any]:
        applicant: dict[str, Any] = dict(app.fields)
        if app.document is not None:
            applicant.setdefault("name", f"{app.document.given_names} {app.document.surname}".strip())
            applicant["passport_no"] = app.document.document_number
            applicant["nationality"] = app.document.nationality
            applicant["passport_expiry"] = app.document.expiry_date
        return applicant

    def pending(self) -> int:
        """How many events (applications, enrolment records) wait for central's ack."""
        return self.events.depth()

    def retry_now(self) -> int:
        """Replay the outbox at once (the periodic replay does it every ``replay_interval_s``)."""
        return self.publisher.replay_now()

    def _decode_ack(self, payload: bytes) -> list[str]:
        ack = wire.decode_as(StoredEventsAck, payload)
        ids = list(ack.event_ids) + list(ack.quarantined)
        with self._acked:
            hit = False
            for event_id in ids:
                if event_id in self._waiting:
                    self._waiting[event_id] = hit = True
            if hit:
                self._acked.notify_all()
        return ids

    def _emit_events(self, app: Application, now: datetime, event_id: str) -> None:
        message = KioskApplication(
            event_id=event_id,
            ts=now,
            device_id=self.device_id,
            application_id=app.application_id,
            service_code=app.service_code,
            applicant={k: v for k, v in self.applicant(app).items() if isinstance(v, str | int)},
            document=app.document,
            documents=tuple(DocumentImage(name=n, data=d) for n, d in sorted(app.photos.items())),
            face_template=app.face_template,
            face_model_id=app.face_model_id,
            fingerprint_template=app.fingerprint_template,
            fingerprint_model_id=app.fingerprint_model_id,
            submitted_at=now,
        )
        self.publisher.emit(self.event_topic, wire.encode(message), event_id=message.event_id)
        if app.face_template is not None and app.document is not None:
            record = EnrolmentRecord(
                event_id=wire.new_event_id(now),
                ts=now,
                device_id=self.device_id,
                document_number=app.document.document_number,
                issuing_state=app.document.issuing_state,
                face_template=app.face_template,
                face_model_id=app.face_model_id or "",
                face_quality=app.face_quality,
                fingerprint_template=app.fingerprint_template,
                fingerprint_model_id=app.fingerprint_model_id,
                application_id=app.application_id,
            )
            self.publisher.emit(self.event_topic, wire.encode(record), event_id=record.event_id)
