"""One officer's counter station: an inspection at a time, from the passport to the stamp or a referral.

The station does the SOP-003-A01/A02/A11/A12 steps the software owns (catalogue §3.2): scan or type the
nine fields, validity, last movement from central, the watch-list screen (offline, from the local
replica), the stay permit and an overstay at departure (A07), biometrics, the flight code, and the
crossing record (the electronic stamp of A02-12) through the outbox; a referral opens the A03, A05, A06
or A07 case in central. Every step is timed against its SOP standard on the injected clock.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from core.clock import SITE_ZONE, Clock, local_date
from core.watchlist import Verdict, WatchlistIndex
from core.wire import codec
from core.wire.ids import new_event_id
from core.wire.messages import (
    Alarm,
    AlarmKind,
    CrossingOutcome,
    CrossingRecord,
    DeviceStatus,
    Direction,
    Severity,
    StepTimings,
)
from core.wire.schema import Message
from core.wire.topics import Channel, DeviceKind, topic_for
from counter.central_client import CaseRequest, CentralClient, CentralUnavailable, PendingCases
from counter.errors import InspectionStateError, ManualEntryError
from counter.inspection import PassportData, Screening, Validity, check_validity, screen
from counter.permits import Overstay, StayPermit, Tariffs, overstay
from counter.standards import Step, StepClock
from edge.publisher import EventPublisher

FLIGHT_CODE = re.compile(r"^[A-Z0-9]{2}[A-Z]?\d{1,4}[A-Z]?$")  # IATA designator + number (+ suffix)
SOFTWARE_VERSION = "counter 0.1.0"


class Referral(StrEnum):
    """Why the officer sends the passenger to the designated officer, and the SOP case it opens."""

    CEKAL = "cekal"  # SOP-003-A03: a watch-list hit
    REFUSAL = "refusal"  # SOP-003-A05: refusal of entry for a foreigner (arrival)
    DEPARTURE_DELAY = "departure_delay"  # SOP-003-A06: departure delay
    OVERSTAY = "overstay"  # SOP-003-A07: overstay settled at the departure counter


CASE_SOP = {
    Referral.CEKAL: "SOP-003-A03",
    Referral.REFUSAL: "SOP-003-A05",
    Referral.DEPARTURE_DELAY: "SOP-003-A06",
    Referral.OVERSTAY: "SOP-003-A07",
}


FACE_FRAMES = 5  # frames read per capture: enough for one good frame, well inside the 20 s standard
FACE_BUDGET_S = 10.0  # half of SOP-003-A01 step 10's 20 s; the fingerprint needs the rest

# The enrolled face template of a document (chip portrait or central's enrolment), if there is one.
FaceReference = Callable[["PassportData"], Any]


class Devices:
    """What the station needs of a ``hal.board.Board``: any of these may be ``None``."""

    def __init__(self, mrz: Any = None, camera: Any = None, fingerprint: Any = None) -> None:
        self.mrz = mrz
        self.camera = camera
        self.fingerprint = fingerprint


@dataclass
class Inspection:
    inspection_id: str
    direction: Direction
    pmi: bool
    steps: StepClock
    passport: PassportData | None = None
    validity: Validity | None = None
    last_movement: dict[str, Any] | None = None
    last_movement_note: str = ""
    screening: Screening | None = None
    permit: StayPermit | None = None
    permit_valid: bool | None = None
    overstay: Overstay | None = None
    face_captured: bool = False
    # What the face step found: quality, and the verification against the enrolled template or "recorded".
    face: dict[str, Any] | None = None
    fingerprint_captured: bool = False
    flight_code: str = ""
    outcome: str = ""  # "stamped" or "referred:<reason>"
    cases: list[dict[str, Any]] = field(default_factory=list)
    alarm_id: str | None = None
    # One UUIDv7 per inspection, so the alarm and the crossing record of one passenger share it.
    session_id: str = field(default_factory=new_event_id)
    notes: list[str] = field(default_factory=list)

    @property
    def is_closed(self) -> bool:
        return bool(self.outcome)

    def to_dict(self) -> dict[str, Any]:
        return {
            "inspection_id": self.inspection_id,
            "direction": self.direction.value,
            "pmi": self.pmi,
            "passport": self.passport.to_dict() if self.passport else None,
            "validity": list(self.validity.problems) if self.validity else None,
            "last_movement": self.last_movement,
            "last_movement_note": self.last_movement_note,
            "screening": self.screening.to_dict() if self.screening else None,
            "permit": None
            if self.permit is None
            else {
                "kind": self.permit.kind.value,
                "number": self.permit.number,
                "expiry": self.permit.expiry.isoformat(),
                "valid": self.permit_valid,
            },
            "overstay": None
            if self.overstay is None
            else {
                "days": self.overstay.days,
                "fee": self.overstay.fee,
                "currency": self.overstay.currency,
                "refer_to_supervisor": self.overstay.refer_to_supervisor,
            },
            "face_captured": self.face_captured,
            "face": self.face,
            "fingerprint_captured": self.fingerprint_captured,
            "flight_code": self.flight_code,
            "outcome": self.outcome,
            "cases": self.cases,
            "alarm_id": self.alarm_id,
            "notes": self.notes,
            "steps": [t.to_dict() for t in self.steps.times.values()],
        }


class CounterStation:
    def __init__(
        self,
        *,
        device_id: str,
        site: str,
        clock: Clock,
        index: WatchlistIndex,
        list_version: int | None,
        publisher: EventPublisher,
        central: CentralClient | None,
        pending: PendingCases,
        tariffs: Tariffs,
        devices: Devices | None = None,
        today: Callable[[], date] | None = None,
        face_pipeline: Any = None,
        face_reference: FaceReference | None = None,
        watchlist: Any = None,
        timezone: str = SITE_ZONE,
    ) -> None:
        """``face_pipeline``: a ``models.FacePipeline`` (quality, best frame, verification); without one
        the camera frame is only taken. ``face_reference(passport)`` gives the enrolled
        ``models.FaceTemplate`` to verify against, or ``None`` (the capture is then recorded).
        ``watchlist``: an ``edge.watchlist_cache.WatchlistCache``; when given, every screen uses the
        version it holds at that moment (central's announcements update it), not ``index``."""
        self.device_id = device_id
        self.site = site
        self.clock = clock
        self.index = index
        self.list_version = list_version
        self.publisher = publisher
        self.central = central
        self.pending = pending
        self.tariffs = tariffs
        self.devices = devices or Devices()
        # The office's local day: central counts an overstay in the same zone (Workflows.timezone).
        self.today = today or (lambda: local_date(clock, timezone))
        self.face_pipeline = face_pipeline
        self.face_reference = face_reference
        self.watchlist = watchlist
        self.inspections: dict[str, Inspection] = {}
        self._lock = threading.RLock()
        self.event_topic = topic_for(site, DeviceKind.COUNTER, device_id, Channel.EVENT)
        self.status_topic = topic_for(site, DeviceKind.COUNTER, device_id, Channel.STATUS)

    # -- the inspection, step by step -------------------------------------------------------------

    def begin(self, direction: Direction, *, pmi: bool = False) -> Inspection:
        """SOP-003-A01 step 2: the officer receives the documents; the receive step starts now."""
        inspection = Inspection(uuid.uuid4().hex, direction, pmi, StepClock(self.clock, pmi=pmi))
        inspection.steps.start(Step.RECEIVE)
        with self._lock:
            self.inspections[inspection.inspection_id] = inspection
        return inspection

    def get(self, inspection_id: str) -> Inspection:
        try:
            return self.inspections[inspection_id]
        except KeyError:
            raise InspectionStateError(
                f"no inspection {inspection_id!r} at this counter; start one with 'new passenger'"
            ) from None

    def scan(self, inspection: Inspection, *, timeout_s: float = 5.0) -> Inspection:
        """SOP-003-A01 step 4: read the passport on the MRTD reader (5 s standard)."""
        self._open(inspection)
        self._end_receive(inspection)
        inspection.steps.start(Step.SCAN)
        reader = self.devices.mrz
        reading = reader.wait_for_document(timeout_s) if reader is not None else None
        if reading is None or reading.result is None:
            inspection.steps.stop(Step.SCAN)
            inspection.notes.append("reader_failed")
            raise ManualEntryError(
                "the passport reader gave no readable MRZ; type the nine fields from the data page"
            )
        return self._checked(inspection, PassportData.from_mrz(reading.result))

    def enter_manually(self, inspection: Inspection, form: dict[str, str]) -> Inspection:
        """SOP-003-A01 main 1(a): 'or enters the data manually' when the reader cannot read it."""
        self._open(inspection)
        self._end_receive(inspection)
        if not inspection.steps.is_running(Step.SCAN):
            inspection.steps.start(Step.SCAN)
        return self._checked(inspection, PassportData.from_manual(form))

    def _checked(self, inspection: Inspection, passport: PassportData) -> Inspection:
        inspection.passport = passport
        inspection.steps.stop(Step.SCAN)
        today = self.today()
        inspection.steps.start(Step.VALIDITY)
        inspection.validity = check_validity(passport, today)
        inspection.steps.stop(Step.VALIDITY)
        # SOP-003-A01 steps 5 and main 1(b): the list check and the last movement within 5 s.
        inspection.steps.start(Step.LIST_CHECK)
        index, version = self.current_list()
        inspection.screening = screen(index, passport, inspection.direction, today, list_version=version)
        self._last_movement(inspection)
        inspection.steps.stop(Step.LIST_CHECK)
        hit = inspection.screening.best
        if hit is not None:
            self._raise_cekal_alarm(inspection)
        return inspection

    def current_list(self) -> tuple[WatchlistIndex, int | None]:
        """The index and version to screen with: the cache's newest verified version, else the snapshot."""
        cache = self.watchlist
        if cache is not None and cache.index is not None:
            index: WatchlistIndex = cache.index
            version: int | None = cache.version
            self.list_version = version
            return index, version
        return self.index, self.list_version

    def _last_movement(self, inspection: Inspection) -> None:
        assert inspection.passport is not None
        if self.central is None:
            inspection.last_movement_note = "offline"
            return
        try:
            inspection.last_movement = self.central.last_movement(inspection.passport.document_number)
            inspection.last_movement_note = "" if inspection.last_movement else "none"
        except CentralUnavailable:
            inspection.last_movement_note = "offline"

    def record_permit(self, inspection: Inspection, permit: StayPermit) -> Inspection:
        """SOP-003-A01 step 6 (15 s): the permit kind and validity; at departure, an overstay (A07)."""
        self._open(inspection)
        inspection.steps.start(Step.PERMIT)
        today = self.today()
        inspection.permit = permit
        inspection.permit_valid = permit.is_valid_on(today)
        if inspection.direction is Direction.DEPARTURE and not inspection.permit_valid:
            inspection.overstay = overstay(permit, today, self.tariffs)
        inspection.steps.stop(Step.PERMIT)
        return inspection

    def capture_biometrics(self, inspection: Inspection) -> Inspection:
        """SOP-003-A01 step 10 (20 s): the face photo and a fingerprint from the station's devices.

        With a face pipeline the best of a few frames is kept (quality first), then verified against
        the enrolled template when there is one; otherwise the capture is recorded. A frame with no
        face raises ``ManualEntryError`` telling the officer what to ask of the passenger.
        """
        self._open(inspection)
        inspection.steps.start(Step.BIOMETRICS)
        try:
            if self.devices.camera is not None:
                self._face(inspection)
            if self.devices.fingerprint is not None:
                self.devices.fingerprint.capture_image()
                self.devices.fingerprint.image_to_template(1)
                inspection.fingerprint_captured = True
        finally:
            inspection.steps.stop(Step.BIOMETRICS)
        return inspection

    def _face(self, inspection: Inspection) -> None:
        camera = self.devices.camera
        pipeline = self.face_pipeline
        if pipeline is None:
            camera.capture()
            inspection.face_captured = True
            inspection.face = {"mode": "recorded", "quality": None}
            return
        from models.errors import NoFaceError

        frames = (camera.capture() for _ in range(FACE_FRAMES))
        try:
            best = pipeline.best_frame(frames, clock=self.clock, budget_s=FACE_BUDGET_S, stop_when_ok=True)
        except NoFaceError as exc:
            inspection.notes.append("no_face")
            raise ManualEntryError(
                "the camera saw no face; ask the passenger to face the camera, uncovered, and capture again"
            ) from exc
        face: dict[str, Any] = {"mode": "recorded", "quality": best.quality.to_dict()}
        reference = None
        if self.face_reference is not None and inspection.passport is not None:
            reference = self.face_reference(inspection.passport)
        if reference is not None:
            probe = pipeline.embed(best.frame, best.detection)
            score = float(pipeline.compare(probe, reference))
            threshold = float(pipeline.config.match_threshold)
            face.update(mode="verified", score=round(score, 4), threshold=threshold, match=score >= threshold)
        inspection.face = face
        inspection.face_captured = True

    def record_flight(self, inspection: Inspection, code: str) -> Inspection:
        """SOP-003-A01 step 11: the flight code from the boarding pass (1 min; 5 s for PMI)."""
        self._open(inspection)
        inspection.steps.start(Step.FLIGHT_CODE)
        flight = "".join(code.upper().split())
        if not FLIGHT_CODE.match(flight):
            raise ManualEntryError(
                f"flight code {code!r} must look like GA871 or QZ7510; copy it from the pass"
            )
        inspection.flight_code = flight
        inspection.steps.stop(Step.FLIGHT_CODE)
        return inspection

    def stamp(self, inspection: Inspection) -> Inspection:
        """SOP-003-A01 step 12 / A02-12: record the crossing (the electronic stamp) through the outbox."""
        self._open(inspection)
        blockers = self.stamp_blockers(inspection)
        if blockers:
            raise InspectionStateError(
                "cannot stamp yet: " + "; ".join(blockers) + ". Finish those steps or refer the passenger"
            )
        inspection.steps.start(Step.STAMP)
        inspection.outcome = "stamped"
        inspection.steps.stop(Step.STAMP)
        self._record_crossing(inspection, CrossingOutcome.CROSSED, self._stamp_reason(inspection))
        return inspection

    def stamp_blockers(self, inspection: Inspection) -> list[str]:
        """What stops the stamp: SOP-003-A01 steps 3, 5, 6, 8 and A07 (unpaid overstay)."""
        out: list[str] = []
        if inspection.passport is None or inspection.validity is None or inspection.screening is None:
            return ["the passport is not read"]
        if not inspection.validity.ok:
            out.append("the passport is not valid (" + ", ".join(inspection.validity.problems) + ")")
        if inspection.screening.hits:
            out.append("the watch list has a hit")
        foreign = not inspection.passport.is_citizen
        if foreign and inspection.permit is None and not inspection.pmi:
            out.append("the stay permit is not recorded")
        if (
            inspection.overstay is not None
            and inspection.overstay.days > 0
            and not self._overstay_settled(inspection)
        ):
            out.append("the overstay is not settled (refer for SOP-003-A07)")
        if (
            inspection.direction is Direction.ARRIVAL
            and inspection.permit is not None
            and not inspection.permit_valid
        ):
            out.append("the stay permit has expired")
        # A11/A12 have no biometric step (catalogue §3.2); A01/A02 do.
        if (
            not inspection.pmi
            and foreign
            and not (inspection.face_captured or inspection.fingerprint_captured)
        ):
            out.append("biometrics are not captured")
        if inspection.face is not None and inspection.face.get("match") is False:
            out.append("the face does not match the enrolled template (refer the passenger)")
        if not inspection.flight_code:
            out.append("the flight code is not entered")
        return out

    @staticmethod
    def _overstay_settled(inspection: Inspection) -> bool:
        return any(c.get("sop_id") == "SOP-003-A07" for c in inspection.cases)

    @staticmethod
    def _stamp_reason(inspection: Inspection) -> str:
        parts = ["stamped", f"flight={inspection.flight_code}"]
        if inspection.permit is not None:
            parts.append(f"permit={inspection.permit.kind.value}")
        if inspection.passport is not None and inspection.passport.source.value == "manual":
            parts.append("manual_entry")
        return ";".join(parts)

    def refer(self, inspection: Inspection, reason: Referral, note: str = "") -> Inspection:
        """SOP-003-A01 step 8: refer to the designated officer; opens the SOP case in central.

        An overstay of up to 60 days is settled and then stamped (A07 steps 4-8), so the inspection
        stays open; every other referral ends it with a held crossing record.
        """
        self._open(inspection)
        if inspection.passport is None:
            raise InspectionStateError(
                "read or type the passport before referring; the case needs the holder"
            )
        self._open_case(inspection, reason, note)
        if reason is Referral.OVERSTAY and inspection.overstay is not None and inspection.overstay.within_sop:
            return inspection
        inspection.outcome = f"referred:{reason.value}"
        held = CrossingOutcome.HELD_CEKAL if reason is Referral.CEKAL else CrossingOutcome.HELD_REVIEW
        self._record_crossing(inspection, held, f"referred:{reason.value}")
        return inspection

    def _open_case(self, inspection: Inspection, reason: Referral, note: str) -> None:
        passport = inspection.passport
        assert passport is not None
        applicant: dict[str, Any] = {
            "name": passport.full_name,
            "passport_no": passport.document_number,
            "nationality": passport.nationality,
            "birth_date": passport.birth_date.isoformat() if passport.birth_date else "",
        }
        if inspection.permit is not None:
            applicant["permit_expiry"] = inspection.permit.expiry.isoformat()
            applicant["permit_kind"] = inspection.permit.kind.value
        data: dict[str, Any] = {
            "counter": self.device_id,
            "inspection_id": inspection.inspection_id,
            "direction": inspection.direction.value,
            "reason": reason.value,
            "note": note,
            "validity": list(inspection.validity.problems) if inspection.validity else [],
        }
        if inspection.screening and inspection.screening.best:
            best = inspection.screening.best
            data["watchlist_entry_id"] = best.entry_id
            data["watchlist_list"] = best.entry.list
            data["agency"] = best.entry.agency
        request = CaseRequest(CASE_SOP[reason], applicant, data, uuid.uuid4().hex)
        if self.central is not None:
            try:
                case = self.central.open_case(request)
                inspection.cases.append(_case_summary(case))
                return
            except CentralUnavailable:
                pass
        self.pending.add(request)
        inspection.cases.append({"sop_id": request.sop_id, "status": "queued", "local_id": request.local_id})

    # -- events --------------------------------------------------------------------------------------

    def _raise_cekal_alarm(self, inspection: Inspection) -> None:
        """SOP-003-A03 step 5: the supervisor sees the hit at once, through the outbox like a gate alarm."""
        screening = inspection.screening
        assert screening is not None and screening.best is not None
        hit = screening.best
        kind = AlarmKind.CEKAL_IDENTIK if hit.verdict is Verdict.IDENTIK else AlarmKind.CEKAL_MIRIP
        alarm = Alarm(
            ts=self.clock.now(),
            device_id=self.device_id,
            alarm_id=new_event_id(),
            kind=kind,
            severity=Severity.CRITICAL if kind is AlarmKind.CEKAL_IDENTIK else Severity.WARNING,
            session_id=inspection.session_id,
            message=f"counter {self.device_id}: {hit.entry.list} hit for {hit.entry.full_name}",
            watchlist_entry_id=hit.entry_id,
            instructions=hit.entry.instructions,
            match_score=round(hit.score, 4),
            details={"list": hit.entry.list, "agency": hit.entry.agency, "station": "counter"},
        )
        inspection.alarm_id = alarm.alarm_id
        self._emit(alarm)

    def _record_crossing(self, inspection: Inspection, outcome: CrossingOutcome, reason: str) -> None:
        steps = inspection.steps
        passport = inspection.passport
        hit = inspection.screening.best if inspection.screening else None
        record = CrossingRecord(
            ts=self.clock.now(),
            device_id=self.device_id,
            session_id=inspection.session_id,
            site=self.site,
            direction=inspection.direction,
            outcome=outcome,
            reason=reason,
            document=passport.to_wire() if passport else None,
            timings_ms=StepTimings(
                scan=steps.millis(Step.SCAN),
                cekal_check=steps.millis(Step.LIST_CHECK),
                fingerprint=None,
                face=steps.millis(Step.BIOMETRICS),
                total=steps.millis(*Step),
            ),
            watchlist_version=inspection.screening.list_version if inspection.screening else None,
            cekal_entry_id=hit.entry_id if hit else None,
            face_attempts=1 if inspection.face_captured else 0,
            fingerprint_attempts=1 if inspection.fingerprint_captured else 0,
        )
        self._emit(record)
        self.publish_status()

    def _emit(self, message: Message) -> None:
        self.publisher.emit(self.event_topic, codec.encode(message), event_id=message.event_id)

    def publish_status(self) -> None:
        """The retained status the dashboard shows as the counter's tile (not through the outbox)."""
        status = DeviceStatus(
            ts=self.clock.now(),
            device_id=self.device_id,
            online=True,
            in_service=True,
            lane_state="counter",
            outbox_depth=self.publisher.outbox.depth(),
            watchlist_version=self.list_version,
            software_version=SOFTWARE_VERSION,
        )
        if self.publisher.link.is_connected:
            self.publisher.link.publish(self.status_topic, codec.encode(status), retain=True)

    def sync(self) -> int:
        """Open the cases queued while central was away (call on recovery); returns how many went."""
        if self.central is None:
            return 0
        sent = 0
        for request in self.pending.all():
            try:
                case = self.central.open_case(request)
            except CentralUnavailable:
                break
            self.pending.remove(request.local_id)
            for inspection in self.inspections.values():
                for i, c in enumerate(inspection.cases):
                    if c.get("local_id") == request.local_id:
                        inspection.cases[i] = _case_summary(case)
            sent += 1
        return sent

    # -- helpers -------------------------------------------------------------------------------------

    @staticmethod
    def _open(inspection: Inspection) -> None:
        if inspection.is_closed:
            raise InspectionStateError(
                f"inspection {inspection.inspection_id} is finished ({inspection.outcome}); start a new one"
            )

    @staticmethod
    def _end_receive(inspection: Inspection) -> None:
        if Step.RECEIVE not in inspection.steps.times:
            inspection.steps.stop(Step.RECEIVE)


def _case_summary(case: dict[str, Any]) -> dict[str, Any]:
    bills = case.get("payments") or []
    data = case.get("data") or {}
    return {
        "case_id": case.get("case_id"),
        "application_no": case.get("application_no"),
        "sop_id": case.get("sop_id"),
        "status": case.get("status"),
        "current_step": case.get("current_step"),
        "overstay_days": data.get("overstay_days"),
        "amount": bills[0].get("amount") if bills else None,
    }
