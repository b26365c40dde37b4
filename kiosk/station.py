"""The kiosk station: its devices, the one applicant session, the queue machine and the submitter.

A kiosk serves one applicant at a time, so the session lives here, on the server, not in the browser;
``reset()`` (the start button, the idle timeout, the end of a journey) wipes everything entered.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import cv2

from core.clock import SITE_ZONE, Clock, local_date, zone
from core.documents import MrzResult
from hal.board import Board
from hal.codecs.escpos import Receipt
from hal.mrz import DocumentReading
from kiosk.catalogue import Catalogue, Service
from kiosk.forms import PassportCheck, check_passport
from kiosk.queueing import QueueMachine, Ticket
from kiosk.submitter import Application, Submitted, Submitter


@dataclass
class Session:
    lang: str = "id"
    service_code: str = ""
    awaiting_scan: bool = False
    scan: MrzResult | None = None
    scan_check: PassportCheck | None = None
    scan_failures: int = 0
    fields: dict[str, str] = field(default_factory=dict)
    values: dict[str, str | int] = field(default_factory=dict)
    photos: dict[str, bytes] = field(default_factory=dict)
    face_photo: bytes | None = None
    face_template: bytes | None = None
    face_model_id: str | None = None
    face_quality: float | None = None
    fingerprint: bytes | None = None
    last_seen: float = 0.0


class Station:
    def __init__(
        self,
        *,
        board: Board,
        catalogue: Catalogue,
        submitter: Submitter | None,
        clock: Clock,
        device_id: str,
        idle_timeout_s: float = 90.0,
        face_pipeline: Any = None,
        timezone: str = SITE_ZONE,
    ) -> None:
        self.board, self.catalogue, self.submitter, self.clock = board, catalogue, submitter, clock
        self.timezone = timezone  # the office's: its day and the times printed on receipts
        self.device_id = device_id
        self.idle_timeout_s = idle_timeout_s
        self.queue = QueueMachine(
            clock, {s.code: chr(ord("A") + i) for i, s in enumerate(catalogue.services)}, timezone=timezone
        )
        self.session = Session(last_seen=clock.monotonic())
        self._face = face_pipeline
        self._lock = threading.RLock()
        self._counter = 0
        if board.mrz is not None:
            board.mrz.when_document_read = self._on_document

    # -- session ---------------------------------------------------------------------------------

    def touch(self) -> Session:
        """The current session, wiped first if the applicant walked away (idle timeout)."""
        with self._lock:
            now = self.clock.monotonic()
            if now - self.session.last_seen > self.idle_timeout_s:
                self.session = Session()
            self.session.last_seen = now
            return self.session

    def reset(self, lang: str | None = None) -> Session:
        with self._lock:
            self.session = Session(lang=lang or self.session.lang, last_seen=self.clock.monotonic())
            return self.session

    def service(self) -> Service:
        return self.catalogue.service(self.session.service_code)

    # -- queue tickets ----------------------------------------------------------------------------

    def issue_ticket(self, service_code: str) -> Ticket:
        service = self.catalogue.service(service_code)
        ticket = self.queue.take(service_code)
        if self.board.printer is not None:
            receipt = (
                Receipt()
                .align("centre")
                .line("KANTOR IMIGRASI")
                .line("Nomor antrean / Queue number")
                .size(3, 3)
                .bold()
                .line(ticket.number)
                .bold(False)
                .size(1, 1)
                .line(service.title_id)
                .line(service.title_en)
                .line(self.local_time(ticket.issued_at))
                .feed(2)
                .cut()
            )
            self.board.printer.print_receipt(receipt)
        return ticket

    # -- passport -------------------------------------------------------------------------------------

    def start_scan(self) -> None:
        with self._lock:
            self.session.awaiting_scan = True
            self.session.scan = None
            self.session.scan_check = None

    def _on_document(self, reading: DocumentReading) -> None:
        with self._lock:
            s = self.session
            if not s.awaiting_scan:
                return
            if reading.result is None:
                s.scan_failures += 1
                s.scan_check = PassportCheck(False, "mrz_damaged")
                return
            check = check_passport(reading.result, self.today())
            s.scan_check = check
            if check.ok:
                s.scan, s.awaiting_scan = reading.result, False
            else:
                s.scan_failures += 1

    # -- camera, face, finger -----------------------------------------------------------------------

    def photograph(self, name: str) -> bytes:
        if self.board.camera is None:
            raise RuntimeError("this kiosk has no camera configured; add [camera] to the board config")
        frame = self.board.camera.capture()
        ok, jpeg = cv2.imencode(".jpg", frame, [int(cv2.IMWRITE_JPEG_QUALITY), 85])
        if not ok:
            raise RuntimeError("the camera frame could not be encoded as JPEG")
        data = jpeg.tobytes()
        with self._lock:
            self.session.photos[name] = data
        return data

    def face_pipeline(self) -> Any:
        if self._face is None:
            from models.pipeline import FacePipeline

            self._face = FacePipeline.load()
        return self._face

    def face_step(self) -> dict[str, Any]:
        """One turn of the live guidance loop: capture, judge against enrolment quality, keep if good."""
        if self.board.camera is None:
            raise RuntimeError("this kiosk has no camera configured; add [camera] to the board config")
        pipeline = self.face_pipeline()
        frame = self.board.camera.capture()
        detection, report = pipeline.assess(frame, enrol=True)
        lang = self.session.lang
        if detection is None or not report.ok:
            return {"done": False, "hint": report.hint, "text": report.guidance(lang)}
        template = pipeline.embed(frame, detection)
        ok, jpeg = cv2.imencode(".jpg", frame, [int(cv2.IMWRITE_JPEG_QUALITY), 90])
        with self._lock:
            s = self.session
            s.face_template = template.vector.tobytes()
            s.face_model_id = template.model_id
            s.face_quality = float(report.measures.get("score", 0.0)) if report.measures else None
            s.face_photo = jpeg.tobytes() if ok else None
        return {"done": True, "hint": None, "text": None}

    def capture_fingerprint(self) -> bytes:
        if self.board.fingerprint is None:
            raise RuntimeError("this kiosk has no fingerprint module; add [fingerprint] to the board config")
        template = self.board.fingerprint.enrol()
        with self._lock:
            self.session.fingerprint = template
        return template

    # -- submission ---------------------------------------------------------------------------------

    def new_application_id(self) -> str:
        self._counter += 1
        today = self.today().strftime("%Y%m%d")
        return f"K-{self.device_id}-{today}-{uuid.uuid4().hex[:6]}".upper()

    def submit(self) -> tuple[Application, Submitted]:
        from kiosk.forms import document_fields

        with self._lock:
            s = self.session
            photos = dict(s.photos)
            if s.face_photo is not None:
                photos["face"] = s.face_photo
            app = Application(
                application_id=self.new_application_id(),
                service_code=s.service_code,
                fields=dict(s.values),
                document=document_fields(s.scan) if s.scan is not None else None,
                photos=photos,
                face_template=s.face_template,
                face_model_id=s.face_model_id,
                face_quality=s.face_quality,
                fingerprint_template=s.fingerprint,
                fingerprint_model_id="r503-char" if s.fingerprint is not None else None,
            )
        if self.submitter is None:
            raise RuntimeError("this kiosk has no [central] section: it cannot submit applications")
        result = self.submitter.submit(app)
        self.print_application_receipt(app, result)
        return app, result

    def print_application_receipt(self, app: Application, result: Submitted) -> None:
        if self.board.printer is None:
            return
        service = self.catalogue.service(app.service_code)
        number = result.application_no or app.application_id
        receipt = (
            Receipt()
            .align("centre")
            .bold()
            .line("TANDA TERIMA PERMOHONAN")
            .line("APPLICATION RECEIPT")
            .bold(False)
            .align("left")
            .line(f"No: {number}")
            .line(f"Layanan/Service: {service.code}")
            .line(service.title_id)
            .line(f"Biaya/Fee: {self.catalogue.currency} {service.fee:,}".replace(",", "."))
            .line(f"Kode bayar/Payment code: {result.billing_code or '-'}")
            .line(
                "Menunggu koneksi ke pusat / Waiting for central"
                if result.queued
                else "Diterima pusat / Received by central"
            )
            .line(self.local_time(self.clock.now()))
            .qr(number)
            .feed(2)
            .cut()
        )
        self.board.printer.print_receipt(receipt)

    def today(self) -> date:
        """The office's local day (a passport's expiry, the receipt numbers)."""
        return local_date(self.clock, self.timezone)

    def local_time(self, at: datetime) -> str:
        """``at`` as the office's wall time for a receipt, e.g. ``2026-12-03 01:04 WIB``."""
        return at.astimezone(zone(self.timezone)).strftime("%Y-%m-%d %H:%M %Z")
