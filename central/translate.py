"""Between the wire and the store: decoded ``core.wire`` messages become store records, and central's
acks and commands become wire messages. No I/O here; ``central.ingest`` does the MQTT side.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgpack
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central.store import AlertRecord, CrossingRecord, DeviceStatus, EventRecord, Row
from core import wire
from core.signing import sign_command
from core.wire import Channel, Topic

CENTRAL_ID = "central"
# Severity on the wire -> the alert queue's priority.
PRIORITY = {wire.Severity.CRITICAL: "high", wire.Severity.WARNING: "normal", wire.Severity.INFO: "low"}


class Rejected(wire.WireError):
    """A message central cannot accept; it goes to quarantine. ``event_id`` is set when it could be
    read, so the device can be told to stop re-sending it."""

    def __init__(self, reason: str, *, origin: Topic | None, event_id: str | None) -> None:
        super().__init__(reason)
        self.origin = origin
        self.event_id = event_id


@dataclass(frozen=True)
class CommandAnswer:
    command_id: str
    accepted: bool
    detail: str


@dataclass(frozen=True)
class Translated:
    """What one message means for central: at most one of each."""

    origin: Topic
    event: EventRecord | None = None
    status: DeviceStatus | None = None
    answer: CommandAnswer | None = None
    cleared_alarm: str | None = None  # the alarm_id an alarm-clearing message closes
    enrolment: dict[str, Any] | None = None
    application: CaseOpening | None = None  # a kiosk application for the workflow engine
    cctv_alarm: wire.CctvFaceAlarm | None = None  # for the CCTV desk (SOP-003-D05)


@dataclass(frozen=True)
class CaseOpening:
    """What ``Workflows.open_case`` needs from a kiosk ``application`` message (the same fields the
    kiosk's HTTP fallback sends, so both paths open the same one case, keyed by ``application_id``)."""

    application_id: str
    service_code: str
    applicant: dict[str, Any]
    data: dict[str, Any]


def subscriptions(share_group: str | None) -> list[str]:
    return wire.central_subscriptions(share_group)


def translate(topic: str, payload: bytes, *, received_at: datetime) -> Translated:
    try:
        origin = wire.parse_topic(topic)
    except wire.WireError as exc:
        raise Rejected(str(exc), origin=None, event_id=None) from exc
    try:
        msg = wire.decode_from_topic(origin, payload)
    except wire.WireError as exc:
        raise Rejected(str(exc), origin=origin, event_id=_readable_event_id(payload)) from exc
    if isinstance(msg, wire.DeviceStatus):
        return Translated(origin, status=_status(msg, received_at))
    if isinstance(msg, wire.CommandAck):
        return Translated(origin, answer=CommandAnswer(msg.command_id, msg.accepted, msg.reason))
    if origin.channel is not Channel.EVENT:
        raise Rejected(
            f"central does not take {type(msg).TYPE} messages", origin=origin, event_id=msg.event_id
        )
    return _event(origin, msg, payload)


def _readable_event_id(payload: bytes) -> str | None:
    try:
        raw = msgpack.unpackb(payload, raw=False, strict_map_key=True)
    except Exception:  # any junk: there is simply no id to report
        return None
    value = raw.get("event_id") if isinstance(raw, dict) else None
    return value if wire.is_event_id(value) else None


def _status(msg: wire.DeviceStatus, received_at: datetime) -> DeviceStatus:
    doors = {
        door: state.value
        for door, state in (("entry", msg.entry_door), ("exit", msg.exit_door))
        if state is not None
    }
    return DeviceStatus(
        msg.device_id,
        # A last will is published long after it was written: the device went offline when we hear it.
        at=msg.ts if msg.online else received_at,
        online=msg.online,
        in_service=msg.in_service if msg.online else None,
        lane_state=msg.lane_state if msg.online else None,
        passenger_inside=msg.passenger_inside if msg.online else None,
        doors=doors or None,
        watchlist_version=None if msg.watchlist_version is None else str(msg.watchlist_version),
        software_version=msg.software_version or None,
    )


def _body(payload: bytes, *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """The event as JSON for the store, from the payload the wire already validated.

    Same shape as ``wire.to_jsonable(message)`` (datetimes ISO 8601 with ``Z``, bytes as
    ``{"$base64": ...}``) but read straight from the msgpack map: the generic walk over the message's
    fields costs more than the rest of the ingest together.
    """
    raw = msgpack.unpackb(payload, raw=False, timestamp=3)
    for name in drop:
        raw.pop(name, None)
    body: dict[str, Any] = _jsonable(raw)
    return body


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, bytes):
        return {"$base64": base64.b64encode(value).decode("ascii")}
    return value


def _event(origin: Topic, msg: wire.Message, payload: bytes) -> Translated:
    if isinstance(msg, wire.CrossingRecord):
        return Translated(origin, event=_record(msg, _body(payload), crossing=_crossing(msg)))
    if isinstance(msg, wire.Alarm):
        if msg.cleared:
            return Translated(origin, event=_record(msg, _body(payload)), cleared_alarm=msg.alarm_id)
        alert = AlertRecord(
            kind=msg.kind.value,
            priority=PRIORITY[msg.severity],
            details=_alarm_details(msg),
            face_jpeg=msg.snapshot_jpeg,
        )
        # The raising message's event id is the alarm id, so the alert row and the event share a key.
        return Translated(origin, event=_record(msg, _body(payload, drop=("snapshot_jpeg",)), alert=alert))
    if isinstance(msg, wire.BiometricRetryRequest):
        alert = AlertRecord(
            kind="retry_request",
            priority="normal",
            details={
                "session_id": msg.session_id,
                "modality": msg.modality.value,
                "attempt": msg.attempt,
                "score": msg.score,
                "threshold": msg.threshold,
                "step": msg.modality.value,
                "reason": f"attempt {msg.attempt}",
            },
        )
        return Translated(origin, event=_record(msg, _body(payload), alert=alert))
    if isinstance(msg, wire.DoorEvent):
        status = DeviceStatus(msg.device_id, at=msg.ts, doors={msg.door.value: msg.state.value})
        return Translated(origin, event=_record(msg, _body(payload)), status=status)
    if isinstance(msg, wire.EnrolmentRecord):
        body = _body(payload)
        return Translated(origin, event=_record(msg, body), enrolment=body)
    if isinstance(msg, wire.KioskApplication):
        return Translated(origin, event=_record(msg, _body(payload)), application=case_opening(msg))
    if isinstance(msg, wire.CctvFaceAlarm):
        # The face crop lives in the CCTV desk's alarm row, not twice in the events table.
        body = _body(payload, drop=("snapshot_jpeg",))
        return Translated(origin, event=_record(msg, body), cctv_alarm=msg)
    return Translated(origin, event=_record(msg, _body(payload)))


def case_opening(msg: wire.KioskApplication) -> CaseOpening:
    """The applicant as the workflow engine takes it: the form's fields, completed from the MRZ."""
    applicant: dict[str, Any] = dict(msg.applicant)
    doc = msg.document
    if doc is not None:
        applicant.setdefault("name", f"{doc.given_names} {doc.surname}".strip())
        applicant.setdefault("passport_no", doc.document_number)
        applicant.setdefault("nationality", doc.nationality)
        applicant.setdefault("passport_expiry", doc.expiry_date)
    data = {
        "application_id": msg.application_id,
        "kiosk": msg.device_id,
        "documents": sorted(d.name for d in msg.documents),
        "face_captured": msg.face_template is not None,
        "fingerprint_captured": msg.fingerprint_template is not None,
    }
    return CaseOpening(msg.application_id, msg.service_code, applicant, data)


def _record(
    msg: wire.Message,
    body: dict[str, Any],
    *,
    crossing: CrossingRecord | None = None,
    alert: AlertRecord | None = None,
) -> EventRecord:
    return EventRecord(
        msg.event_id, msg.device_id, type(msg).TYPE, msg.ts, body, crossing=crossing, alert=alert
    )


def _crossing(msg: wire.CrossingRecord) -> CrossingRecord:
    doc = msg.document
    timings = {
        name: getattr(msg.timings_ms, name) / 1000
        for name in ("scan", "cekal_check", "entry_door", "fingerprint", "face", "exit_door", "total")
        if getattr(msg.timings_ms, name) is not None
    }
    return CrossingRecord(
        outcome=msg.outcome.value,
        direction=msg.direction.value,
        reason=msg.reason[:64],
        document_number=doc.document_number.upper() if doc else "",
        issuing_state=doc.issuing_state if doc else "",
        nationality=doc.nationality if doc else "",
        holder_name=f"{doc.surname} {doc.given_names}".strip()[:128] if doc else "",
        step_seconds=timings,
    )


def _alarm_details(msg: wire.Alarm) -> dict[str, Any]:
    details: dict[str, Any] = dict(msg.details)
    details.update(
        {
            "alarm_id": msg.alarm_id,
            "severity": msg.severity.value,
            "message": msg.message,
            "session_id": msg.session_id,
            "entry_id": msg.watchlist_entry_id,
            "instructions": msg.instructions,
            "match_score": msg.match_score,
        }
    )
    return {k: v for k, v in details.items() if v not in (None, "")}


def acks(origin: Topic, event_ids: list[str], quarantined: list[str], *, at: datetime) -> tuple[str, bytes]:
    """The ``events_ack`` for one device, on its own ``ack`` topic."""
    assert origin.kind is not None and origin.device_id is not None
    message = wire.StoredEventsAck(
        device_id=CENTRAL_ID,
        ts=at,
        target=origin.device_id,
        event_ids=tuple(event_ids),
        quarantined=tuple(quarantined),
    )
    return wire.topic_for(origin.site, origin.kind, origin.device_id, Channel.ACK), wire.encode(message)


def command(
    command: Row, device: Row, *, in_reply_to: str | None, key: Ed25519PrivateKey | None = None
) -> tuple[str, bytes]:
    """The ``command`` message for a stored command row, on the device's ``cmd`` topic; signed with a
    fresh nonce when central has a command ``key`` (issue 12: gates refuse unsigned commands)."""
    message = wire.SupervisorCommand(
        event_id=command["command_id"],
        ts=command["issued_at"],
        device_id=CENTRAL_ID,
        target=device["device_id"],
        name=wire.CommandName(command["action"]),
        args=dict(command["params"] or {}),
        in_reply_to=in_reply_to,
        issued_by=command["issued_by"],
    )
    if key is not None:
        message = sign_command(message, key)
    return wire.topic_for(device["site"], device["kind"], device["device_id"], Channel.CMD), wire.encode(
        message
    )


def summary(event: EventRecord) -> str:
    """One line for the dashboard's live feed."""
    body = event.body
    if event.type == "crossing":
        return f"{body.get('direction', '')} {body.get('outcome', '')} {body.get('reason', '')}".strip()
    if event.type == "alarm":
        return f"{body.get('kind', '')} {body.get('severity', '')}{' cleared' if body.get('cleared') else ''}"
    if event.type == "door":
        return f"{body.get('door', '')} {body.get('state', '')}"
    if event.type == "retry_request":
        return f"{body.get('modality', '')} attempt {body.get('attempt', '')}"
    if event.type == "application":
        return f"{body.get('service_code', '')} {body.get('application_id', '')}".strip()
    if event.type == "cctv_alarm":
        return f"{body.get('label', '')} score {body.get('score', '')}".strip()
    return ""
