"""The msgpack codec: exact round trips for every registered type, strict typed errors for the rest."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.wire import (
    MESSAGE_TYPES,
    Alarm,
    BiometricRetryRequest,
    CommandAck,
    CrossingRecord,
    DecodeError,
    DeviceStatus,
    EncodeError,
    Message,
    PayloadTooLarge,
    SchemaVersionError,
    StoredEventsAck,
    SupervisorCommand,
    UnknownMessageType,
    WireError,
    canonical_bytes,
    decode,
    decode_as,
    decode_from_topic,
    encode,
    new_event_id,
    offline_status,
)
from core.wire.examples import example_of, examples
from tests.core.wire.strategies import instances_of, msgpack_values

EXAMPLES = examples()
TS = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def raw_of(msg: Message) -> dict[str, Any]:
    value: dict[str, Any] = msgpack.unpackb(encode(msg), timestamp=3)
    return value


def pack(raw: Any) -> bytes:
    packed: bytes = msgpack.packb(raw, datetime=True)
    return packed


def decode_error(raw: Any) -> DecodeError:
    with pytest.raises(DecodeError) as caught:
        decode(pack(raw))
    return caught.value


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("type_name", list(MESSAGE_TYPES))
def test_every_registered_type_round_trips_exactly(type_name: str) -> None:
    @settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
    @given(instances_of(MESSAGE_TYPES[type_name]))
    def round_trip(msg: Message) -> None:
        assert decode(encode(msg)) == msg

    round_trip()


@pytest.mark.parametrize("type_name", list(MESSAGE_TYPES))
def test_every_registered_type_decodes_only_to_its_own_class(type_name: str) -> None:
    msg = EXAMPLES[type_name]
    assert type(decode(encode(msg))) is MESSAGE_TYPES[type_name]


def test_the_envelope_carries_type_and_schema_first() -> None:
    raw = raw_of(EXAMPLES["crossing"])
    assert list(raw)[:5] == ["type", "schema", "event_id", "ts", "device_id"]
    assert (raw["type"], raw["schema"]) == ("crossing", CrossingRecord.SCHEMA)


def test_timestamps_travel_as_msgpack_timestamps_with_microseconds() -> None:
    ts = datetime(2026, 11, 22, 8, 0, 0, 123456, tzinfo=UTC)
    raw = msgpack.unpackb(encode(offline_status("gate-01", at=ts)), timestamp=0)
    assert raw["ts"] == msgpack.Timestamp.from_datetime(ts)


def test_a_timestamp_in_another_zone_arrives_as_the_same_instant_in_utc() -> None:
    wib = timezone(timedelta(hours=7))
    msg = offline_status("gate-01", at=datetime(2026, 11, 22, 15, 0, tzinfo=wib))
    decoded = decode(encode(msg))
    assert decoded.ts == msg.ts
    assert decoded.ts.utcoffset() == timedelta(0)


def test_optional_fields_missing_from_a_payload_take_their_defaults() -> None:
    raw = raw_of(EXAMPLES["status"])
    for name in ("in_service", "lane_state", "outbox_depth", "reason"):
        del raw[name]
    decoded = decode(pack(raw))
    assert isinstance(decoded, DeviceStatus)
    assert (decoded.in_service, decoded.lane_state, decoded.outbox_depth) == (False, "", 0)


def test_the_last_will_is_an_offline_status() -> None:
    will = decode(encode(offline_status("gate-07", at=TS)))
    assert isinstance(will, DeviceStatus)
    assert (will.device_id, will.online, will.ts) == ("gate-07", False, TS)


# --- strict decoding -----------------------------------------------------------------------------


def test_an_unknown_type_is_named() -> None:
    raw = raw_of(EXAMPLES["door"]) | {"type": "teleport"}
    error = decode_error(raw)
    assert isinstance(error, UnknownMessageType)
    assert error.field == "type"
    assert "teleport" in str(error)


def test_a_payload_without_a_type_is_refused() -> None:
    raw = raw_of(EXAMPLES["door"])
    del raw["type"]
    assert decode_error(raw).field == "type"


@pytest.mark.parametrize("schema", [0, 2, 99, -1, "1", None, 1.0])
def test_a_schema_version_this_build_does_not_read_is_refused(schema: object) -> None:
    raw = raw_of(EXAMPLES["door"]) | {"schema": schema}
    error = decode_error(raw)
    assert isinstance(error, SchemaVersionError)
    assert error.field == "schema"


@pytest.mark.parametrize("type_name", list(MESSAGE_TYPES))
def test_a_missing_required_field_is_named(type_name: str) -> None:
    raw = raw_of(EXAMPLES[type_name])
    del raw["device_id"]
    error = decode_error(raw)
    assert error.field == "device_id"
    assert "missing" in str(error)


def test_an_unknown_field_is_named() -> None:
    raw = raw_of(EXAMPLES["command_ack"]) | {"colour": "red"}
    error = decode_error(raw)
    assert error.field == "colour"


@pytest.mark.parametrize(
    ("type_name", "path", "value"),
    [
        ("door", "door", "side"),
        ("door", "state", 3),
        ("status", "online", 1),
        ("status", "outbox_depth", -1),
        ("status", "outbox_depth", True),
        ("status", "uptime_s", "long"),
        ("status", "ts", "2026-11-22T08:00:00Z"),
        ("crossing", "event_id", "not-a-uuid"),
        ("crossing", "device_id", "Gate 01"),
        ("alarm", "snapshot_jpeg", "ffd8"),
        ("alarm", "details", ["list"]),
        ("events_ack", "event_ids", "0193"),
    ],
)
def test_an_ill_typed_field_is_named(type_name: str, path: str, value: object) -> None:
    raw = raw_of(EXAMPLES[type_name]) | {path: value}
    assert decode_error(raw).field == path


def test_an_ill_typed_nested_field_is_named_by_its_path() -> None:
    raw = raw_of(EXAMPLES["crossing"])
    raw["document"]["surname"] = 7
    assert decode_error(raw).field == "document.surname"


def test_an_ill_typed_array_item_is_named_by_its_index() -> None:
    raw = raw_of(EXAMPLES["events_ack"])
    raw["event_ids"].append("nope")
    assert decode_error(raw).field == "event_ids[2]"


def test_an_ill_typed_map_value_is_named_by_its_key() -> None:
    raw = raw_of(EXAMPLES["alarm"])
    raw["details"]["door"] = [1, 2]
    assert decode_error(raw).field == "details['door']"


def test_an_array_item_in_a_nested_structure_is_named_by_its_full_path() -> None:
    raw = raw_of(EXAMPLES["application"])
    raw["documents"][0]["data"] = 5
    assert decode_error(raw).field == "documents[0].data"


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\xc1",  # never used in msgpack
        b"\x93\x01",  # array of 3 with one item: truncated
        pack({"type": "door"}) + b"\x00",  # trailing bytes
        b"\x91" * 5000 + b"\x00",  # nesting deeper than the unpacker's stack
        b"\xdb\xff\xff\xff\xff",  # str32 claiming 4 GiB
        b"\xd6\xff\x00",  # truncated timestamp extension
        pack(raw_of(EXAMPLES["door"]) | {"ts": msgpack.Timestamp(2**40)}),  # a timestamp beyond year 9999
        pack(
            raw_of(EXAMPLES["door"]) | {"ts": msgpack.ExtType(5, b"??")}
        ),  # an extension type nobody defined
        pack([1, 2, 3]),
        pack("door"),
        pack({1: "integer key"}),
        b"\x81\xa4type\xa4\xff\xfe\xfd\xfc",  # invalid UTF-8 in a string
    ],
)
def test_garbage_is_a_decode_error(payload: bytes) -> None:
    with pytest.raises(DecodeError):
        decode(payload)


def test_a_payload_over_the_size_cap_is_refused_before_parsing() -> None:
    with pytest.raises(PayloadTooLarge, match="exceeds"):
        decode(encode(EXAMPLES["door"]), max_size=64)


def test_the_size_cap_is_configurable_upwards() -> None:
    big = replace(example_of(Alarm), snapshot_jpeg=bytes(5 * 1024 * 1024))
    assert decode(encode(big), max_size=6 * 1024 * 1024) == big


def test_a_payload_that_is_not_bytes_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="bytes"):
        decode("text")  # type: ignore[arg-type]


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_wire_errors(data: bytes) -> None:
    try:
        decoded = decode(data)
    except WireError:
        return
    assert isinstance(decoded, Message)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(msgpack_values())
def test_random_msgpack_structures_raise_only_wire_errors(value: Any) -> None:
    with pytest.raises(WireError):
        decode(pack(value))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(EXAMPLES)), st.data())
def test_junk_in_any_field_of_a_valid_message_raises_only_wire_errors(
    type_name: str, data: st.DataObject
) -> None:
    raw = raw_of(EXAMPLES[type_name])
    name = data.draw(st.sampled_from(sorted(raw)))
    raw[name] = data.draw(msgpack_values(max_leaves=6))
    try:
        decoded = decode(pack(raw))
    except WireError:
        return
    assert raw["type"] == type(decoded).TYPE


@settings(max_examples=200)
@given(st.sampled_from(list(EXAMPLES)), st.data())
def test_a_truncated_valid_payload_raises_only_wire_errors(type_name: str, data: st.DataObject) -> None:
    payload = encode(EXAMPLES[type_name])
    cut = data.draw(st.integers(0, len(payload) - 1))
    with pytest.raises(DecodeError):
        decode(payload[:cut])


@settings(max_examples=200)
@given(st.sampled_from(list(EXAMPLES)), st.data())
def test_a_flipped_byte_in_a_valid_payload_raises_only_wire_errors(
    type_name: str, data: st.DataObject
) -> None:
    payload = bytearray(encode(EXAMPLES[type_name]))
    at = data.draw(st.integers(0, len(payload) - 1))
    payload[at] ^= data.draw(st.integers(1, 255))
    try:
        decoded = decode(bytes(payload))
    except WireError:
        return
    assert isinstance(decoded, Message)


# --- encoding refuses what the contract forbids --------------------------------------------------


def test_a_naive_timestamp_cannot_be_encoded() -> None:
    msg = replace(EXAMPLES["door"], ts=datetime(2026, 11, 22, 8, 0))
    with pytest.raises(EncodeError, match="naive") as caught:
        encode(msg)
    assert caught.value.field == "ts"


def test_a_non_finite_score_cannot_be_encoded() -> None:
    msg = replace(example_of(BiometricRetryRequest), score=float("nan"))
    with pytest.raises(EncodeError) as caught:
        encode(msg)
    assert caught.value.field == "score"


def test_an_integer_beyond_64_bits_cannot_be_encoded() -> None:
    msg = replace(example_of(DeviceStatus), outbox_depth=2**70)
    with pytest.raises(EncodeError, match="64 bits"):
        encode(msg)


def test_a_value_of_the_wrong_type_cannot_be_encoded_and_is_named() -> None:
    msg = replace(example_of(StoredEventsAck), event_ids=("x",))
    with pytest.raises(EncodeError) as caught:
        encode(msg)
    assert caught.value.field == "event_ids[0]"


def test_an_unregistered_message_class_cannot_be_encoded() -> None:
    with pytest.raises(EncodeError, match="not a registered"):
        encode(Message(ts=TS, device_id="gate-01"))


# --- canonical bytes for signatures --------------------------------------------------------------


def test_canonical_bytes_leave_out_the_signature() -> None:
    command = EXAMPLES["command"]
    assert isinstance(command, SupervisorCommand)
    assert canonical_bytes(command) == canonical_bytes(replace(command, signature=b"other"))


def test_canonical_bytes_change_with_any_signed_field() -> None:
    command = EXAMPLES["command"]
    assert isinstance(command, SupervisorCommand)
    assert canonical_bytes(command) != canonical_bytes(replace(command, target="gate-02"))
    assert canonical_bytes(command) != canonical_bytes(replace(command, nonce=b"\x01" * 16))


def test_canonical_bytes_do_not_depend_on_dict_insertion_order() -> None:
    command = EXAMPLES["command"]
    assert isinstance(command, SupervisorCommand)
    one = replace(command, args={"a": 1, "b": "x"})
    other = replace(command, args={"b": "x", "a": 1})
    assert canonical_bytes(one) == canonical_bytes(other)


def test_canonical_bytes_are_sorted_msgpack_without_the_signature() -> None:
    raw = msgpack.unpackb(canonical_bytes(EXAMPLES["watchlist_announce"]), timestamp=3)
    assert "signature" not in raw
    assert list(raw) == sorted(raw)
    assert list(raw["snapshot"]) == sorted(raw["snapshot"])


# --- decoding with expectations -------------------------------------------------------------------


def test_decode_as_returns_the_expected_class() -> None:
    ack = decode_as(CommandAck, encode(EXAMPLES["command_ack"]))
    assert ack.accepted is True


def test_decode_as_refuses_another_type() -> None:
    with pytest.raises(DecodeError, match="expected a command") as caught:
        decode_as(SupervisorCommand, encode(EXAMPLES["command_ack"]))
    assert caught.value.field == "type"


@pytest.mark.parametrize(
    ("type_name", "topic"),
    [
        ("status", "imigrasi/v1/cgk/gate/gate-01/status"),
        ("crossing", "imigrasi/v1/cgk/gate/gate-01/event"),
        ("alarm", "imigrasi/v1/cgk/gate/gate-02/event"),
        ("command", "imigrasi/v1/cgk/gate/gate-01/cmd"),
        ("command_ack", "imigrasi/v1/cgk/gate/gate-01/cmd/ack"),
        ("events_ack", "imigrasi/v1/cgk/gate/gate-01/ack"),
        ("watchlist_announce", "imigrasi/v1/cgk/watchlist/announce"),
        ("application", "imigrasi/v1/cgk/kiosk/kiosk-01/event"),
    ],
)
def test_a_message_on_its_own_topic_is_accepted(type_name: str, topic: str) -> None:
    assert decode_from_topic(topic, encode(EXAMPLES[type_name])) == EXAMPLES[type_name]


def test_a_device_cannot_publish_events_for_another_device() -> None:
    with pytest.raises(DecodeError, match="does not match") as caught:
        decode_from_topic("imigrasi/v1/cgk/gate/gate-09/event", encode(EXAMPLES["crossing"]))
    assert caught.value.field == "device_id"


def test_a_command_must_be_addressed_to_the_topics_device() -> None:
    with pytest.raises(DecodeError) as caught:
        decode_from_topic("imigrasi/v1/cgk/gate/gate-02/cmd", encode(EXAMPLES["command"]))
    assert caught.value.field == "target"


def test_a_message_on_the_wrong_channel_is_refused() -> None:
    with pytest.raises(DecodeError, match="does not belong") as caught:
        decode_from_topic("imigrasi/v1/cgk/gate/gate-01/event", encode(EXAMPLES["status"]))
    assert caught.value.field == "type"


def test_a_message_for_another_site_is_refused() -> None:
    with pytest.raises(DecodeError) as caught:
        decode_from_topic("imigrasi/v1/dps/gate/gate-01/event", encode(EXAMPLES["crossing"]))
    assert caught.value.field == "site"


def test_stored_events_ack_lists_what_central_committed() -> None:
    sent = example_of(StoredEventsAck)
    ack = decode_as(StoredEventsAck, encode(sent))
    assert ack.event_ids == sent.event_ids
    assert ack.quarantined == ()


def test_an_alarm_is_cleared_by_a_message_with_the_same_alarm_id() -> None:
    raised = EXAMPLES["alarm"]
    assert isinstance(raised, Alarm)
    cleared = decode(encode(replace(raised, event_id=new_event_id(TS), cleared=True)))
    assert isinstance(cleared, Alarm)
    assert (cleared.alarm_id, cleared.cleared) == (raised.alarm_id, True)
