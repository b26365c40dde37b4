"""Issue 12: central's retention blanks or deletes personal data past its period, audited, on SQLite and
PostgreSQL (``db_url``); ``--dry-run`` counts and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from central import audit_chain, cli_retention, retention
from central.errors import Invalid
from central.store import AlertRecord, CrossingRecord, EventRecord, Store
from central.store import schema as t
from core.clock import ManualClock

FACE = b"\xff\xd8face-of-the-passenger\xff\xd9"


def event(n: int, clock: ManualClock, *, alarm: bool) -> EventRecord:
    return EventRecord(
        f"00000000-0000-7000-8000-{n:012d}",
        "gate-01",
        "alarm" if alarm else "crossing",
        clock.now(),
        {},
        alert=AlertRecord("cekal", "high", face_jpeg=FACE) if alarm else None,
        crossing=None
        if alarm
        else CrossingRecord(
            "crossed",
            "departure",
            document_number=f"X{n:07d}",
            issuing_state="IDN",
            nationality="IDN",
            holder_name="SITI AMINAH",
        ),
    )


@pytest.fixture
def aged(db_url: str) -> Iterator[tuple[Store, ManualClock]]:
    """Two of everything: one 400 days old, one fresh."""
    store = Store(db_url)
    clock = ManualClock()
    store.put_enrolment("IDN", "X0000001", {"face_template": "old"}, now=clock.now())
    store.store_events([event(1, clock, alarm=True), event(2, clock, alarm=False)], received_at=clock.now())
    clock.advance(400 * 86_400)
    store.put_enrolment("IDN", "X0000002", {"face_template": "new"}, now=clock.now())
    store.store_events([event(3, clock, alarm=True), event(4, clock, alarm=False)], received_at=clock.now())
    yield store, clock
    store.close()


def snapshot(store: Store) -> tuple[list[object], list[object], list[object]]:
    with store.engine.connect() as conn:
        faces = [r[0] for r in conn.execute(sa.select(t.alerts.c.face_jpeg).order_by(t.alerts.c.event_id))]
        names = [
            tuple(r)
            for r in conn.execute(
                sa.select(t.crossings.c.document_number, t.crossings.c.holder_name).order_by(
                    t.crossings.c.event_id
                )
            )
        ]
        enrolled = [
            r[0] for r in conn.execute(sa.select(t.enrolments.c.document_number).order_by("document_number"))
        ]
    return faces, names, enrolled


def test_a_run_clears_only_what_is_past_its_period_and_is_audited(aged: tuple[Store, ManualClock]) -> None:
    store, clock = aged
    outcome = retention.run(
        store, retention.Policy(face_days=30, crossing_days=365, enrolment_days=365), now=clock.now()
    )
    assert (outcome.alert_faces, outcome.crossings, outcome.enrolments) == (1, 1, 1)
    faces, names, enrolled = snapshot(store)
    assert faces == [None, FACE]
    assert names == [("", ""), ("X0000004", "SITI AMINAH")]
    assert enrolled == ["X0000002"]
    row = store.audit_trail(limit=1)[0]
    assert row["action"] == "retention.run"
    assert (row["details"]["alert_faces"], row["details"]["crossings"], row["details"]["enrolments"]) == (
        1,
        1,
        1,
    )
    assert audit_chain.verify(store.engine).ok
    # a second run finds nothing more
    again = retention.run(store, retention.Policy(30, 365, 365), now=clock.now())
    assert (again.alert_faces, again.crossings, again.enrolments) == (0, 0, 0)


def test_a_dry_run_counts_and_changes_nothing(aged: tuple[Store, ManualClock]) -> None:
    store, clock = aged
    before = snapshot(store)
    audit_rows = len(store.audit_trail())
    outcome = retention.run(store, retention.Policy(30, 365, 365), now=clock.now(), dry_run=True)
    assert (outcome.alert_faces, outcome.crossings, outcome.enrolments) == (1, 1, 1)
    assert "would clear" in outcome.summary()
    assert snapshot(store) == before
    assert len(store.audit_trail()) == audit_rows


def test_the_periodic_run_repeats_on_the_clock(aged: tuple[Store, ManualClock]) -> None:
    store, clock = aged
    periodic = retention.Periodic(store, clock, retention.Policy(30, 365, 365), every_s=86_400).start()
    assert snapshot(store)[0] == [None, FACE]
    clock.advance(31 * 86_400)  # the fresh alert is now past 30 days too
    assert snapshot(store)[0] == [None, None]
    periodic.stop()
    runs = [r for r in store.audit_trail(limit=2000) if r["action"] == "retention.run"]
    assert len(runs) == 1 + 31


def test_the_cli_runs_dry_and_for_real(
    aged: tuple[Store, ManualClock], capsys: pytest.CaptureFixture[str]
) -> None:
    store, clock = aged
    url = store.engine.url.render_as_string(hide_password=False)
    later = (clock.now() + timedelta(days=2)).isoformat()
    assert cli_retention.main(["run", "--db", url, "--now", later, "--dry-run", "--face-days", "1"]) == 0
    assert "would clear: 2 alert face snapshot(s)" in capsys.readouterr().out
    assert snapshot(store)[0] == [FACE, FACE]
    assert cli_retention.main(["run", "--db", url, "--now", later, "--face-days", "1"]) == 0
    assert "cleared: 2 alert face snapshot(s)" in capsys.readouterr().out
    assert snapshot(store)[0] == [None, None]
    assert cli_retention.main(["run", "--db", url, "--face-days", "0"]) == 1


def test_a_period_must_be_positive() -> None:
    with pytest.raises(Invalid, match="face_days"):
        retention.Policy(face_days=0)
    assert timedelta(days=retention.Policy().face_days) > timedelta(0)
