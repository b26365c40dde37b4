"""The message types edge devices and central exchange, one registered class per ``type``.

Each class's docstring lists its fields under ``Fields:``; docs/protocol.md is generated from these
docstrings and the type hints (``python -m core wire docs``), and a test keeps both in step.
Later packages add types the same way: subclass :class:`Message`, decorate with :func:`message`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from core.wire.schema import (
    DeviceId,
    EventId,
    MaxLen,
    Message,
    Range,
    Scalar,
    Sha256Hex,
    SiteId,
    message,
)
from core.wire.topics import Channel

Count = Annotated[int, Range(0, None)]
Millis = Annotated[int, Range(0, None)]
ShortText = Annotated[str, MaxLen(2000)]

# --- vocabularies ---------------------------------------------------------------------------------


class Direction(StrEnum):
    ARRIVAL = "arrival"
    DEPARTURE = "departure"


class CrossingOutcome(StrEnum):
    """How one passenger's session at a gate ended (SOP-003-A08 decision points)."""

    CROSSED = "crossed"  # A08-8: every check passed, exit door opened, travel history recorded
    REDIRECTED = "redirected"  # A08-7: biometrics failed; entrance re-opened, sent to a counter
    HELD_CEKAL = "held_cekal"  # A08-4: cekal identik, held inside, SOP Cekal (A03) follows
    HELD_REVIEW = "held_review"  # cekal mirip: held until a supervisor reviews the similarity
    REJECTED_DOCUMENT = "rejected_document"  # A08-3: unreadable, invalid or expired; door stays shut
    NOT_ELIGIBLE = "not_eligible"  # A08 scope: a document this gate's policy does not serve
    TIMEOUT = "timeout"  # a step's owner timeout ran out (passenger walked away, no card scanned...)
    ABANDONED = "abandoned"  # the passenger left through the entrance before finishing
    FAULT = "fault"  # a device fault ended the session; the lane goes out of service


class Door(StrEnum):
    ENTRY = "entry"
    EXIT = "exit"


class DoorState(StrEnum):
    OPENING = "opening"
    OPENED = "opened"
    CLOSING = "closing"
    CLOSED = "closed"
    LOCKED = "locked"
    UNLOCKED = "unlocked"
    OBSTRUCTED = "obstructed"
    FAULT = "fault"


class AlarmKind(StrEnum):
    CEKAL_IDENTIK = "cekal_identik"  # A08-4 / A03: suspected identical watch-list hit, passenger held
    CEKAL_MIRIP = "cekal_mirip"  # a similar (not identical) hit: a supervisor reviews it
    TAILGATING = "tailgating"
    WRONG_WAY = "wrong_way"
    DOOR_FAULT = "door_fault"
    FIRE = "fire"
    TAMPER = "tamper"
    DEVICE_LOST = "device_lost"
    OUTBOX_FULL = "outbox_full"
    WATCHLIST_STALE = "watchlist_stale"
    WATCHLIST_REJECTED = "watchlist_rejected"
    COMMAND_REJECTED = "command_rejected"
    PASSENGER_HELD_TIMEOUT = "passenger_held_timeout"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Modality(StrEnum):
    FINGERPRINT = "fingerprint"
    FACE = "face"


class CommandName(StrEnum):
    RELEASE_PASSENGER = "release_passenger"
    GRANT_RETRY = "grant_retry"  # A08-5/6: the supervisor lets the passenger try the biometric again
    REFUSE_RETRY = "refuse_retry"
    OUT_OF_SERVICE = "out_of_service"
    IN_SERVICE = "in_service"
    RESYNC_WATCHLIST = "resync_watchlist"
    OPEN_DOORS_FOR_EVACUATION = "open_doors_for_evacuation"
    CLEAR_ALARM = "clear_alarm"


# --- nested structures ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentFields:
    """The travel-document fields the inspection SOPs record (SOP §0.4 item 6: the nine MRZ fields).

    Dates are ISO 8601 (``YYYY-MM-DD``) as ``core.documents`` gives them, partial dates included;
    names as read from the MRZ with fillers turned into spaces.
    """

    document_code: str
    issuing_state: str
    document_number: str
    nationality: str
    surname: str
    given_names: str
    birth_date: str
    sex: str
    expiry_date: str
    optional_data: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class StepTimings:
    """Milliseconds each step of the gate flow took; ``None`` for steps not reached (SOP A08 SLA:
    scan incl. cekal 5 s, each door 1 s)."""

    scan: Millis | None = None
    cekal_check: Millis | None = None
    entry_door: Millis | None = None
    fingerprint: Millis | None = None
    face: Millis | None = None
    exit_door: Millis | None = None
    total: Millis | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchScores:
    """The best score of each comparison made; ``None`` where none was made."""

    fingerprint: float | None = None
    face: float | None = None
    cekal: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ArtifactRef:
    """A file central serves for download: its URL path, SHA-256 and size in bytes."""

    path: str
    sha256: Sha256Hex
    size: Count


@dataclass(frozen=True, slots=True, kw_only=True)
class PreparedOffer:
    """A list version as a signed *prepared* snapshot (``core.watchlist.prepared``: the built matching
    index, loaded by a gate without a rebuild), and the delta from it to the announced version."""

    version: Count
    snapshot: ArtifactRef
    delta: ArtifactRef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentImage:
    """One document photographed at a kiosk: inline bytes, or a reference to a stored image."""

    name: str
    content_type: str = "image/jpeg"
    data: bytes | None = None
    ref: str | None = None


# --- messages -------------------------------------------------------------------------------------


@message("status", channel=Channel.STATUS)
class DeviceStatus(Message):
    """Device status and heartbeat, published retained on ``status`` at start, on every change and
    periodically; the broker publishes the last will (see ``offline_status``) when the link dies.

    Fields:
        online: false only in the last will or a clean shutdown's final status.
        in_service: whether the lane accepts passengers (supervisors can take it out of service).
        lane_state: the flow's current state name, e.g. ``awaiting_document``; empty for non-gates.
        entry_door: state of the entry door; nil on devices without doors.
        exit_door: state of the exit door; nil on devices without doors.
        passenger_inside: whether someone is between the doors.
        outbox_depth: events written but not yet acknowledged by central.
        watchlist_version: version of the watch list the device checks against; nil if it has none.
        watchlist_age_s: seconds since that version was published; nil if it has none.
        software_version: the device's software version string.
        uptime_s: seconds since the device's process started.
        reason: why the device is offline or out of service (free text), else empty.
    """

    online: bool
    in_service: bool = False
    lane_state: str = ""
    entry_door: DoorState | None = None
    exit_door: DoorState | None = None
    passenger_inside: bool = False
    outbox_depth: Count = 0
    watchlist_version: Count | None = None
    watchlist_age_s: float | None = None
    software_version: str = ""
    uptime_s: float = 0.0
    reason: ShortText = ""


def offline_status(device_id: str, *, at: datetime, reason: str = "connection lost") -> DeviceStatus:
    """The last-will payload a device registers when it connects.

    The broker publishes it only later, so ``ts`` is the connection time; central records the time it
    receives the will as the time the device went offline.
    """
    return DeviceStatus(device_id=device_id, ts=at, online=False, reason=reason)


@message("crossing", channel=Channel.EVENT)
class CrossingRecord(Message):
    """One passenger session at a gate, sent once when it ends, whatever the outcome.

    A rejected attempt (document unreadable, invalid, expired, or not eligible) is a crossing record
    too, with outcome ``rejected_document`` or ``not_eligible``: central counts every attempt in one
    place for SLA reports, and the SOP's "publish an event" on A08-3 is this record.

    Fields:
        session_id: id of the passenger's session at the gate; alarms, door events and retry
            requests of the same session carry it.
        site: the site the gate belongs to.
        direction: arrival or departure.
        outcome: how the session ended.
        reason: machine-readable detail of the outcome, e.g. ``face_mismatch``, ``expired``, ``unreadable``.
        document: the document as read; nil when nothing could be read.
        timings_ms: milliseconds per step.
        scores: best match scores per comparison.
        watchlist_version: version of the watch list checked; nil if no check was made.
        cekal_entry_id: the watch-list entry hit, for held outcomes.
        fingerprint_attempts: fingerprint captures made (retries included).
        face_attempts: face captures made (retries included).
    """

    session_id: EventId
    site: SiteId
    direction: Direction
    outcome: CrossingOutcome
    reason: ShortText = ""
    document: DocumentFields | None = None
    timings_ms: StepTimings = field(default_factory=StepTimings)
    scores: MatchScores = field(default_factory=MatchScores)
    watchlist_version: Count | None = None
    cekal_entry_id: str | None = None
    fingerprint_attempts: Count = 0
    face_attempts: Count = 0


@message("alarm", channel=Channel.EVENT)
class Alarm(Message):
    """Something a supervisor must see, raised and later cleared under the same ``alarm_id``.

    Fields:
        alarm_id: stable id of the alarm (the raising message's event id); a clearing message repeats it.
        kind: what happened.
        severity: how urgently supervisors must act.
        cleared: false when raised, true in the message that clears it.
        session_id: the passenger session concerned, if any.
        message: a short human-readable description.
        watchlist_entry_id: the watch-list entry hit (cekal alarms).
        instructions: the entry's instructions for officers (cekal alarms, SOP A03 step 7).
        match_score: the watch-list or face match score, if any.
        snapshot_jpeg: a face snapshot (JPEG bytes) for the supervisor to compare, if any.
        details: further facts as key/value pairs (e.g. ``door``, ``command_id``).
    """

    alarm_id: EventId
    kind: AlarmKind
    severity: Severity
    cleared: bool = False
    session_id: EventId | None = None
    message: ShortText = ""
    watchlist_entry_id: str | None = None
    instructions: ShortText = ""
    match_score: float | None = None
    snapshot_jpeg: bytes | None = None
    details: dict[str, Scalar] = field(default_factory=dict)


@message("door", channel=Channel.EVENT)
class DoorEvent(Message):
    """A door changed state.

    Fields:
        door: entry or exit.
        state: the state it reached.
        reason: why (e.g. ``passenger_admitted``, ``cekal_hold``, ``evacuation``); empty if routine.
        session_id: the passenger session concerned, if any.
    """

    door: Door
    state: DoorState
    reason: ShortText = ""
    session_id: EventId | None = None


@message("retry_request", channel=Channel.EVENT)
class BiometricRetryRequest(Message):
    """A biometric check failed; the gate waits for a supervisor's ``grant_retry`` or ``refuse_retry``
    command (SOP-003-A08 steps 5 and 6), which names this message's event id in ``in_reply_to``.

    Fields:
        session_id: the passenger session concerned.
        modality: fingerprint or face.
        attempt: which attempt failed (1 for the first).
        score: the failed attempt's score; nil if nothing could be captured.
        threshold: the score the attempt needed.
    """

    session_id: EventId
    modality: Modality
    attempt: Annotated[int, Range(1, None)]
    score: float | None = None
    threshold: float | None = None


@message("command", channel=Channel.CMD)
class SupervisorCommand(Message):
    """A supervisor's command to one device. Its ``event_id`` is the command id, and ``ts`` the time
    it was issued; central signs ``canonical_bytes(command)`` (everything but ``signature``).

    Fields:
        target: the device that must carry it out (must match the topic's device).
        name: what to do.
        args: arguments by name (e.g. ``{"reason": "maintenance"}``).
        in_reply_to: the event this answers, e.g. a retry request or an alarm; nil otherwise.
        issued_by: the supervisor's user id.
        nonce: random bytes that make each command unique (replay protection).
        signature: Ed25519 signature over ``canonical_bytes``; empty when unsigned.
    """

    target: DeviceId
    name: CommandName
    args: dict[str, Scalar] = field(default_factory=dict)
    in_reply_to: EventId | None = None
    issued_by: str
    nonce: bytes = b""
    signature: bytes = b""

    @property
    def command_id(self) -> str:
        return self.event_id

    @property
    def issued_at(self) -> datetime:
        return self.ts


@message("command_ack", channel=Channel.CMD_ACK)
class CommandAck(Message):
    """A device's answer to a command.

    Fields:
        command_id: the command's event id.
        accepted: whether the device carried it out.
        reason: why it was refused (e.g. ``bad_signature``, ``stale``, ``no_passenger_held``); else empty.
    """

    command_id: EventId
    accepted: bool
    reason: ShortText = ""


@message("events_ack", channel=Channel.ACK)
class StoredEventsAck(Message):
    """Central's acknowledgement, sent only after the transaction that stored the events committed;
    the device's outbox then deletes them.

    Fields:
        target: the device whose events these are (must match the topic's device).
        event_ids: events stored (or found already stored: duplicates are acknowledged again).
        quarantined: events central could not accept and kept in quarantine with the reason;
            the device drops them too and logs it.
    """

    target: DeviceId
    event_ids: tuple[EventId, ...]
    quarantined: tuple[EventId, ...] = ()


@message("watchlist_announce", channel=Channel.WATCHLIST_ANNOUNCE, schema=2, min_schema=1)
class WatchlistAnnouncement(Message):
    """The site's current watch-list version, retained on ``imigrasi/v1/<site>/watchlist/announce``.
    Devices that are behind fetch the files named here from central over HTTPS and check hashes and
    signature before switching.

    Fields:
        site: the site this announcement is for (must match the topic's site).
        version: the current list version.
        snapshot_version: the version of the full snapshot offered.
        snapshot: where to fetch the full snapshot.
        delta: where to fetch the changes from ``snapshot_version`` to ``version``; nil if none.
        entries: number of entries in the current version.
        prepared: the newest version central has as a signed prepared snapshot (the built index a
            gate loads in seconds), where to fetch it and the delta from it to ``version``; nil when
            central offers none (schema 1, or no prepared snapshot built yet). Added in schema 2.
        key_id: which of central's signing keys signed it.
        signature: Ed25519 signature over ``canonical_bytes`` of this announcement.
    """

    site: SiteId
    version: Count
    snapshot_version: Count
    snapshot: ArtifactRef
    delta: ArtifactRef | None = None
    entries: Count = 0
    prepared: PreparedOffer | None = None
    key_id: str = ""
    signature: bytes = b""


@message("enrolment", channel=Channel.EVENT)
class EnrolmentRecord(Message):
    """A holder's biometric templates captured at a kiosk or counter, for later 1:1 verification.

    Fields:
        document_number: the document the templates belong to.
        issuing_state: that document's issuing state (ICAO code).
        face_template: the face embedding as bytes (float32 little-endian unless the model says otherwise).
        face_model_id: the model that made it (e.g. ``sface-2021dec-int8``).
        face_quality: the capture's quality score, if measured.
        fingerprint_template: the fingerprint template, if captured.
        fingerprint_model_id: the format or model of that template.
        application_id: the kiosk application it was captured for, if any.
    """

    document_number: str
    issuing_state: str = ""
    face_template: bytes
    face_model_id: str
    face_quality: float | None = None
    fingerprint_template: bytes | None = None
    fingerprint_model_id: str | None = None
    application_id: str | None = None


@message("application", channel=Channel.EVENT)
class KioskApplication(Message):
    """An application submitted at a lobby kiosk, handed to central's workflow engine.

    Fields:
        application_id: the kiosk's id for the application (shown on the receipt).
        service_code: the service applied for (a workflow id in central, e.g. ``itk-extension``).
        applicant: the service's form fields by name.
        document: the passport as read from its MRZ, if scanned.
        documents: documents photographed with the document camera.
        face_template: the applicant's face embedding, if captured.
        face_model_id: the model that made it.
        fingerprint_template: the fingerprint template, if captured.
        fingerprint_model_id: the format or model of that template.
        submitted_at: when the applicant confirmed the submission.
    """

    application_id: str
    service_code: str
    applicant: dict[str, Scalar] = field(default_factory=dict)
    document: DocumentFields | None = None
    documents: tuple[DocumentImage, ...] = ()
    face_template: bytes | None = None
    face_model_id: str | None = None
    fingerprint_template: bytes | None = None
    fingerprint_model_id: str | None = None
    submitted_at: datetime
