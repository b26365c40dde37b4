"""Event ids: UUIDv7, time-ordered, with their time readable back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.wire import EventIdGenerator, WireError, event_id_time, is_event_id, new_event_id
from core.wire.ids import event_id_from_parts

MOMENT = datetime(2026, 11, 22, 8, 15, 30, 123456, tzinfo=UTC)


def test_a_new_event_id_is_a_canonical_uuid_version_7() -> None:
    event_id = new_event_id()
    parsed = uuid.UUID(event_id)
    assert (parsed.version, parsed.variant, str(parsed)) == (7, uuid.RFC_4122, event_id)


def test_ids_from_one_generator_increase_strictly_within_one_millisecond() -> None:
    generator = EventIdGenerator()
    ids = [generator.new(MOMENT) for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_ids_keep_their_millisecond_until_the_counter_is_exhausted() -> None:
    generator = EventIdGenerator()
    ids = [generator.new(MOMENT) for _ in range(5000)]
    times = {event_id_time(i) for i in ids}
    # 5,000 ids in one millisecond exhaust the 12-bit counter at most twice: borrowed ms stay close.
    assert min(times) == MOMENT.replace(microsecond=123000)
    assert max(times) - min(times) <= timedelta(milliseconds=2)


def test_ids_sort_by_the_time_they_were_made_for() -> None:
    generator = EventIdGenerator()
    earlier, later = generator.new(MOMENT), generator.new(MOMENT + timedelta(milliseconds=1))
    assert earlier < later


@settings(max_examples=60)
@given(st.datetimes(datetime(1970, 1, 1), datetime(9999, 1, 1), timezones=st.just(UTC)))
def test_the_time_read_back_from_an_id_is_its_creation_time_to_the_millisecond(at: datetime) -> None:
    truncated = at.replace(microsecond=at.microsecond // 1000 * 1000)
    assert event_id_time(EventIdGenerator().new(at)) == truncated


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(WireError, match="timezone-aware"):
        new_event_id(datetime(2026, 1, 1))


def test_a_time_before_1970_is_refused() -> None:
    with pytest.raises(WireError, match="after 1970"):
        event_id_from_parts(-1, 0, 0)


@pytest.mark.parametrize(
    "value",
    [
        "not-an-id",
        str(uuid.uuid4()),  # version 4
        new_event_id().upper(),  # not canonical
        new_event_id().replace("-", ""),
        42,
        None,
    ],
)
def test_anything_but_a_canonical_uuid7_string_is_not_an_event_id(value: object) -> None:
    assert not is_event_id(value)


def test_reading_the_time_of_a_non_id_is_a_wire_error() -> None:
    with pytest.raises(WireError, match="not a UUIDv7"):
        event_id_time("0000")
