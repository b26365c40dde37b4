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
from core.wire.schema import FieldProblem, struct_codec

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


# Parsed topics by their string: a site has a few hundred devices, each publishing on the same few
# topics, and a ``Topic`` is immutable. Only topics that parse are kept; the cache starts over when full.
_TOPICS: dict[str, Topic] = {}
TOPIC_CACHE = 10_000


def _origin(topic: str) -> Topic:
    origin = _TOPICS.get(topic)
    if origin is None:
        origin = wire.parse_topic(topic)
        if len(_TOPICS) >= TOPIC_CACHE:
            _TOPICS.clear()
        _TOPICS[topic] = origin
    return origin


def translate(topic: str, payload: bytes, *, received_at: datetime) -> Translated:
    try:
        origin = _origin(topic)
    except wire.WireError as exc:
        raise Rejected(str(exc), origin=None, event_id=None) from exc
    try:
        msg, raw = _decode(origin, payload)
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
    return _event(origin, msg, raw)


def _decode(origin: Topic, payload: bytes) -> tuple[wire.Message, dict[str, Any]]:
    """``wire.decode_from_topic(origin, payload)``, and the payload's msgpack map, unpacked only once.

    A valid message (nearly every one) is checked here step by step as ``core.wire`` checks it (size
    cap, the same msgpack options, envelope, schema range, the message class's own field codec, then
    channel, site and producer against the topic). The moment any step fails, the payload goes to
    ``wire.decode_from_topic`` itself, which raises with the wire's own reason: a rejection reads
    exactly as before. ``tests/central/test_translate.py`` checks on random payloads and topics that
    both paths accept the same messages and reject the same ones.
    """
    raw: Any = None
    if type(payload) is bytes and len(payload) <= wire.MAX_PAYLOAD_BYTES:
        try:
            raw = msgpack.unpackb(payload, raw=False, timestamp=3, strict_map_key=True)
        except Exception:  # junk: the wire's decoder names what is wrong
            raw = None
    type_name = raw.get("type") if type(raw) is dict else None
    cls = wire.MESSAGE_TYPES.get(type_name) if type(type_name) is str else None
    if cls is not None:
        version = raw.get("schema")
        if type(version) is int and cls.MIN_SCHEMA <= version <= cls.SCHEMA:
            try:
                msg: wire.Message = struct_codec(cls).decode_fields(raw, envelope=True)
            except FieldProblem:
                pass
            else:
                if _belongs(origin, msg):
                    return msg, raw
    # Not valid: decode again the wire's way for its reason. (Should it accept what the checks above
    # did not, its verdict holds: the message is taken, with its body read from a fresh unpack.)
    msg = wire.decode_from_topic(origin, payload)
    fresh: dict[str, Any] = msgpack.unpackb(payload, raw=False, timestamp=3, strict_map_key=True)
    return msg, fresh


def _belongs(origin: Topic, msg: wire.Message) -> bool:
    """The topic checks of ``wire.decode_from_topic``: channel, site, and the device speaking."""
    if type(msg).CHANNEL is not origin.channel:
        return False
    site = getattr(msg, "site", None)
    if site is not None and site != origin.site:
        return False
    if origin.device_id is not None:
        addressed = getattr(msg, "target", None)
        if (addressed if addressed is not None else msg.device_id) != origin.device_id:
            return False
    return True


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


def _body(raw: dict[str, Any], *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """The event as JSON for the store: the payload's map, which the wire has validated, made JSON-ready
    in place (it is ours: the decoded message shares no container with it).

    Same shape as ``wire.to_jsonable(message)`` (datetimes ISO 8601 with ``Z``, bytes as
    ``{"$base64": ...}``) but read straight from the msgpack map: the generic walk over the message's
    fields costs more than the rest of the ingest together.
    """
    for name in drop:
        raw.pop(name, None)
    return _jsonable_map(raw)


def _jsonable_map(value: dict[str, Any]) -> dict[str, Any]:
    # Only datetimes, bytes and containers change; str, int, float, bool and nil stay as they are.
    for key, item in value.items():
        kind = type(item)
        if kind is dict:
            _jsonable_map(item)
        elif kind is list:
            _jsonable_list(item)
        elif kind is datetime:
            value[key] = _iso(item)
        elif kind is bytes:
            value[key] = {"$base64": base64.b64encode(item).decode("ascii")}
    return value


def _jsonable_list(value: list[Any]) -> None:
    for index, item in enumerate(value):
        kind = type(item)
        if kind is dict:
            _jsonable_map(item)
        elif kind is list:
            _jsonable_list(item)
        elif kind is datetime:
            value[index] = _iso(item)
        elif kind is bytes:
            value[index] = {"$base64": base64.b64encode(item).decode("ascii")}


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _event(origin: Topic, msg: wire.Message, raw: dict[str, Any]) -> Translated:
    if isinstance(msg, wire.CrossingRecord):
        return Translated(origin, event=_record(msg, _body(raw), crossing=_crossing(msg)))
    if isinstance(msg, wire.Alarm):
        if msg.cleared:
            return Translated(origin, event=_record(msg, _body(raw)), cleared_alarm=msg.alarm_id)
        alert = AlertRecord(
            kind=msg.kind.value,
            priority=PRIORITY[msg.severity],
            details=_alarm_details(msg),
            face_jpeg=msg.snapshot_jpeg,
        )
        # The raising message's event id is the alarm id, so the alert row and the event share a key.
        return Translated(origin, event=_record(msg, _body(raw, drop=("snapshot_jpeg",)), alert=alert))
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
        return Translated(origin, event=_record(msg, _body(raw), alert=alert))
    if isinstance(msg, wire.DoorEvent):
        status = DeviceStatus(msg.device_id, at=msg.ts, doors={msg.door.value: msg.state.value})
        return Translated(origin, event=_record(msg, _body(raw)), status=status)
    if isinstance(msg, wire.EnrolmentRecord):
        body = _body(raw)
        return Translated(origin, event=_record(msg, body), enrolment=body)
    if isinstance(msg, wire.KioskApplication):
        return Translated(origin, event=_record(msg, _body(raw)), application=case_opening(msg))
    if isinstance(msg, wire.CctvFaceAlarm):
        # The face crop lives in the CCTV desk's alarm row, not twice in the events table.
        body = _body(raw, drop=("snapshot_jpeg",))
        return Translated(origin, event=_record(msg, body), cctv_alarm=msg)
    return Translated(origin, event=_record(msg, _body(raw)))


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
