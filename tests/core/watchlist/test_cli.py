"""``python -m core watchlist``: the command shape others rely on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HEADER = (
    "entry_id,list,full_name,aliases,birth_date,nationality,sex,document_numbers,"
    "valid_from,valid_until,agency,reason,instructions\n"
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core", "watchlist", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip


def test_match_prints_one_json_line_per_query_in_the_documented_shape(tmp_path: Path) -> None:
    (tmp_path / "L.csv").write_text(
        HEADER + "C1,pencegahan,Budi Santoso,,1975-03-04,IDN,M,A1234567,,,KPK,korupsi,tahan\n",
        encoding="utf-8",
    )
    queries = [
        {"query_id": "q1", "full_name": "BUDI SANTOSO", "birth_date": "1975-03-04", "nationality": "IDN",
         "sex": "M", "document_number": ""},
        {"query_id": "q2", "surname": "WIJAYA", "given_names": "ANI", "birth_date": "1980-01-01",
         "nationality": "IDN", "sex": "F", "document_number": ""},
    ]  # fmt: skip
    (tmp_path / "Q.jsonl").write_text("\n".join(json.dumps(q) for q in queries) + "\n", encoding="utf-8")
    done = run("match", "--list", str(tmp_path / "L.csv"), "--queries", str(tmp_path / "Q.jsonl"),
               "--today", "2026-11-22")  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    assert [set(x) for x in lines] == [{"query_id", "hits", "latency_us"}] * 2
    assert [h["entry_id"] for h in lines[0]["hits"]] == ["C1"]
    assert set(lines[0]["hits"][0]) == {"entry_id", "score", "verdict", "why"}
    assert lines[0]["hits"][0]["verdict"] == "identik"
    assert lines[1]["hits"] == []


def test_a_bad_list_row_exits_2_and_names_the_row(tmp_path: Path) -> None:
    (tmp_path / "L.csv").write_text(HEADER + "C1,pencegahan,Budi,,19750304,IDN,M,,,,,,\n", encoding="utf-8")
    (tmp_path / "Q.jsonl").write_text("", encoding="utf-8")
    done = run("match", "--list", str(tmp_path / "L.csv"), "--queries", str(tmp_path / "Q.jsonl"))
    assert done.returncode == 2
    assert "line 2" in done.stderr and "birth_date" in done.stderr


def test_generate_then_calibrate_reports_recall_per_threshold(tmp_path: Path) -> None:
    gen = run("generate", "--count", "400", "--per-kind", "4", "--list-out", str(tmp_path / "L.csv"),
              "--queries-out", str(tmp_path / "Q.jsonl"), "--today", "2026-11-22")  # fmt: skip
    assert gen.returncode == 0, gen.stderr
    cal = run("calibrate", "--list", str(tmp_path / "L.csv"), "--queries", str(tmp_path / "Q.jsonl"),
              "--thresholds", "0.7,0.9", "--today", "2026-11-22")  # fmt: skip
    assert cal.returncode == 0, cal.stderr
    rows = [json.loads(x) for x in cal.stdout.splitlines()]
    assert [r["mirip_threshold"] for r in rows] == [0.7, 0.9]
    assert rows[0]["recall"] >= rows[1]["recall"]
