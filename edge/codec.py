"""The gate's side of the wire contract (``core.wire``): its topics, and flow facts as wire messages.

Nothing here defines a format: topics come from ``core.wire.topic_for`` and payloads are the registered
message classes encoded by ``core.wire.encode``. This module only decides *which* message a flow fact
becomes (``fact_to_message``), so ``edge.flow`` stays free of wire details.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from core import wire
from core.wire import Channel, DeviceKind

KIND = DeviceKind.GATE


def event_topic(site: str, device_id: str) -> str:
    return wire.topic_for(site, KIND, device_id, Channel.EVENT)


def ack_topic(site: str, device_id: str) -> str:
    return wire.topic_for(site, KIND, device_id, Channel.ACK)


def command_topic(site: str, device_id: str) -> str:
    return wire.topic_for(site, KIND, device_id, Channel.CMD)


def command_ack_topic(site: str, device_id: str) -> str:
    return wire.topic_for(site, KIND, device_id, Channel.CMD_ACK)


def status_topic(site: str, device_id: str) -> str:
    return wire.topic_for(site, KIND, device_id, Channel.STATUS)


def announce_topic(site: str) -> str:
    return wire.site_topic_for(site, Channel.WATCHLIST_ANNOUNCE)


def offline_will(device_id: str, at: datetime) -> bytes:
    """The retained last will: central marks the gate offline when the broker loses it."""
    return wire.encode(wire.offline_status(device_id, at=at))


def decode_ack(payload: bytes) -> list[str]:
    """The event ids central committed or quarantined: either way the outbox may drop them."""
    ack = wire.decode_as(wire.StoredEventsAck, payload)
    return [*ack.event_ids, *ack.quarantined]


# -- facts to messages -------------------------------------------------------------------------------

# Flow alarm names → the wire's alarm kinds. Absent names are not alarms on the wire: ``retry_request``
# travels as its own message and ``out_of_service`` as the status heartbeat (in_service, reason).
ALARM_KINDS: dict[str, wire.AlarmKind] = {
    "cekal_identik": wire.AlarmKind.CEKAL_IDENTIK,
    "watchlist_review": wire.AlarmKind.CEKAL_MIRIP,
    "watchlist_possible_match": wire.AlarmKind.CEKAL_MIRIP,
    "tailgating": wire.AlarmKind.TAILGATING,
    "wrong_way": wire.AlarmKind.WRONG_WAY,
    "door_fault": wire.AlarmKind.DOOR_FAULT,
    "device_lost": wire.AlarmKind.DEVICE_LOST,
    "fire": wire.AlarmKind.FIRE,
    "outbox_full": wire.AlarmKind.OUTBOX_FULL,
    "watchlist_stale": wire.AlarmKind.WATCHLIST_STALE,
    "watchlist_rejected": wire.AlarmKind.WATCHLIST_REJECTED,
    "command_rejected": wire.AlarmKind.COMMAND_REJECTED,
}
SEVERITY = {
    "critical": wire.Severity.CRITICAL,
    "high": wire.Severity.CRITICAL,
    "normal": wire.Severity.WARNING,
    "low": wire.Severity.INFO,
}
# The flow's redirect reasons that end a *held* session: the record says it was held (SOP A03 / A08-4).
HELD_OUTCOMES = {
    "supervisor_release_cekal": wire.CrossingOutcome.HELD_CEKAL,
    "supervisor_release_review": wire.CrossingOutcome.HELD_REVIEW,
    "out_of_service": wire.CrossingOutcome.FAULT,
}
_DOC_KEYS = (
    "document_code", "issuing_state", "document_number", "nationality", "surname", "given_names",
    "birth_date", "sex", "expiry_date",
)  # fmt: skip


def _document(fields: Mapping[str, Any]) -> wire.DocumentFields | None:
    if not fields.get("document_number") and not fields.get("surname"):
        return None
    return wire.DocumentFields(**{k: str(fields.get(k) or "") for k in _DOC_KEYS})


def _ms(seconds: Any) -> int | None:
    return None if seconds is None else max(0, round(float(seconds) * 1000))


def _step_timings(timings: Mapping[str, float]) -> wire.StepTimings:
    """The flow's marks (seconds after the document was read) as the wire's per-step durations."""

    def span(start: str, end: str) -> int | None:
        a, b = timings.get(f"{start}_s"), timings.get(f"{end}_s")
        return None if a is None or b is None else _ms(b - a)

    return wire.StepTimings(
        entry_door=span("admitted", "entry_closed"),
        fingerprint=span("fingerprint_started", "face_started"),
        face=span("face_started", "exit_opened"),
        total=_ms(timings.get("total_s")),
    )


def _crossing(
    fields: Mapping[str, Any], *, device_id: str, site: str, at: datetime, watchlist_version: int | None
) -> wire.CrossingRecord:
    outcome_name = fields["outcome"]
    reason = str(fields.get("reason") or "")
    if outcome_name == "passed":
        outcome = wire.CrossingOutcome.CROSSED
    elif outcome_name == "abandoned":
        outcome = wire.CrossingOutcome.ABANDONED
    else:
        outcome = HELD_OUTCOMES.get(reason, wire.CrossingOutcome.REDIRECTED)
    scores = fields.get("scores") or {}
    return wire.CrossingRecord(
        ts=at,
        device_id=device_id,
        session_id=fields.get("session_id") or wire.new_event_id(at),
        site=site,
        direction=wire.Direction(fields["direction"]),
        outcome=outcome,
        reason=reason,
        document=_document(fields),
        timings_ms=_step_timings(fields.get("timings") or {}),
        scores=wire.MatchScores(
            fingerprint=scores.get("fingerprint"),
            face=scores.get("face"),
            cekal=fields.get("cekal_score") or None,
        ),
        watchlist_version=watchlist_version,
        cekal_entry_id=fields.get("cekal_entry_id"),
        fingerprint_attempts=int(fields.get("fingerprint_attempts", 0)),
        face_attempts=int(fields.get("face_attempts", 0)),
    )


def _rejected(
    fields: Mapping[str, Any], *, device_id: str, site: str, at: datetime, direction: str,
    watchlist_version: int | None,
) -> wire.CrossingRecord:  # fmt: skip
    # SOP-003-A08 step 3: a refused document is a crossing record with its own outcome (core.wire).
    reason = str(fields["reason"])
    outcome = {
        "document_not_eligible": wire.CrossingOutcome.NOT_ELIGIBLE,
        "manual_counter": wire.CrossingOutcome.REDIRECTED,
    }.get(reason, wire.CrossingOutcome.REJECTED_DOCUMENT)
    return wire.CrossingRecord(
        ts=at,
        device_id=device_id,
        session_id=fields.get("session_id") or wire.new_event_id(at),
        site=site,
        direction=wire.Direction(direction),
        outcome=outcome,
        reason="watchlist_possible_match" if reason == "manual_counter" else reason.removeprefix("document_"),
        document=_document(fields),
        watchlist_version=watchlist_version,
    )


def _alarm(fields: Mapping[str, Any], *, device_id: str, at: datetime) -> wire.Alarm | None:
    kind = ALARM_KINDS.get(str(fields.get("alarm")))
    alarm_id = fields.get("alarm_id")
    if kind is None or not alarm_id:
        return None
    raised = bool(fields.get("raised"))
    details: dict[str, wire.Scalar] = {"lane_state": str(fields.get("state", ""))}
    for key in ("list_type", "agency", "document_number", "issuing_state", "surname", "given_names"):
        value = fields.get(key)
        if isinstance(value, str) and value:
            details[key] = value
    score = fields.get("score")
    return wire.Alarm(
        event_id=alarm_id if raised else wire.new_event_id(at),
        ts=at,
        device_id=device_id,
        alarm_id=alarm_id,
        kind=kind,
        severity=SEVERITY.get(str(fields.get("priority", "high")), wire.Severity.CRITICAL),
        cleared=not raised,
        session_id=fields.get("session_id"),
        message=str(fields.get("message", "")),
        watchlist_entry_id=fields.get("entry_id"),
        instructions=str(fields.get("instructions") or ""),
        match_score=float(score) if isinstance(score, int | float) else None,
        details=details if raised else {},
    )


def _retry_request(fields: Mapping[str, Any], *, device_id: str, at: datetime) -> wire.BiometricRetryRequest:
    score, threshold = fields.get("score"), fields.get("threshold")
    return wire.BiometricRetryRequest(
        ts=at,
        device_id=device_id,
        session_id=fields.get("session_id") or wire.new_event_id(at),
        modality=wire.Modality(fields["step"]),
        attempt=max(1, int(fields["attempt"])),
        score=float(score) if isinstance(score, int | float) else None,
        threshold=float(threshold) if isinstance(threshold, int | float) else None,
    )


def fact_to_message(
    kind: str,
    fields: Mapping[str, Any],
    *,
    device_id: str,
    site: str,
    at: datetime,
    direction: str = "departure",
    watchlist_version: int | None = None,
) -> wire.Message | None:
    """The wire message a flow fact becomes, or ``None`` for facts that are not events on the wire."""
    if kind == "crossing":
        return _crossing(fields, device_id=device_id, site=site, at=at, watchlist_version=watchlist_version)
    if kind == "rejected_attempt":
        return _rejected(
            fields, device_id=device_id, site=site, at=at, direction=direction,
            watchlist_version=watchlist_version,
        )  # fmt: skip
    if kind == "alarm":
        return _alarm(fields, device_id=device_id, at=at)
    if kind == "retry_request":
        return _retry_request(fields, device_id=device_id, at=at)
    if kind == "door_event":
        return door_event(
            device_id, at, str(fields["door"]), str(fields["event"]), session_id=fields.get("session_id")
        )
    return None


_DOOR_STATES = {
    "opened": wire.DoorState.OPENED,
    "closed": wire.DoorState.CLOSED,
    "locked": wire.DoorState.LOCKED,
    "obstructed": wire.DoorState.OBSTRUCTED,
    "fault": wire.DoorState.FAULT,
}


def door_event(
    device_id: str, at: datetime, door: str, state: str, *, session_id: str | None = None, reason: str = ""
) -> wire.DoorEvent:
    return wire.DoorEvent(
        ts=at,
        device_id=device_id,
        door=wire.Door(door),
        state=_DOOR_STATES[state],
        reason=reason,
        session_id=session_id,
    )


CommandHandler = Callable[[wire.SupervisorCommand], tuple[bool, str]]

__all__ = [
    "ALARM_KINDS",
    "CommandHandler",
    "ack_topic",
    "announce_topic",
    "command_ack_topic",
    "command_topic",
    "decode_ack",
    "door_event",
    "event_topic",
    "fact_to_message",
    "offline_will",
    "status_topic",
]
