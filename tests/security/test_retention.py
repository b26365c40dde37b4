"""Issue 12: central's retention blanks or deletes personal data past its period, audited, on SQLite and
PostgreSQL (``db_url``); ``--dry-run`` counts and changes nothing."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from central import audit_chain, cli_audit, cli_retention, reports, retention
from central.errors import Invalid
from central.store import AlertRecord, CrossingRecord, EventRecord, Store
from central.store import schema as t
from core import wire
from core.clock import ManualClock
from core.wire import examples
from core.wire.cctv import CctvFaceAlarm

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


def snapshot(store: Store) -> tuple[list[Any], list[Any], list[Any]]:
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


# -- raw event bodies (issue 12): binaries after face_days, the rest of the personal data after crossing_days


NAME, NUMBER = "AMINAH", "B7654321"
SCAN = b"\xff\xd8scan-of-the-sponsor-letter" * 8
TEMPLATE = b"face-template-of-the-applicant" * 4


def personal_messages(at: datetime) -> list[wire.Message]:
    """One message of each stored event type, each carrying personal data, as devices send them."""
    ex = examples.example_of
    doc = dataclasses.replace(examples._DOC, surname=NAME, given_names="SITI", document_number=NUMBER)
    found: list[wire.Message] = [
        dataclasses.replace(ex(wire.CrossingRecord), document=doc),
        dataclasses.replace(
            ex(wire.Alarm), message=f"Cekal identik: SITI {NAME}", details={"subject": f"SITI {NAME}"}
        ),
        ex(wire.DoorEvent),
        ex(wire.BiometricRetryRequest),
        dataclasses.replace(ex(wire.EnrolmentRecord), document_number=NUMBER, face_template=TEMPLATE),
        dataclasses.replace(
            ex(wire.KioskApplication),
            applicant={"name": f"SITI {NAME}", "phone": "0812345678"},
            document=doc,
            documents=(wire.DocumentImage(name="sponsor_letter", data=SCAN),),
            face_template=TEMPLATE,
        ),
        dataclasses.replace(ex(CctvFaceAlarm), label=f"SITI {NAME}"),
    ]
    return [dataclasses.replace(m, ts=at, event_id=wire.new_event_id(at)) for m in found]


def as_stored(msg: wire.Message) -> EventRecord:
    """The event as the ingest stores it (the body is the wire's JSON form; alarm snapshots are kept in
    the alert and CCTV rows, not in the body; crossings and alerts get their projection rows)."""
    body = wire.to_jsonable(msg)
    crossing = alert = None
    if isinstance(msg, wire.CrossingRecord):
        crossing = CrossingRecord(
            msg.outcome.value,
            msg.direction.value,
            document_number=NUMBER,
            issuing_state="IDN",
            nationality="IDN",
            holder_name=f"SITI {NAME}",
        )
    if isinstance(msg, wire.Alarm | CctvFaceAlarm):
        body.pop("snapshot_jpeg")
    if isinstance(msg, wire.Alarm):
        alert = AlertRecord(msg.kind.value, "high", details={"subject": f"SITI {NAME}"})
    return EventRecord(
        msg.event_id, msg.device_id, type(msg).TYPE, msg.ts, body, crossing=crossing, alert=alert
    )


def bodies(store: Store) -> dict[str, tuple[str, dict[str, Any]]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.events.c.event_id, t.events.c.type, t.events.c.body))
        return {r.event_id: (r.type, r.body) for r in rows}


@pytest.fixture
def events_of_three_ages(db_url: str) -> Iterator[tuple[Store, ManualClock, dict[str, list[str]]]]:
    """Every event type 400 days old, 40 days old and fresh, with some audit rows in between."""
    store = Store(db_url)
    clock = ManualClock()
    ids: dict[str, list[str]] = {}
    for age, days in (("old", 360), ("middle", 39), ("fresh", 1)):
        batch = [as_stored(m) for m in personal_messages(clock.now())]
        store.store_events(batch, received_at=clock.now())
        store.audit("officer", "login", now=clock.now(), target="dashboard")
        ids[age] = [e.event_id for e in batch]
        clock.advance(days * 86_400)
    yield store, clock, ids
    store.close()


def test_old_event_bodies_lose_their_personal_data_and_the_audit_chain_still_verifies(
    events_of_three_ages: tuple[Store, ManualClock, dict[str, list[str]]],
) -> None:
    store, clock, ids = events_of_three_ages
    policy = retention.Policy(face_days=30, crossing_days=365, enrolment_days=5 * 365)
    before = bodies(store)
    report_before = (reports.outcomes(store, None, None), reports.alarms_by_kind(store, None, None))
    dry = retention.run(store, policy, now=clock.now(), dry_run=True)
    assert bodies(store) == before
    # the 7 old bodies; of the middle ones, the enrolment's and the application's carry bytes
    assert (dry.event_bodies, dry.event_binaries) == (7, 2)

    outcome = retention.run(store, policy, now=clock.now())
    assert (outcome.event_bodies, outcome.event_binaries) == (dry.event_bodies, dry.event_binaries)
    after = bodies(store)
    for event_id in ids["old"]:
        kind, body = after[event_id]
        text = json.dumps(body)
        assert NAME not in text and NUMBER not in text and "$base64" not in text, (kind, text)
        assert "0812345678" not in text and "Cekal identik" not in text
        kept = set(retention.EVENT_COMMON) | set(retention.EVENT_KEEP[kind])
        assert next(iter(body)) == retention.REDACTED and set(body) - {retention.REDACTED} <= kept
        # the non-personal facts of the type stay as they were
        assert {k: v for k, v in body.items() if k != retention.REDACTED} == {
            k: v for k, v in before[event_id][1].items() if k in kept
        }
    assert after[ids["old"][0]][1]["outcome"] == "crossed" and "timings_ms" in after[ids["old"][0]][1]
    for event_id in ids["middle"]:  # past face_days, within crossing_days: only the bytes went
        kind, body = after[event_id]
        assert body == retention.redact_binaries(before[event_id][1])
        assert ("$base64" in json.dumps(before[event_id][1])) == (body != before[event_id][1])
    middle_application = next(b for k, b in (after[i] for i in ids["middle"]) if k == "application")
    assert middle_application["documents"][0]["data"] == retention.BINARY
    assert middle_application["applicant"]["name"] == f"SITI {NAME}"
    assert all(after[i] == before[i] for i in ids["fresh"])

    # Reports read the projections: they add up as before. The audit chain verifies with the run in it.
    assert (reports.outcomes(store, None, None), reports.alarms_by_kind(store, None, None)) == report_before
    row = store.audit_trail(limit=1)[0]
    assert row["action"] == "retention.run"
    assert (row["details"]["event_bodies"], row["details"]["event_binaries"]) == (7, 2)
    url = store.engine.url.render_as_string(hide_password=False)
    assert cli_audit.main(["verify", "--db", url]) == 0
    # The API still serves a redacted event (by the id an audit row or a projection names).
    assert store.event(ids["old"][1])["body"]["kind"] == "cekal_identik"
    # Done rows are not read again: a second run finds nothing.
    again = retention.run(store, policy, now=clock.now())
    assert (again.event_bodies, again.event_binaries) == (0, 0)
    assert bodies(store) == after
