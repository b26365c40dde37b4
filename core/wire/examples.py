"""One deterministic example of every message type, for docs/protocol.md and the CLI.

A new message type needs an entry here: a test fails for any registered type without one, and the
docs are generated from these.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeVar

from core.wire.cctv import CctvFaceAlarm
from core.wire.ids import event_id_from_parts
from core.wire.messages import (
    Alarm,
    AlarmKind,
    ArtifactRef,
    BiometricRetryRequest,
    CommandAck,
    CommandName,
    CrossingOutcome,
    CrossingRecord,
    DeviceStatus,
    Direction,
    DocumentFields,
    DocumentImage,
    Door,
    DoorEvent,
    DoorState,
    EnrolmentRecord,
    KioskApplication,
    MatchScores,
    Modality,
    PreparedOffer,
    Severity,
    StepTimings,
    StoredEventsAck,
    SupervisorCommand,
    WatchlistAnnouncement,
)
from core.wire.schema import Message

T0 = datetime(2026, 11, 22, 8, 15, 30, 250000, tzinfo=UTC)
SITE = "cgk"


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _eid(seconds: float, n: int) -> str:
    ms = (_at(seconds) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    return event_id_from_parts(ms, 0x100 + n, 0x1234_5678_9ABC_0000 + n)


SESSION = _eid(0, 0)
_DOC = DocumentFields(
    document_code="P",
    issuing_state="IDN",
    document_number="C1234567",
    nationality="IDN",
    surname="SANTOSO",
    given_names="BUDI",
    birth_date="1988-04-17",
    sex="M",
    expiry_date="2031-02-28",
)


def examples() -> dict[str, Message]:
    """Example messages by type name."""
    alarm_id = _eid(1.2, 3)
    retry_id = _eid(6.0, 5)
    command_id = _eid(20.0, 6)
    items: list[Message] = [
        DeviceStatus(
            event_id=_eid(0, 1),
            ts=_at(0),
            device_id="gate-01",
            online=True,
            in_service=True,
            lane_state="awaiting_document",
            entry_door=DoorState.LOCKED,
            exit_door=DoorState.LOCKED,
            outbox_depth=0,
            watchlist_version=1842,
            watchlist_age_s=312.5,
            software_version="0.1.0",
            uptime_s=86400.0,
        ),
        CrossingRecord(
            event_id=_eid(9.8, 2),
            ts=_at(9.8),
            device_id="gate-01",
            session_id=SESSION,
            site=SITE,
            direction=Direction.DEPARTURE,
            outcome=CrossingOutcome.CROSSED,
            document=_DOC,
            timings_ms=StepTimings(
                scan=1840,
                cekal_check=12,
                entry_door=950,
                fingerprint=2210,
                face=1630,
                exit_door=930,
                total=9800,
            ),
            scores=MatchScores(fingerprint=0.91, face=0.62),
            watchlist_version=1842,
            fingerprint_attempts=1,
            face_attempts=1,
        ),
        Alarm(
            event_id=alarm_id,
            ts=_at(1.2),
            device_id="gate-02",
            alarm_id=alarm_id,
            kind=AlarmKind.CEKAL_IDENTIK,
            severity=Severity.CRITICAL,
            session_id=_eid(0.1, 9),
            message="Cekal identik: passenger held inside gate-02",
            watchlist_entry_id="cekal-000731",
            instructions="Hold; hand over to the requesting agency via Inteldakim (SOP A03 step 7)",
            match_score=0.97,
            snapshot_jpeg=b"\xff\xd8\xff\xe0",
            details={"list": "pencegahan"},
        ),
        DoorEvent(
            event_id=_eid(1.5, 4),
            ts=_at(1.5),
            device_id="gate-02",
            door=Door.ENTRY,
            state=DoorState.LOCKED,
            reason="cekal_hold",
            session_id=_eid(0.1, 9),
        ),
        BiometricRetryRequest(
            event_id=retry_id,
            ts=_at(6.0),
            device_id="gate-01",
            session_id=SESSION,
            modality=Modality.FACE,
            attempt=1,
            score=0.31,
            threshold=0.36,
        ),
        SupervisorCommand(
            event_id=command_id,
            ts=_at(20.0),
            device_id="central-1",
            target="gate-01",
            name=CommandName.GRANT_RETRY,
            in_reply_to=retry_id,
            issued_by="spv.rina",
            nonce=bytes(range(16)),
            signature=bytes(64),
        ),
        CommandAck(
            event_id=_eid(20.1, 7),
            ts=_at(20.1),
            device_id="gate-01",
            command_id=command_id,
            accepted=True,
        ),
        StoredEventsAck(
            event_ids=(_eid(9.8, 2), alarm_id),
            event_id=_eid(10.0, 8),
            ts=_at(10.0),
            device_id="central-1",
            target="gate-01",
        ),
        WatchlistAnnouncement(
            event_id=_eid(-600, 10),
            ts=_at(-600),
            device_id="central-1",
            site=SITE,
            version=1842,
            snapshot_version=1800,
            snapshot=ArtifactRef(path="/api/v1/watchlist/snapshots/1800", sha256="ab" * 32, size=734_112),
            delta=ArtifactRef(path="/api/v1/watchlist/deltas/1800-1842", sha256="cd" * 32, size=5_120),
            entries=20_417,
            prepared=PreparedOffer(
                version=1840,
                snapshot=ArtifactRef(
                    path="/api/v1/watchlist/prepared/1840", sha256="ef" * 32, size=6_291_456
                ),
                delta=ArtifactRef(path="/api/v1/watchlist/deltas/1840-1842", sha256="12" * 32, size=1_024),
            ),
            key_id="central-2026",
            signature=bytes(64),
        ),
        EnrolmentRecord(
            event_id=_eid(30, 11),
            ts=_at(30),
            device_id="kiosk-01",
            document_number="C1234567",
            issuing_state="IDN",
            face_template=bytes(8),
            face_model_id="sface-2021dec-int8",
            face_quality=0.83,
            application_id="APP-20261122-0042",
        ),
        KioskApplication(
            event_id=_eid(31, 12),
            ts=_at(31),
            device_id="kiosk-01",
            application_id="APP-20261122-0042",
            service_code="itk-extension",
            applicant={"sponsor": "PT Maju", "duration_days": 30},
            document=_DOC,
            documents=(DocumentImage(name="sponsor_letter", ref="kiosk-01/blob/77"),),
            face_template=bytes(8),
            face_model_id="sface-2021dec-int8",
            submitted_at=_at(30.5),
        ),
        CctvFaceAlarm(
            event_id=_eid(40, 13),
            ts=_at(40),
            device_id="cctv-t2-01",
            entry_id="0b8c5a3e-7b1f-4b0e-9d59-4c1c3f7f2a10",
            watchlist_id="W-0001",
            label="case 114/2026",
            score=0.712,
            threshold=0.363,
            track_id=17,
            snapshot_jpeg=b"\xff\xd8\xff\xe0...\xff\xd9",
        ),
    ]
    return {type(item).TYPE: item for item in items}


M = TypeVar("M", bound=Message)


def example_of(cls: type[M]) -> M:
    """The example of one message class, typed as that class (handy in other packages' tests)."""
    item = examples()[cls.TYPE]
    if not isinstance(item, cls):
        raise TypeError(f"the example for {cls.TYPE!r} is a {type(item).__name__}, not a {cls.__name__}")
    return item
