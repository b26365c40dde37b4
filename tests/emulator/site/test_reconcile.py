"""Reconciliation: lost = emitted - stored, counted from the gates' ledgers and central's own table."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from central.store.schema import events, metadata
from emulator.reconcile import percentile, stored_event_counts, summarise


def _ledger(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _event(eid: str, passenger: int, outcome: str = "crossed") -> dict[str, object]:
    return {"line": "event", "event_id": eid, "passenger": passenger, "type": "crossing",
            "outcome": outcome, "cycle_s": 10.0, "emit_ms": 1.0}  # fmt: skip


def test_an_event_missing_from_the_store_is_lost(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path / "l.jsonl", [_event("a", 0), _event("b", 1)])
    summary = summarise([ledger], Counter({"a": 1}), passengers=2, gates=1)
    assert summary["lost"] == 1 and summary["lost_ids"] == ["b"]
    assert summary["events_emitted"] == 2 and summary["events_stored"] == 1


def test_nothing_lost_when_every_emitted_event_is_stored(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path / "l.jsonl", [_event("a", 0), _event("b", 1, "timeout")])
    summary = summarise([ledger], Counter({"a": 1, "b": 1, "other": 1}), passengers=2, gates=1)
    assert summary["lost"] == 0
    assert summary["outcomes"]["crossed"] == 1 and summary["outcomes"]["timeouts"] == 1


def test_an_id_stored_twice_counts_as_a_duplicate(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path / "l.jsonl", [_event("a", 0)])
    assert summarise([ledger], Counter({"a": 2}), passengers=1, gates=1)["duplicates_stored"] == 1


def test_a_torn_last_ledger_line_is_ignored(tmp_path: Path) -> None:
    path = _ledger(tmp_path / "l.jsonl", [_event("a", 0)])
    with path.open("a", encoding="utf-8") as f:
        f.write('{"line": "event", "event_')
    assert summarise([path], Counter({"a": 1}), passengers=1, gates=1)["events_emitted"] == 1


def test_stored_ids_are_read_from_centrals_events_table(tmp_path: Path) -> None:
    db = tmp_path / "central.sqlite"
    engine = sa.create_engine(f"sqlite:///{db}")
    metadata.create_all(engine, tables=[events])
    now = datetime(2026, 11, 22, tzinfo=UTC)
    with engine.begin() as conn:
        for eid, device in (("a", "gate-01"), ("b", "gate-02")):
            conn.execute(events.insert().values(event_id=eid, device_id=device, type="crossing",
                                                occurred_at=now, received_at=now, body={}))  # fmt: skip
    engine.dispose()
    assert stored_event_counts(db) == Counter({"a": 1, "b": 1})
    assert stored_event_counts(db, ["gate-01"]) == Counter({"a": 1})


def test_percentile_is_nearest_rank() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 95) == 4.0
    assert percentile([], 50) is None
