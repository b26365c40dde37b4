"""Handing a finished application to central, durably.

Two paths, both store-and-forward, so a kiosk keeps taking applications while central is away:

- **Over the link** (``edge`` pieces): the ``application`` event (form, passport fields, document photos,
  face and fingerprint templates) and an ``enrolment`` record go into the edge ``Outbox`` before they are
  published; central's ``events_ack`` deletes them. Biometrics and document images leave the kiosk only
  this way and are not kept anywhere else on it.
- **Over HTTP**: central's ingest stores ``application`` events but does not (yet) open a workflow case
  from them, so the kiosk also queues a ``POST /api/v1/workflows/cases`` (no images, no templates) in a
  second outbox and retries it until central answers; the case runs the SOP's automatic cekal check.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from core import wire
from core.clock import Clock, Timer
from core.wire import DocumentFields, DocumentImage, EnrolmentRecord, KioskApplication, StoredEventsAck
from edge.outbox import Outbox
from edge.publisher import EventPublisher, Link

log = logging.getLogger("kiosk.submitter")
CASES_PATH = "/api/v1/workflows/cases"


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
    application_no: str | None  # central's number; None while the case waits in the queue
    billing_code: str | None
    queued: bool


class CentralClient:
    """The few central HTTP calls the kiosk makes, with the kiosk's device bearer token."""

    def __init__(self, url: str, token: str, *, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url, headers={"authorization": f"Bearer {token}"}, timeout=timeout
        )

    def open_case(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Raises ``httpx.HTTPError`` when central is unreachable or refuses the case."""
        response = self._http.post(CASES_PATH, json=dict(body))
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def find_case(self, text: str) -> list[dict[str, Any]]:
        """Case status by application number (``GET /search``; central needs a staff token for it)."""
        response = self._http.get("/api/v1/workflows/search", params={"q": text})
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()
        return found

    def close(self) -> None:
        self._http.close()


def _decode_ack(payload: bytes) -> list[str]:
    ack = wire.decode_as(StoredEventsAck, payload)
    return list(ack.event_ids) + list(ack.quarantined)


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
        retry_s: float = 15.0,
    ) -> None:
        self.site, self.device_id, self.clock, self.central = site, device_id, clock, central
        self.event_topic = wire.topic_for(site, "kiosk", device_id, "event")
        self.events = Outbox(data_dir / "outbox.db")
        self.cases = Outbox(data_dir / "cases.db")
        self.publisher = EventPublisher(
            self.events,
            link,
            ack_topic=wire.topic_for(site, "kiosk", device_id, "ack"),
            decode_ack=_decode_ack,
            clock=clock,
        )
        self.retry_s = retry_s
        self.numbers: dict[str, tuple[str, str | None]] = {}  # application id -> (number, billing code)
        self.when_case_opened: Callable[[str, dict[str, Any]], None] | None = None
        self._lock = threading.Lock()
        self._timer: Timer | None = None
        self._closed = False

    def start(self) -> None:
        self.publisher.start()
        self._schedule()

    def close(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        self.publisher.close()
        self.central.close()
        self.events.close()
        self.cases.close()

    def submit(self, app: Application) -> Submitted:
        """Store both hand-overs, then try central at once; never raises for an absent central."""
        now = self.clock.now()
        self._emit_events(app, now)
        body = {
            "service_code": app.service_code,
            "applicant": self.applicant(app),
            "data": {
                "application_id": app.application_id,
                "kiosk": self.device_id,
                "documents": sorted(app.photos),
                "face_captured": app.face_template is not None,
                "fingerprint_captured": app.fingerprint_template is not None,
            },
        }
        self.cases.append(CASES_PATH, json.dumps(body).encode(), event_id=app.application_id)
        self.flush_cases()
        number = self.numbers.get(app.application_id)
        if number is None:
            return Submitted(app.application_id, None, None, queued=True)
        return Submitted(app.application_id, number[0], number[1], queued=False)

    @staticmethod
    def applicant(app: Application) -> dict[str, Any]:
        applicant: dict[str, Any] = dict(app.fields)
        if app.document is not None:
            applicant.setdefault("name", f"{app.document.given_names} {app.document.surname}".strip())
            applicant["passport_no"] = app.document.document_number
            applicant["nationality"] = app.document.nationality
            applicant["passport_expiry"] = app.document.expiry_date
        return applicant

    def flush_cases(self) -> int:
        """Send every queued case to central, oldest first; stops at the first failure. Returns how many."""
        sent = 0
        with self._lock:
            for entry in self.cases.pending():
                body = json.loads(entry.payload)
                try:
                    case = self.central.open_case(body)
                except httpx.HTTPStatusError as exc:
                    if exc.response.status_code in (400, 404, 422):
                        # Central will never take this one; keep the queue moving and leave a trace.
                        log.error("central refused case %s: %s", entry.event_id, exc.response.text[:500])
                        self.cases.acknowledge([entry.event_id])
                        continue
                    return sent
                except httpx.HTTPError:
                    return sent
                self.cases.acknowledge([entry.event_id])
                billing = next(
                    (p.get("billing_code") for p in case.get("payments", []) if p.get("billing_code")), None
                )
                self.numbers[entry.event_id] = (str(case.get("application_no", "")), billing)
                sent += 1
                if self.when_case_opened is not None:
                    self.when_case_opened(entry.event_id, case)
        return sent

    def pending(self) -> dict[str, int]:
        return {"events": self.events.depth(), "cases": self.cases.depth()}

    def _emit_events(self, app: Application, now: datetime) -> None:
        message = KioskApplication(
            event_id=wire.new_event_id(now),
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

    def _schedule(self) -> None:
        if self._closed or self.retry_s <= 0:
            return

        def tick() -> None:
            if self.cases.depth():
                self.flush_cases()
            self._schedule()

        self._timer = self.clock.call_later(self.retry_s, tick)
