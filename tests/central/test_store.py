"""The store keeps every device fact exactly once, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from central.errors import Conflict, NotFound
from central.store import AlertRecord, CrossingRecord, DeviceStatus, EventRecord, Store, schema

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    yield s
    s.close()


def crossing_event(n: int, device: str = "gate-01") -> EventRecord:
    return EventRecord(
        event_id=f"00000000-0000-7000-8000-{n:012d}",
        device_id=device,
        type="crossing",
        occurred_at=T0 + timedelta(seconds=n),
        body={"n": n},
        crossing=CrossingRecord(outcome="crossed", direction="departure", document_number=f"X{n:07d}"),
    )


def test_migrations_create_exactly_the_declared_schema(store: Store) -> None:
    # Only the tables declared in central/store/schema.py: other parts of central (the workflows) add
    # theirs on a migration branch of their own and check them in their own tests.
    mine = sa.MetaData()
    for table in vars(schema).values():
        if isinstance(table, sa.Table):
            table.to_metadata(mine)
    with store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_name": lambda name, kind, _p: kind != "table" or name in mine.tables}
        )
        diff = compare_metadata(context, mine)
    assert diff == []


def test_sqlite_runs_in_wal_mode(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    store.close()


def test_migrating_twice_changes_nothing(db_url: str) -> None:
    Store(db_url).close()
    again = Store(db_url)
    assert again.count("events") == 0
    again.close()


def test_storing_a_batch_reports_every_new_event(store: Store) -> None:
    new = store.store_events([crossing_event(i) for i in range(5)], received_at=T0)
    assert sorted(new) == sorted(crossing_event(i).event_id for i in range(5))
    assert store.count("events") == 5
    assert store.count("crossings") == 5


def test_storing_the_same_event_again_changes_nothing(store: Store) -> None:
    store.store_events([crossing_event(1)], received_at=T0)
    new = store.store_events([crossing_event(1), crossing_event(2)], received_at=T0)
    assert new == [crossing_event(2).event_id]
    assert store.count("events") == 2


def test_a_duplicate_inside_one_batch_is_stored_once(store: Store) -> None:
    new = store.store_events([crossing_event(3), crossing_event(3)], received_at=T0)
    assert new == [crossing_event(3).event_id]
    assert store.count("crossings") == 1


def test_an_alarm_event_opens_one_alert(store: Store) -> None:
    event = EventRecord(
        event_id="00000000-0000-7000-8000-00000000aaaa",
        device_id="gate-01",
        type="alarm",
        occurred_at=T0,
        body={},
        alert=AlertRecord(kind="cekal", priority="high", details={"entry_id": "P-1"}, face_jpeg=b"\xff\xd8"),
    )
    store.store_events([event, event], received_at=T0)
    store.store_events([event], received_at=T0)
    (alert,) = store.alerts(status="open")
    assert (alert["kind"], alert["details"], alert["face_jpeg"]) == (
        "cekal",
        {"entry_id": "P-1"},
        b"\xff\xd8",
    )


def test_timestamps_come_back_as_aware_utc(store: Store) -> None:
    store.store_events([crossing_event(7)], received_at=T0)
    (row,) = store.events()
    assert row["occurred_at"] == T0 + timedelta(seconds=7)
    assert row["occurred_at"].tzinfo is not None


def test_a_device_remembers_its_latest_event_even_when_older_ones_arrive_late(store: Store) -> None:
    store.add_device("gate-01", kind="gate", now=T0)
    store.store_events([crossing_event(9)], received_at=T0)
    store.store_events([crossing_event(4)], received_at=T0)
    assert store.device("gate-01")["last_event_id"] == crossing_event(9).event_id


def test_a_status_report_updates_only_the_fields_it_carries(store: Store) -> None:
    store.add_device("gate-02", kind="gate", site="CGK", lane="1", direction="departure", now=T0)
    store.update_device_status(DeviceStatus("gate-02", at=T0, online=True, doors={"entry": "closed"}))
    store.update_device_status(DeviceStatus("gate-02", at=T0, lane_state="awaiting_document"))
    device = store.device("gate-02")
    assert (device["online"], device["doors"], device["lane_state"]) == (
        True,
        {"entry": "closed"},
        "awaiting_document",
    )


def test_adding_a_device_twice_is_refused(store: Store) -> None:
    store.add_device("gate-03", kind="gate", now=T0)
    with pytest.raises(Conflict):
        store.add_device("gate-03", kind="gate", now=T0)


def test_an_unknown_device_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.device("gate-99")


def test_crossings_can_be_searched_by_document_and_window(store: Store) -> None:
    store.store_events([crossing_event(i) for i in range(10)], received_at=T0)
    found = store.crossings(document_number="x0000004")
    window = store.crossings(since=T0 + timedelta(seconds=2), until=T0 + timedelta(seconds=5))
    assert [c["document_number"] for c in found] == ["X0000004"]
    assert sorted(c["document_number"] for c in window) == ["X0000002", "X0000003", "X0000004"]


def test_a_command_answer_is_recorded_once(store: Store) -> None:
    command = store.add_command("gate-01", "release", params={}, issued_by="sup", now=T0)
    first = store.answer_command(command["command_id"], "acknowledged", answer="ok", now=T0)
    again = store.answer_command(command["command_id"], "refused", answer="late", now=T0)
    assert first is not None and first["state"] == "acknowledged"
    assert again is None
    assert store.command(command["command_id"])["state"] == "acknowledged"


def test_an_enrolment_is_replaced_by_a_newer_one(store: Store) -> None:
    store.put_enrolment("idn", "b1234567", {"v": 1}, now=T0)
    store.put_enrolment("IDN", "B1234567", {"v": 2}, now=T0)
    assert store.enrolment("IDN", "B1234567") == {"v": 2}


def test_quarantine_keeps_the_payload_and_the_reason(store: Store) -> None:
    store.quarantine("gates/gate-01/events", b"\x00junk", "not msgpack", received_at=T0)
    (row,) = store.quarantined()
    assert (row["payload"], row["reason"]) == (b"\x00junk", "not msgpack")


# -- the driver-level batch insert (central/store/__init__.py, _sqlite_store / _pg_store) ------------


def test_a_batch_larger_than_one_insert_statement_is_stored_whole_and_exactly(store: Store) -> None:
    """Over VALUES_CHUNK rows, with duplicates across the chunk boundary and rows stored before: every
    new id is reported once, and each row reads back as SQLAlchemy itself would have written it."""
    from central.store import VALUES_CHUNK

    store.store_events([crossing_event(i) for i in range(0, 50)], received_at=T0)
    batch = [crossing_event(i) for i in range(VALUES_CHUNK + 500)] + [crossing_event(VALUES_CHUNK - 1)]
    new = store.store_events(batch, received_at=T0 + timedelta(minutes=1))
    assert sorted(new) == sorted(crossing_event(i).event_id for i in range(50, VALUES_CHUNK + 500))
    assert store.count("events") == store.count("crossings") == VALUES_CHUNK + 500
    event = store.event(crossing_event(1234).event_id)
    assert event["body"] == {"n": 1234}
    assert event["occurred_at"] == T0 + timedelta(seconds=1234)
    assert event["received_at"] == T0 + timedelta(minutes=1)
    (crossing,) = store.crossings(document_number="X0001234")
    assert crossing["occurred_at"] == T0 + timedelta(seconds=1234)
    assert (crossing["outcome"], crossing["direction"]) == ("crossed", "departure")


def test_the_fast_path_keeps_nested_json_unicode_and_step_times(store: Store) -> None:
    event = EventRecord(
        event_id="00000000-0000-7000-8000-00000000beef",
        device_id="gate-02",
        type="crossing",
        occurred_at=datetime(2026, 11, 22, 15, 0, 0, 123456, tzinfo=timezone(timedelta(hours=7))),
        body={"document": {"surname": "SANTOSO \u00e9", "quote": 'a"b\\c'}, "list": [1, 2.5, None]},
        crossing=CrossingRecord(
            outcome="redirected",
            reason="cekal",
            holder_name="SANTOSO BUDI",
            step_seconds={"scan": 1.8, "total": 6.1},
        ),
    )
    assert store.store_events([event], received_at=T0) == [event.event_id]
    row = store.event(event.event_id)
    assert row["body"] == event.body
    assert row["occurred_at"] == event.occurred_at
    (crossing,) = store.crossings()
    assert crossing["step_seconds"] == {"scan": 1.8, "total": 6.1}
    assert (crossing["reason"], crossing["holder_name"]) == ("cekal", "SANTOSO BUDI")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(st.integers(0, 60), max_size=40), min_size=1, max_size=5))
def test_every_event_is_reported_new_exactly_once_whatever_the_batches(
    sqlite_url: str, batches: list[list[int]]
) -> None:
    """The ack promise rests on this: an id is "new" in exactly one batch, and then it is stored."""
    store = Store(sqlite_url)
    try:
        with store.engine.begin() as conn:
            conn.execute(schema.crossings.delete())
            conn.execute(schema.events.delete())
        reported: list[str] = []
        for numbers in batches:
            reported += store.store_events([crossing_event(n) for n in numbers], received_at=T0)
        expected = {crossing_event(n).event_id for numbers in batches for n in numbers}
        assert sorted(reported) == sorted(expected)
        assert store.count("events") == store.count("crossings") == len(expected)
    finally:
        store.close()
