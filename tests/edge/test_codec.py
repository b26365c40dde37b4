"""Flow facts become core.wire messages; central's acks are read with the wire's decoder."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import wire
from edge import codec

AT = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def test_topics_follow_the_wire_scheme() -> None:
    assert codec.event_topic("cgk", "gate-01") == "imigrasi/v1/cgk/gate/gate-01/event"
    assert codec.command_ack_topic("cgk", "gate-01") == "imigrasi/v1/cgk/gate/gate-01/cmd/ack"
    assert codec.announce_topic("cgk") == "imigrasi/v1/cgk/watchlist/announce"


def test_centrals_ack_names_stored_and_quarantined_events() -> None:
    ids = (wire.new_event_id(), wire.new_event_id())
    ack = wire.StoredEventsAck(
        device_id="central", ts=AT, target="gate-01", event_ids=ids[:1], quarantined=ids[1:]
    )
    assert codec.decode_ack(wire.encode(ack)) == list(ids)


@settings(max_examples=60)
@given(st.binary(max_size=200))
def test_any_bytes_on_the_ack_topic_decode_or_raise_a_value_error(payload: bytes) -> None:
    try:
        ids = codec.decode_ack(payload)
    except ValueError:
        return
    assert all(wire.is_event_id(i) for i in ids)


def test_an_alarm_and_its_clearing_share_the_alarm_id() -> None:
    alarm_id = wire.new_event_id(AT)
    raised = codec.fact_to_message(
        "alarm", {"alarm": "cekal_identik", "alarm_id": alarm_id, "priority": "critical", "raised": True},
        device_id="gate-01", site="cgk", at=AT,
    )  # fmt: skip
    cleared = codec.fact_to_message(
        "alarm",
        {"alarm": "cekal_identik", "alarm_id": alarm_id, "raised": False},
        device_id="gate-01",
        site="cgk",
        at=AT,
    )
    assert isinstance(raised, wire.Alarm) and isinstance(cleared, wire.Alarm)
    assert raised.event_id == raised.alarm_id == cleared.alarm_id != cleared.event_id
    assert (raised.cleared, cleared.cleared) == (False, True)


@pytest.mark.parametrize(
    ("outcome", "reason", "expected"),
    [
        ("passed", "", wire.CrossingOutcome.CROSSED),
        ("redirected", "face_not_verified", wire.CrossingOutcome.REDIRECTED),
        ("redirected", "supervisor_release_cekal", wire.CrossingOutcome.HELD_CEKAL),
        ("redirected", "supervisor_release_review", wire.CrossingOutcome.HELD_REVIEW),
        ("abandoned", "walked_away", wire.CrossingOutcome.ABANDONED),
    ],
)
def test_crossing_outcomes_map_to_the_wire(outcome: str, reason: str, expected: wire.CrossingOutcome) -> None:
    fields = {"outcome": outcome, "reason": reason, "direction": "arrival", "timings": {"total_s": 7.5}}
    message = codec.fact_to_message("crossing", fields, device_id="gate-01", site="cgk", at=AT)
    assert isinstance(message, wire.CrossingRecord)
    assert (message.outcome, message.timings_ms.total) == (expected, 7500)
    assert wire.decode(wire.encode(message)) == message


def test_a_retry_request_alarm_is_not_a_wire_alarm() -> None:
    # The retry request travels as its own message; its clearing is the supervisor's command.
    fields = {"alarm": "retry_request", "alarm_id": None, "raised": False}
    assert codec.fact_to_message("alarm", fields, device_id="gate-01", site="cgk", at=AT) is None
