"""``python -m central watchlist import|export``: row errors with file and line, nothing applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from central.watchlist.cli import main
from core.watchlist import load_entries_csv
from tests.central.watchlist.conftest import GOOD_ROWS, HEADER


def test_import_of_a_bad_file_prints_each_row_error_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, key, bad = f"sqlite:///{tmp_path / 'c.db'}", tmp_path / "k.pem", tmp_path / "bad.csv"
    bad.write_text(HEADER + GOOD_ROWS + "c-9,pencegahan,A,,1980,IDN,Z,,,,,,\n", encoding="utf-8")
    status = main(["import", str(bad), "--db", db, "--key", str(key), "--by", "tester"])
    out = tmp_path / "out.csv"
    main(["export", str(out), "--db", db, "--key", str(key)])
    assert status == 2
    assert f"{bad}:5: sex:" in capsys.readouterr().err
    assert load_entries_csv(out) == []


def test_import_then_export_round_trips_the_entries(tmp_path: Path) -> None:
    db, key, good, out = (
        f"sqlite:///{tmp_path / 'c.db'}",
        tmp_path / "k.pem",
        tmp_path / "g.csv",
        tmp_path / "o.csv",
    )
    good.write_text(HEADER + GOOD_ROWS, encoding="utf-8")
    assert main(["import", str(good), "--db", db, "--key", str(key), "--by", "tester"]) == 0
    assert main(["export", str(out), "--db", db, "--key", str(key)]) == 0
    exported = load_entries_csv(out)
    assert [e.entry_id for e in exported] == ["c-001", "c-002", "c-003"]
    assert {e.created_by for e in exported} == {"tester"}
