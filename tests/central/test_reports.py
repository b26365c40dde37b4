"""Reports count what the gates did and hold each step to its SOP-003-A08 time standard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from central import reports
from central.store import AlertRecord, CrossingRecord, EventRecord, Store

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def crossing(
    n: int,
    *,
    minutes: int,
    outcome: str = "crossed",
    reason: str = "",
    steps: dict[str, float] | None = None,
    device: str = "gate-01",
    direction: str = "departure",
) -> EventRecord:
    return EventRecord(
        f"00000000-0000-7000-8000-{n:012d}",
        device,
        "crossing",
        T0 + timedelta(minutes=minutes),
        {},
        crossing=CrossingRecord(outcome, direction, reason, step_seconds=steps or {}),
    )


def test_crossings_are_counted_per_hour_gate_and_direction(store: Store) -> None:
    store.store_events(
        [
            crossing(1, minutes=5),
            crossing(2, minutes=50),
            crossing(3, minutes=70),
            crossing(4, minutes=10, device="gate-02"),
        ],
        received_at=T0,
    )
    rows = reports.crossings_per_hour(store, None, None)
    assert [(r["hour"][11:16], r["device_id"], r["crossings"]) for r in rows] == [
        ("08:00", "gate-01", 2),
        ("08:00", "gate-02", 1),
        ("09:00", "gate-01", 1),
    ]


def test_redirected_passengers_are_counted_by_reason_and_not_as_crossings(store: Store) -> None:
    store.store_events(
        [
            crossing(1, minutes=1),
            crossing(2, minutes=2, outcome="redirected", reason="face_mismatch"),
            crossing(3, minutes=3, outcome="redirected", reason="face_mismatch"),
            crossing(4, minutes=4, outcome="held", reason="cekal"),
        ],
        received_at=T0,
    )
    assert reports.outcomes(store, None, None) == [
        {"outcome": "crossed", "reason": "", "count": 1},
        {"outcome": "held", "reason": "cekal", "count": 1},
        {"outcome": "redirected", "reason": "face_mismatch", "count": 2},
    ]
    assert sum(r["crossings"] for r in reports.crossings_per_hour(store, None, None)) == 1


def test_alarms_are_counted_by_kind(store: Store) -> None:
    store.store_events(
        [
            EventRecord(
                f"00000000-0000-7000-8000-0000000000a{i}", "gate-01", "alarm", T0, {}, alert=AlertRecord(kind)
            )
            for i, kind in enumerate(["cekal", "door_fault", "cekal"])
        ],
        received_at=T0,
    )
    counts = {r["kind"]: r["count"] for r in reports.alarms_by_kind(store, None, None)}
    assert counts == {"cekal": 2, "door_fault": 1}


def test_step_times_are_held_to_the_sop_standard(store: Store) -> None:
    store.store_events(
        [crossing(i, minutes=i, steps={"scan": seconds}) for i, seconds in enumerate([2.0, 4.0, 6.0, 3.0])],
        received_at=T0,
    )
    (row,) = reports.step_times(store, None, None)
    assert (row["standard_s"], row["mean_s"], row["p95_s"], row["within_standard"]) == (5.0, 3.75, 6.0, 0.75)


def test_a_step_without_a_standard_reports_none(store: Store) -> None:
    store.store_events([crossing(1, minutes=1, steps={"face": 3.2})], received_at=T0)
    (row,) = reports.step_times(store, None, None)
    assert (row["standard_s"], row["within_standard"]) == (None, None)


@settings(max_examples=50)
@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=50))
def test_the_p95_is_one_of_the_values_and_not_below_the_median(values: list[float]) -> None:
    p95 = reports.percentile(values, 95)
    assert p95 in values
    assert p95 >= reports.percentile(values, 50)


def test_csv_quotes_nested_values_as_json() -> None:
    text = reports.to_csv([{"a": {"x": 1}, "b": "plain, with comma"}])
    assert text.splitlines() == ["a,b", '"{""x"": 1}","plain, with comma"']
