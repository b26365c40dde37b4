"""Whatever arrives on a topic, the translation either understands it or rejects it with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import msgpack
from hypothesis import given, settings
from hypothesis import strategies as st

from central import translate
from core import wire

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
EVENT_TOPIC = "imigrasi/v1/cgk/gate/gate-01/event"


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_random_bytes_are_rejected_never_crash(payload: bytes) -> None:
    try:
        translate.translate(EVENT_TOPIC, payload, received_at=T0)
    except translate.Rejected as exc:
        assert str(exc)


@settings(max_examples=100)
@given(
    st.dictionaries(
        st.sampled_from(["type", "schema", "event_id", "ts", "device_id", "site", "outcome"]),
        st.one_of(st.text(max_size=20), st.integers(-(2**63), 2**64 - 1), st.none(), st.binary(max_size=8)),
    )
)
def test_maps_that_look_like_messages_are_rejected_or_understood(fields: dict[str, object]) -> None:
    payload = msgpack.packb(fields, use_bin_type=True)
    try:
        result = translate.translate(EVENT_TOPIC, payload, received_at=T0)
    except translate.Rejected:
        return
    assert result.event is not None


@settings(max_examples=50)
@given(st.text(max_size=80))
def test_any_topic_string_is_rejected_or_parsed(topic: str) -> None:
    payload = wire.encode(
        wire.DoorEvent(device_id="gate-01", ts=T0, door=wire.Door.ENTRY, state=wire.DoorState.CLOSED)
    )
    try:
        result = translate.translate(topic, payload, received_at=T0)
    except translate.Rejected as exc:
        assert str(exc)
    else:
        assert result.origin.device_id == "gate-01"


def test_a_crossing_keeps_its_step_times_in_seconds() -> None:
    crossing = wire.CrossingRecord(
        device_id="gate-01",
        ts=T0,
        session_id=wire.new_event_id(),
        site="cgk",
        direction=wire.Direction.ARRIVAL,
        outcome=wire.CrossingOutcome.REDIRECTED,
        reason="face_mismatch",
        timings_ms=wire.StepTimings(scan=4200, entry_door=800),
    )
    result = translate.translate(EVENT_TOPIC, wire.encode(crossing), received_at=T0)
    assert result.event is not None and result.event.crossing is not None
    assert result.event.crossing.step_seconds == {"scan": 4.2, "entry_door": 0.8}
    assert (result.event.crossing.outcome, result.event.crossing.reason) == ("redirected", "face_mismatch")


def test_the_stored_body_reads_like_the_wire_json_view() -> None:
    door = wire.DoorEvent(device_id="gate-01", ts=T0, door=wire.Door.EXIT, state=wire.DoorState.OPENED)
    result = translate.translate(EVENT_TOPIC, wire.encode(door), received_at=T0)
    assert result.event is not None
    assert result.event.body == wire.to_jsonable(door)


def test_a_last_will_marks_the_device_offline_when_heard() -> None:
    will = wire.offline_status("gate-01", at=datetime(2026, 11, 22, 6, 0, tzinfo=UTC))
    result = translate.translate("imigrasi/v1/cgk/gate/gate-01/status", wire.encode(will), received_at=T0)
    assert result.status is not None
    assert (result.status.online, result.status.at) == (False, T0)
