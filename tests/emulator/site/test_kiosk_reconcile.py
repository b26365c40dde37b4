"""The kiosks' reconciliation (``emulator.kiosksite.kiosk_summary``) on central's real workflow tables:
a submitted application with no case is lost, a second case for one application is a duplicate, and a
receipt with either central's number or the kiosk's own id is matched."""

from __future__ import annotations

import json
from pathlib import Path

from central.store import Store
from central.workflows.definitions import Catalogue
from central.workflows.engine import Workflows
from central.workflows.tariffs import Tariffs
from core.clock import SystemClock
from emulator.kiosksite import KioskProcess, kiosk_summary

APPLICANT = {"name": "JANE CITIZEN", "passport_no": "PA1234567", "nationality": "AUS"}


def _open(workflows: Workflows, app_id: str, *, kiosk: str = "kiosk-01", source: bool = True) -> str:
    case = workflows.open_case(
        APPLICANT, by=kiosk, service_code="ITK-EXT", data={"application_id": app_id, "kiosk": kiosk},
        source_ref=app_id if source else None,
    )  # fmt: skip
    return str(case["application_no"])


def _kiosk(tmp_path: Path, device_id: str, numbers: list[str]) -> KioskProcess:
    folder = tmp_path / device_id
    folder.mkdir()
    rows = [{"line": "ticket", "applicant": i, "number": f"A{i:03d}"} for i in range(len(numbers))]
    rows += [
        {"line": "application", "applicant": i, "number": n, "queued": False} for i, n in enumerate(numbers)
    ]
    (folder / "ledger.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return KioskProcess(0, device_id, folder, argv=[])


def _central(tmp_path: Path) -> tuple[Path, Store, Workflows]:
    db = tmp_path / "central.sqlite"
    store = Store(f"sqlite:///{db}")
    return db, store, Workflows(store, SystemClock(), Catalogue.load(), Tariffs.load())


def test_receipts_with_central_numbers_or_kiosk_ids_match_their_cases(tmp_path: Path) -> None:
    db, store, workflows = _central(tmp_path)
    try:
        number = _open(workflows, "K-KIOSK-01-20261202-AAAAAA")
        _open(workflows, "K-KIOSK-01-20261202-BBBBBB")
        _open(workflows, "K-OTHER-20261202-CCCCCC", kiosk="counter-01")  # not a kiosk of this run
        # The second applicant's receipt carries the kiosk's id (central had not answered in time).
        kiosk = _kiosk(tmp_path, "kiosk-01", [number, "K-KIOSK-01-20261202-BBBBBB"])
        summary = kiosk_summary(db, [kiosk])
    finally:
        store.close()
    assert (summary["applications_submitted"], summary["cases_opened"]) == (2, 2)
    assert (summary["lost"], summary["duplicates"], summary["unexpected_cases"]) == (0, 0, 0)
    assert summary["tickets"] == 2


def test_an_application_without_a_case_is_lost_and_a_second_case_is_a_duplicate(tmp_path: Path) -> None:
    db, store, workflows = _central(tmp_path)
    try:
        number = _open(workflows, "K-KIOSK-01-20261202-AAAAAA")
        # The same submission opened a second case (no source link): what the check must catch.
        _open(workflows, "K-KIOSK-01-20261202-AAAAAA", source=False)
        kiosk = _kiosk(tmp_path, "kiosk-01", [number, "K-KIOSK-01-20261202-MISSED"])
        summary = kiosk_summary(db, [kiosk])
    finally:
        store.close()
    assert summary["lost"] == 1 and summary["lost_numbers"] == ["K-KIOSK-01-20261202-MISSED"]
    assert summary["duplicates"] == 1
    assert summary["cases_opened"] == 2 and summary["applications_submitted"] == 2


def test_no_database_yet_means_every_application_is_lost(tmp_path: Path) -> None:
    kiosk = _kiosk(tmp_path, "kiosk-01", ["20261202-00001"])
    summary = kiosk_summary(tmp_path / "missing.sqlite", [kiosk])
    assert summary["lost"] == 1 and summary["cases_opened"] == 0
