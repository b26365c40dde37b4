"""The site's kiosks: one ``python -m emulator kiosk`` process each, and the reconciliation of what their
applicants submitted with the workflow cases central opened.

``kiosk_summary`` reads each kiosk's ledger (the receipt numbers its applicants walked away with) and
central's SQLite (read-only): every submitted application must have opened exactly one case
(``wf_case_sources`` maps the kiosk's application id to its case; ``wf_cases.data.application_id``
names the submission of every case, so a second case for the same application would be counted).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.wiregate import read_ledger

PYTHON = sys.executable


@dataclass
class KioskProcess:
    index: int
    device_id: str
    folder: Path
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def ledger(self) -> Path:
        return self.folder / "ledger.jsonl"

    @property
    def url(self) -> str | None:
        path = self.folder / "kiosk.url"
        return path.read_text(encoding="utf-8").strip() if path.exists() else None

    def served(self) -> int:
        return sum(1 for r in read_ledger(self.ledger) if r.get("line") in ("application", "problem"))

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        log = open(self.folder / "kiosk.log", "ab")  # noqa: SIM115 - the child keeps it open
        self.process = subprocess.Popen(self.argv, stdout=log, stderr=log, env={**os.environ, **self.env})

    def poll(self) -> int | None:
        return self.process.poll() if self.process is not None else 0


def kiosk_argv(
    *,
    index: int,
    device_id: str,
    site: str,
    folder: Path,
    seed: int,
    applicants: int,
    central_url: str,
    broker_url: str,
    pace_s: float,
    drain_timeout_s: float,
    identity: list[str],
) -> list[str]:
    return [
        PYTHON, "-m", "emulator", "kiosk", "--index", str(index), "--applicants", str(applicants),
        "--seed", str(seed), "--device-id", device_id, "--site", site, "--folder", str(folder),
        "--central-url", central_url, "--device-token-file", str(folder / "device.token"),
        "--broker", broker_url, "--pace", str(pace_s), "--drain-timeout", str(drain_timeout_s),
        *identity,
    ]  # fmt: skip


def _cases(db_path: Path) -> tuple[list[tuple[int, str, str, str | None]], dict[str, int]]:
    """(case_id, application_no, opened_by, data.application_id) of every top-level case, and the
    source map (kiosk application id -> case id)."""
    if not db_path.exists():
        return [], {}
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute(
            "SELECT case_id, application_no, opened_by, data FROM wf_cases WHERE parent_case_id IS NULL"
        ).fetchall()
        sources = dict(conn.execute("SELECT source_ref, case_id FROM wf_case_sources").fetchall())
    except sqlite3.OperationalError:  # no workflow tables yet (central never started)
        return [], {}
    finally:
        conn.close()
    cases = []
    for case_id, number, opened_by, data in rows:
        try:
            application_id = json.loads(data).get("application_id") if data else None
        except (json.JSONDecodeError, AttributeError):
            application_id = None
        cases.append((int(case_id), str(number), str(opened_by), application_id))
    return cases, {str(k): int(v) for k, v in sources.items()}


def kiosk_summary(db_path: Path, kiosks: list[KioskProcess]) -> dict[str, Any]:
    """Applications the kiosks' applicants submitted against the cases central opened for them."""
    cases, sources = _cases(db_path)
    ids = {k.device_id for k in kiosks}
    by_number = {number: case_id for case_id, number, _, _ in cases}
    application_of = {case_id: app_id for case_id, _, _, app_id in cases}
    kiosk_cases = [c for c in cases if c[2] in ids]
    per_application = Counter(app_id for _, _, _, app_id in kiosk_cases if app_id)
    submitted: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    tickets = 0
    for kiosk in kiosks:
        for row in read_ledger(kiosk.ledger):
            if row.get("line") == "application":
                submitted.append({**row, "kiosk": kiosk.device_id})
            elif row.get("line") == "problem":
                problems.append({**row, "kiosk": kiosk.device_id})
            elif row.get("line") == "ticket":
                tickets += 1
    lost: list[str] = []
    matched: set[int] = set()
    for row in submitted:
        number = str(row["number"])
        # The receipt carries central's number, or the kiosk's application id when central had not
        # answered at submit; the applicant can ask for the status with either, and so does this.
        case_id = by_number.get(number, sources.get(number))
        if case_id is None:
            lost.append(number)
        else:
            matched.add(case_id)
    submitted_ids = {application_of.get(c) for c in matched}
    return {
        "kiosks": len(kiosks),
        "tickets": tickets,
        "applications_submitted": len(submitted),
        "queued_at_submit": sum(1 for r in submitted if r.get("queued")),
        "cases_opened": len(kiosk_cases),
        "lost": len(lost),
        "lost_numbers": lost[:20],
        "duplicates": sum(n - 1 for n in per_application.values() if n > 1),
        # Cases the kiosks opened that no applicant's receipt names (should be 0).
        "unexpected_cases": sum(1 for c in kiosk_cases if c[0] not in matched and c[3] not in submitted_ids),
        "problems": len(problems),
        "problem_details": [str(p.get("why", ""))[:200] for p in problems[:5]],
        "exit_codes": {k.device_id: k.process.returncode if k.process else None for k in kiosks},
    }
