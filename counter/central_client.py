"""The counter's HTTP calls to central: the holder's last movement and SOP cases.

Crossings and alarms go through the outbox (MQTT), never here. Cases opened while central is away are
kept in a small durable queue (one JSON line each, rewritten atomically) and opened on recovery, so a
referral made offline is not lost (ARCHITECTURE "Data that must never be lost").
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from counter.errors import CounterError

API = "/api/v1"
# SOP-003-A07 steps 1-3 are the counter's own (receive, check, refer); step 4 computes the fee.
A07_COUNTER_STEPS = ("1", "2", "3")


class CentralUnavailable(CounterError, ConnectionError):
    """Central did not answer; the station works on from its cache and queues what must reach central."""


@dataclass(frozen=True)
class CaseRequest:
    sop_id: str
    applicant: dict[str, Any]
    data: dict[str, Any]
    local_id: str

    def to_json(self) -> str:
        return json.dumps(
            {"sop_id": self.sop_id, "applicant": self.applicant, "data": self.data, "local_id": self.local_id}
        )


class CentralClient:
    def __init__(
        self, base_url: str, token: str, *, timeout_s: float = 2.0, http: httpx.Client | None = None
    ) -> None:
        """``http`` replaces the client (an in-process app's ``TestClient`` in tests)."""
        self.base_url = base_url.rstrip("/")
        self._http = http or httpx.Client(base_url=self.base_url, timeout=timeout_s)
        self._headers = {"Authorization": f"Bearer {token}"}

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            answer = self._http.request(method, API + path, headers=self._headers, **kwargs)
        except httpx.HTTPError as exc:
            raise CentralUnavailable(
                f"central at {self.base_url} did not answer ({exc}); working offline"
            ) from exc
        if answer.status_code >= 500:
            raise CentralUnavailable(
                f"central at {self.base_url} failed with {answer.status_code}; try again"
            )
        if answer.status_code >= 400:
            raise CounterError(f"central refused {method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer.json()

    def last_movement(self, document_number: str) -> dict[str, Any] | None:
        """The newest crossing central holds for this document (SOP-003-A01 main 1(b)), or ``None``."""
        rows = self._call("GET", "/crossings", params={"document_number": document_number, "limit": 1})
        return rows[0] if rows else None

    def open_case(self, request: CaseRequest) -> dict[str, Any]:
        case: dict[str, Any] = self._call(
            "POST",
            "/workflows/cases",
            json={"sop_id": request.sop_id, "applicant": request.applicant, "data": request.data},
        )
        if request.sop_id == "SOP-003-A07":
            case = self._through_counter_steps(case)
        return case

    def _through_counter_steps(self, case: dict[str, Any]) -> dict[str, Any]:
        # The counter officer has already received, checked and referred (A07 steps 1-3), so the case
        # is moved on to step 4, where central counts the days and bills the charge.
        while case.get("status") == "open" and str(case.get("current_step")) in A07_COUNTER_STEPS:
            case = self._call(
                "POST", f"/workflows/cases/{case['case_id']}/actions", json={"action": "approve"}
            )
        return case


class PendingCases:
    """Case requests central has not yet accepted, on disk in request order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _read(self) -> list[CaseRequest]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                raw = json.loads(line)
                out.append(CaseRequest(raw["sop_id"], raw["applicant"], raw["data"], raw["local_id"]))
        return out

    def _write(self, requests: list[CaseRequest]) -> None:
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            fh.writelines(r.to_json() + "\n" for r in requests)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def add(self, request: CaseRequest) -> None:
        with self._lock:
            self._write([*self._read(), request])

    def all(self) -> list[CaseRequest]:
        with self._lock:
            return self._read()

    def remove(self, local_id: str) -> None:
        with self._lock:
            self._write([r for r in self._read() if r.local_id != local_id])

    def __len__(self) -> int:
        return len(self.all())
