"""The list in central: versions, audit trail, all-or-nothing import, signed distribution, stale flag,
and the cekal check of permit applications."""

from __future__ import annotations

import io
import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central.errors import Conflict, Invalid
from central.service import Central
from central.store import DeviceStatus
from central.watchlist import ImportRejected, IndexCekalChecker, WatchlistService, load_or_create_key
from core.clock import ManualClock
from core.watchlist import (
    Snapshot,
    SnapshotSignatureError,
    VersionChainError,
    apply_delta,
    load_entries_csv,
    sign_snapshot,
    verify_delta,
    verify_snapshot,
)
from core.wire import canonical_bytes
from tests.central.watchlist.conftest import GOOD_ROWS, HEADER

BUDI = {
    "entry_id": "c-001",
    "list": "pencegahan",
    "full_name": "BUDI SANTOSO",
    "birth_date": "1980-05-17",
    "nationality": "IDN",
    "sex": "M",
    "agency": "KPK",
    "instructions": "tahan dan serahkan ke KPK",
}


def audit_rows(service: WatchlistService) -> list[dict[str, object]]:
    return [r for r in service.store.audit_trail() if str(r["action"]).startswith("watchlist.")]


def test_every_change_makes_the_next_version(service: WatchlistService) -> None:
    assert service.current_version() == 0
    _, v1 = service.add(BUDI, by="supervisor")
    _, v2 = service.change("c-001", {"aliases": ["BUDI S"]}, by="supervisor")
    _, v3 = service.end("c-001", by="head-of-office")
    assert (v1, v2, v3) == (1, 2, 3)
    assert service.current_version() == 3


def test_a_change_is_audited_with_who_when_before_and_after(
    service: WatchlistService, clock: ManualClock
) -> None:
    service.add(BUDI, by="supervisor")
    clock.advance(60)
    service.change("c-001", {"nationality": "MYS"}, by="head-of-office")
    last = audit_rows(service)[0]
    assert last["actor"] == "head-of-office"
    assert last["action"] == "watchlist.change"
    assert last["target"] == "c-001"
    assert last["at"] == clock.now()
    details = last["details"]
    assert isinstance(details, dict)
    assert details["before"]["nationality"] == "IDN"
    assert details["after"]["nationality"] == "MYS"
    assert details["version"] == 2


def test_an_existing_id_cannot_be_added_again(service: WatchlistService) -> None:
    service.add(BUDI, by="supervisor")
    with pytest.raises(Conflict):
        service.add(BUDI, by="supervisor")
    assert service.current_version() == 1


def test_an_invalid_entry_is_refused_and_changes_nothing(service: WatchlistService) -> None:
    with pytest.raises(Invalid, match="birth"):
        service.add({**BUDI, "birth_date": "1980-13-40"}, by="supervisor")
    assert service.current_version() == 0
    assert audit_rows(service) == []


def test_an_ended_entry_no_longer_hits(service: WatchlistService) -> None:
    service.add(BUDI, by="supervisor")
    checker = IndexCekalChecker(service)
    applicant = {"name": "Budi Santoso", "birth_date": "1980-05-17", "nationality": "IDN"}
    assert [h.entry_id for h in checker.check(applicant, service.today())] == ["c-001"]
    service.end("c-001", by="supervisor")
    assert checker.check(applicant, service.today()) == []


def test_import_with_a_bad_row_applies_nothing_and_reports_every_bad_value(service: WatchlistService) -> None:
    bad = HEADER + GOOD_ROWS + "c-004,pencegahan,,,1980-02-31,INDONESIA,Q,,,,,,\n"
    with pytest.raises(ImportRejected) as caught:
        service.import_csv(io.StringIO(bad), by="supervisor")
    columns = {e.column for e in caught.value.errors}
    assert {"full_name", "birth_date", "nationality", "sex"} <= columns
    assert {e.line for e in caught.value.errors} == {5}
    assert service.current_version() == 0
    assert service.entries() == []


def test_a_good_import_is_one_version_and_a_repeat_changes_nothing(service: WatchlistService) -> None:
    first = service.import_csv(io.StringIO(HEADER + GOOD_ROWS), by="supervisor")
    again = service.import_csv(io.StringIO(HEADER + GOOD_ROWS), by="supervisor")
    assert (first.version, first.added) == (1, 3)
    assert (again.version, again.unchanged) == (None, 3)
    assert len([r for r in audit_rows(service) if r["action"] == "watchlist.import.add"]) == 3


def test_import_with_replace_removes_entries_missing_from_the_file(service: WatchlistService) -> None:
    service.import_csv(io.StringIO(HEADER + GOOD_ROWS), by="supervisor")
    result = service.import_csv(
        io.StringIO(HEADER + GOOD_ROWS.splitlines(True)[0]), by="supervisor", replace=True
    )
    assert (result.removed, result.unchanged) == (2, 1)
    assert [e.entry_id for e in service.entries()] == ["c-001"]


def test_export_reads_back_as_the_same_entries(service: WatchlistService) -> None:
    service.import_csv(io.StringIO(HEADER + GOOD_ROWS), by="supervisor")
    out = io.StringIO()
    service.export_csv(out)
    assert load_entries_csv(out.getvalue()) == service.entries()


def test_a_gate_verifies_the_snapshot_and_follows_the_delta_chain(
    service: WatchlistService, key: Ed25519PrivateKey
) -> None:
    public = key.public_key()
    service.import_csv(io.StringIO(HEADER + GOOD_ROWS), by="supervisor")
    gate = verify_snapshot(service.snapshot_bytes(1), public)
    service.change("c-002", {"aliases": ["J SMITH"]}, by="supervisor")
    service.import_csv(io.StringIO(HEADER + GOOD_ROWS.splitlines(True)[0]), by="supervisor", replace=True)
    service.add({**BUDI, "entry_id": "c-010", "full_name": "AHMAD DAHLAN"}, by="supervisor")
    step = gate
    for base in range(1, 4):
        step = apply_delta(step, verify_delta(service.delta_bytes(base, base + 1), public))
    jump = apply_delta(gate, verify_delta(service.delta_bytes(1), public))
    latest = verify_snapshot(service.snapshot_bytes(4), public)
    assert step.content_hash() == jump.content_hash() == latest.content_hash()
    assert [e.entry_id for e in latest.entries] == ["c-001", "c-010"]


def test_a_delta_for_another_base_breaks_the_chain(service: WatchlistService, key: Ed25519PrivateKey) -> None:
    service.add(BUDI, by="supervisor")
    service.change("c-001", {"sex": "X"}, by="supervisor")
    service.change("c-001", {"sex": "M"}, by="supervisor")
    v1 = verify_snapshot(service.snapshot_bytes(1), key.public_key())
    with pytest.raises(VersionChainError):
        apply_delta(v1, verify_delta(service.delta_bytes(2, 3), key.public_key()))


def test_a_snapshot_signed_by_another_key_is_refused(service: WatchlistService) -> None:
    service.add(BUDI, by="supervisor")
    with pytest.raises(SnapshotSignatureError):
        verify_snapshot(service.snapshot_bytes(1), Ed25519PrivateKey.generate().public_key())


def test_the_announcement_names_verifiable_files_and_is_signed(
    service: WatchlistService, key: Ed25519PrivateKey
) -> None:
    import hashlib

    service.add(BUDI, by="supervisor")
    service.change("c-001", {"sex": "X"}, by="supervisor")
    message = service.announcement("cgk")
    assert message is not None
    key.public_key().verify(message.signature, canonical_bytes(message))
    assert (message.version, message.snapshot_version, message.entries) == (2, 1, 1)
    snapshot = service.snapshot_bytes(1)
    assert message.snapshot.sha256 == hashlib.sha256(snapshot).hexdigest()
    assert message.delta is not None
    assert message.delta.sha256 == hashlib.sha256(service.delta_bytes(1, 2)).hexdigest()
    assert message.delta.path == "/api/v1/watchlist/deltas/1-2"


def test_a_gate_behind_for_longer_than_the_grace_is_flagged_stale(
    central: Central, service: WatchlistService, clock: ManualClock
) -> None:
    central.store.add_device("gate-01", kind="gate", site="cgk", now=clock.now())
    service.add(BUDI, by="supervisor")
    central.store.update_device_status(
        DeviceStatus("gate-01", clock.now(), online=True, watchlist_version="1")
    )
    clock.advance(60)
    service.change("c-001", {"sex": "X"}, by="supervisor")
    clock.advance(service.stale_after.total_seconds() - 1)
    (fresh,) = service.device_states()
    clock.advance(2)
    (late,) = service.device_states()
    assert (fresh.behind, fresh.stale) == (1, False)
    assert (late.behind, late.stale) == (1, True)
    assert late.version_age_s == pytest.approx(60 + service.stale_after.total_seconds() + 1)


def test_a_gate_on_the_current_version_is_not_stale(
    central: Central, service: WatchlistService, clock: ManualClock
) -> None:
    central.store.add_device("gate-01", kind="gate", site="cgk", now=clock.now())
    service.add(BUDI, by="supervisor")
    central.store.update_device_status(
        DeviceStatus("gate-01", clock.now(), online=True, watchlist_version="1")
    )
    clock.advance(timedelta(days=3).total_seconds())
    (state,) = service.device_states()
    assert (state.version, state.behind, state.stale) == (1, 0, False)


def test_a_gate_with_no_list_is_stale_once_a_list_exists(
    central: Central, service: WatchlistService, clock: ManualClock
) -> None:
    central.store.add_device("gate-01", kind="gate", site="cgk", now=clock.now())
    central.store.add_device("kiosk-01", kind="kiosk", site="cgk", now=clock.now())
    service.add(BUDI, by="supervisor")
    states = {s.device_id: s.stale for s in service.device_states()}
    assert states == {"gate-01": True, "kiosk-01": False}


def test_the_cekal_checker_follows_new_versions(service: WatchlistService) -> None:
    checker = IndexCekalChecker(service)
    applicant = {"surname": "SANTOSO", "given_names": "BUDI", "birth_date": "1980-05-17",
                 "nationality": "IDN", "passport_no": "X0000000"}  # fmt: skip
    assert checker.check(applicant, date(2026, 11, 22)) == []
    service.add(BUDI, by="supervisor")
    hits = checker.check(applicant, date(2026, 11, 22))
    assert [(h.entry_id, h.verdict) for h in hits] == [("c-001", "identik")]


def test_the_cekal_checker_calls_a_transliterated_name_mirip(service: WatchlistService) -> None:
    service.add({**BUDI, "entry_id": "c-020", "full_name": "MUHAMMAD RIZKI", "birth_date": "1985"}, by="sup")
    hits = IndexCekalChecker(service).check(
        {"name": "Mohammed Rizky", "birth_date": "1985-03-04"}, date(2026, 1, 1)
    )
    assert [(h.entry_id, h.verdict) for h in hits] == [("c-020", "mirip")]


def test_the_signing_key_is_created_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "wl.pem"
    first = load_or_create_key(path)
    second = load_or_create_key(path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert first.public_key() == second.public_key()


def test_the_streamed_snapshot_is_the_snapshot_of_the_sorted_entries(
    service: WatchlistService, key: Ed25519PrivateKey
) -> None:
    # Each version's snapshot is written entry by entry from the store (a large list is never held
    # whole); it must be exactly the signed snapshot of the entries in id order, with their hash.
    service.import_csv(io.StringIO(HEADER + GOOD_ROWS), by="supervisor")
    # "c_000" sorts after "c-001" by code point, but before it in a linguistic (PostgreSQL default) order.
    service.add({**BUDI, "entry_id": "c_000"}, by="supervisor")
    version = service.current_version()
    row = service.version_row(version)
    entries = tuple(sorted(service.entries(), key=lambda e: e.entry_id))
    expected = Snapshot(version, entries, row["created_at"])
    assert len(entries) == row["entries"] >= 3
    assert service.snapshot_bytes(version) == sign_snapshot(expected, key)
    assert row["content_hash"] == expected.content_hash().hex()
