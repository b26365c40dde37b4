"""Whatever arrives on a topic, the translation either understands it or rejects it with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import msgpack
from hypothesis import given, settings
from hypothesis import strategies as st

from central import translate
from core import wire
from core.wire import Channel
from core.wire.examples import examples

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


SPOOFED_TOPICS = [
    EVENT_TOPIC,
    "imigrasi/v1/cgk/gate/gate-02/event",  # another gate's topic
    "imigrasi/v1/dps/gate/gate-01/event",  # another site
    "imigrasi/v1/cgk/gate/gate-01/status",  # another channel
    "imigrasi/v1/cgk/gate/gate-01/cmd/ack",
]


def _wire_verdict(topic: str, payload: bytes) -> str | wire.Message:
    try:
        return wire.decode_from_topic(topic, payload)
    except wire.WireError as exc:
        return str(exc)


def _translate_verdict(topic: str, payload: bytes) -> str | wire.Message:
    origin = wire.parse_topic(topic)
    try:
        msg, _raw = translate._decode(origin, payload)
    except wire.WireError as exc:
        return str(exc)
    return msg


def _valid_payloads() -> list[bytes]:
    return [
        wire.encode(
            wire.DoorEvent(device_id="gate-01", ts=T0, door=wire.Door.ENTRY, state=wire.DoorState.CLOSED)
        ),
        wire.encode(
            wire.CrossingRecord(
                device_id="gate-01",
                ts=T0,
                session_id=wire.new_event_id(),
                site="cgk",
                direction=wire.Direction.ARRIVAL,
                outcome=wire.CrossingOutcome.CROSSED,
            )
        ),
        wire.encode(wire.offline_status("gate-01", at=T0)),
        wire.encode(
            wire.CommandAck(device_id="gate-01", ts=T0, command_id=wire.new_event_id(), accepted=True)
        ),
    ]


@settings(max_examples=300)
@given(
    st.sampled_from(SPOOFED_TOPICS),
    st.sampled_from(_valid_payloads()),
    st.dictionaries(
        st.sampled_from(
            ["type", "schema", "event_id", "ts", "device_id", "site", "outcome", "door", "extra"]
        ),
        st.one_of(
            st.text(max_size=12),
            st.sampled_from(
                ["crossing", "door", "status", "command_ack", "gate-01", "gate-02", "cgk", "dps"]
            ),
            st.integers(-3, 3),
            st.none(),
            st.binary(max_size=4),
            st.datetimes(timezones=st.just(UTC)),
        ),
        max_size=3,
    ),
)
def test_decoding_once_accepts_and_rejects_exactly_what_the_wire_does(
    topic: str, base: bytes, changes: dict[str, object]
) -> None:
    """The ingest's one-unpack decoder and ``wire.decode_from_topic`` agree on every payload: the same
    message when valid, the same reason when not (a valid message with a few fields changed, on its
    own topic or on one where it would speak for another device, site or channel)."""
    raw = msgpack.unpackb(base, raw=False, timestamp=3)
    raw.update(changes)
    payload = msgpack.packb(raw, use_bin_type=True, datetime=True)
    assert _translate_verdict(topic, payload) == _wire_verdict(topic, payload)


@settings(max_examples=200)
@given(st.binary(max_size=200))
def test_decoding_once_rejects_junk_with_the_wires_reason(payload: bytes) -> None:
    assert _translate_verdict(EVENT_TOPIC, payload) == _wire_verdict(EVENT_TOPIC, payload)


def test_an_oversized_payload_is_rejected_with_the_wires_reason() -> None:
    payload = msgpack.packb({"type": "door", "pad": b"x" * (wire.MAX_PAYLOAD_BYTES + 1)}, use_bin_type=True)
    verdict = _translate_verdict(EVENT_TOPIC, payload)
    assert isinstance(verdict, str) and "exceeds" in verdict
    assert verdict == _wire_verdict(EVENT_TOPIC, payload)


def test_every_message_kind_gets_the_same_body_as_the_wire_json_view() -> None:
    """The body comes from the one unpack: for each event kind it reads like ``wire.to_jsonable``
    (less the JPEG the alert row or the CCTV desk keeps)."""
    kinds = {"cctv_alarm": "cctv", "application": "kiosk"}
    checked = set()
    for example in examples().values():
        if type(example).CHANNEL is not Channel.EVENT:
            continue
        kind = kinds.get(type(example).TYPE, "gate")
        topic = wire.topic_for(
            getattr(example, "site", None) or "cgk", kind, example.device_id, Channel.EVENT
        )
        result = translate.translate(topic, wire.encode(example), received_at=T0)
        assert result.event is not None
        expected = wire.to_jsonable(example)
        expected.pop("snapshot_jpeg", None)
        assert result.event.body == expected, type(example).TYPE
        checked.add(type(example).TYPE)
    assert {"crossing", "alarm", "door", "cctv_alarm", "application"} <= checked
