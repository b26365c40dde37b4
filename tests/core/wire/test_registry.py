"""Registering message types: later issues add their own with one decorator, checked when defined."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import msgpack
import pytest
from hypothesis import given, settings

from core.wire import (
    MESSAGE_TYPES,
    Channel,
    Message,
    SchemaVersionError,
    decode,
    encode,
    message,
    message_class,
)
from core.wire.schema import _REGISTRY
from tests.core.wire.strategies import instances_of

TS = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.fixture
def scratch_registry() -> Iterator[None]:
    """Types registered by a test disappear after it, so they cannot leak into docs or other tests."""
    saved = dict(_REGISTRY)
    yield
    _REGISTRY.clear()
    _REGISTRY.update(saved)


@pytest.mark.usefixtures("scratch_registry")
def test_a_new_type_registers_with_one_decorator_and_round_trips() -> None:
    @message("incident_report_test", channel=Channel.EVENT)
    class IncidentReport(Message):
        officer: str
        pages: tuple[str, ...] = ()

    report = IncidentReport(ts=TS, device_id="counter-03", officer="nip-1977", pages=("p1",))
    assert message_class("incident_report_test") is IncidentReport
    assert decode(encode(report)) == report


@pytest.mark.usefixtures("scratch_registry")
def test_a_new_type_gets_strategies_from_its_type_hints() -> None:
    @message("cctv_face_alarm_test", channel=Channel.EVENT)
    class CctvFaceAlarm(Message):
        camera: str
        score: float
        track: int | None = None

    @settings(max_examples=25)
    @given(instances_of(CctvFaceAlarm))
    def round_trip(msg: Message) -> None:
        assert decode(encode(msg)) == msg

    round_trip()


@pytest.mark.usefixtures("scratch_registry")
def test_a_new_type_is_a_frozen_keyword_only_dataclass() -> None:
    @message("frozen_test", channel=Channel.EVENT)
    class Frozen(Message):
        value: int

    item = Frozen(ts=TS, device_id="gate-01", value=1)
    with pytest.raises(AttributeError):
        item.value = 2  # type: ignore[misc]


@pytest.mark.usefixtures("scratch_registry")
def test_an_unsupported_field_type_fails_when_the_class_is_defined() -> None:
    with pytest.raises(TypeError, match=r"set\[str\]"):

        @message("bad_field_test", channel=Channel.EVENT)
        class Bad(Message):
            tags: set[str]


@pytest.mark.usefixtures("scratch_registry")
def test_a_type_name_is_registered_once() -> None:
    with pytest.raises(TypeError, match="already registered"):

        @message("crossing", channel=Channel.EVENT)
        class Again(Message):
            pass


@pytest.mark.usefixtures("scratch_registry")
def test_the_envelope_names_cannot_be_fields() -> None:
    with pytest.raises(TypeError, match="reserved"):

        @message("reserved_test", channel=Channel.EVENT)
        class Reserved(Message):
            schema: int


def test_only_message_subclasses_can_register() -> None:
    with pytest.raises(TypeError, match="subclass"):
        message("plain_test", channel=Channel.EVENT)(type("Plain", (), {}))


@pytest.mark.usefixtures("scratch_registry")
def test_a_type_reading_several_schema_versions_accepts_each_and_refuses_newer() -> None:
    @message("versioned_test", channel=Channel.EVENT, schema=3, min_schema=2)
    class Versioned(Message):
        note: str = ""

    payload = encode(Versioned(ts=TS, device_id="gate-01"))
    raw = msgpack.unpackb(payload, timestamp=3)
    assert decode(msgpack.packb(raw | {"schema": 2}, datetime=True)) == decode(payload)
    with pytest.raises(SchemaVersionError):
        decode(msgpack.packb(raw | {"schema": 4}, datetime=True))


def test_the_registry_holds_every_type_of_the_issue() -> None:
    assert set(MESSAGE_TYPES) >= {
        "status",
        "crossing",
        "alarm",
        "door",
        "retry_request",
        "command",
        "command_ack",
        "events_ack",
        "watchlist_announce",
        "enrolment",
        "application",
    }
