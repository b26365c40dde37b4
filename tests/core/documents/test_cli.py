"""``python -m core mrz``: one JSON object on standard output; exit 0 valid, 1 errors, 2 not an MRZ."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.core.documents.specimens import TD3_ERIKSSON

ROOT = Path(__file__).resolve().parents[3]
KEYS = [
    "format",
    "document_code",
    "issuing_state",
    "surname",
    "given_names",
    "document_number",
    "nationality",
    "birth_date",
    "sex",
    "expiry_date",
    "optional_data",
    "valid",
    "errors",
    "repairs",
]


def _run(stdin: str, *args: str) -> tuple[int, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "core", "mrz", "--today", "2026-11-22", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    return done.returncode, json.loads(done.stdout)


def test_valid_mrz_prints_the_documented_json_shape_and_exits_0() -> None:
    status, out = _run("\n".join(TD3_ERIKSSON) + "\n")
    assert status == 0
    assert list(out) == KEYS
    assert out["birth_date"] == "1974-08-12" and out["expiry_date"] == "2012-04-15"
    assert (out["surname"], out["given_names"], out["valid"]) == ("ERIKSSON", "ANNA MARIA", True)


def test_mrz_with_errors_exits_1_and_lists_them_by_field() -> None:
    broken = TD3_ERIKSSON[1][:19] + "3" + TD3_ERIKSSON[1][20:]
    status, out = _run(f"{TD3_ERIKSSON[0]}\n{broken}\n")
    assert status == 1
    assert out["valid"] is False
    assert {"field": "birth_date", "code": "check_digit"}.items() <= out["errors"][0].items()


def test_repairs_are_listed_in_the_output() -> None:
    misread = TD3_ERIKSSON[1][:15] + "O" + TD3_ERIKSSON[1][16:]
    status, out = _run(f"{TD3_ERIKSSON[0]}\n{misread}\n")
    assert status == 0
    assert out["repairs"] == [
        {
            "field": "birth_date",
            "line": 2,
            "column": 16,
            "from": "O",
            "to": "0",
            "reason": out["repairs"][0]["reason"],
        }
    ]


def test_text_that_is_not_an_mrz_exits_2() -> None:
    status, out = _run("hello\n")
    assert status == 2
    assert out["valid"] is False and "shape of an MRZ" in out["error"]
