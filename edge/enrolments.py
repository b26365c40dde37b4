"""The holder's enrolment record (face and fingerprint templates) from central, with a local cache.

SOP-003-A08 steps 5-6 verify the passenger against the templates enrolled for the document. The gate
asks ``GET {central_url}/api/v1/enrolments/{issuing_state}/{document_number}`` (bearer device token,
short timeout) while the passenger walks in; the answer is central's stored copy of the wire's
enrolment record as JSON (``core.wire.to_jsonable``: bytes as ``{"$base64": ...}``). A record is cached
on disk; when central cannot be reached the cached one is used; when neither has one the flow's
no-enrolment policy applies (redirect: nobody passes unverified). Central's "not found" is final: a
cached copy of a record central no longer has is not used.

Issue 12: cached records are sealed (AES-GCM, ``edge.sealed``; the key from ``sealer``, else
``<cache_dir>/cache.key`` made on first use, mode 0600) and live ``cache_ttl_s`` (default 7 days): an
older one is deleted instead of used, and ``prune()`` (run at start) deletes every expired record and
seals, then deletes, any unsealed ``.json`` record (left by an older version or placed by hand).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge.errors import EnrolmentError
from edge.sealed import Sealer, SealError

CACHE_TTL_S = 7 * 86_400.0

log = logging.getLogger("edge.enrolments")


@dataclass(frozen=True)
class Enrolment:
    """What the gate verifies against."""

    issuing_state: str
    document_number: str
    face_template: bytes
    face_model_id: str
    fingerprint_template: bytes | None = None
    fingerprint_model_id: str | None = None


def _bytes(value: Any, key: str) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, dict) and isinstance(value.get("$base64"), str):
        value = value["$base64"]
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except ValueError as exc:
            raise EnrolmentError(f"enrolment record: {key} is not base64 ({exc})") from exc
    raise EnrolmentError(f"enrolment record: {key} must be base64 text or {{'$base64': ...}}")


def parse_record(raw: Any) -> Enrolment:
    """An enrolment record from central's JSON; ``EnrolmentError`` says which field is wrong."""
    if not isinstance(raw, dict):
        raise EnrolmentError("enrolment record must be a JSON object")
    face = _bytes(raw.get("face_template"), "face_template")
    if not face:
        raise EnrolmentError("enrolment record has no face_template; the holder must enrol again")
    return Enrolment(
        issuing_state=str(raw.get("issuing_state", "")).upper(),
        document_number=str(raw.get("document_number", "")).upper(),
        face_template=face,
        face_model_id=str(raw.get("face_model_id", "")),
        fingerprint_template=_bytes(raw.get("fingerprint_template"), "fingerprint_template"),
        fingerprint_model_id=raw.get("fingerprint_model_id"),
    )


class EnrolmentClient:
    """Fetch by document from central, falling back to the local cache when central is unreachable."""

    def __init__(
        self,
        central_url: str | None,
        *,
        token: str | None = None,
        timeout_s: float = 2.0,
        cache_dir: Path | None = None,
        cache_ttl_s: float = CACHE_TTL_S,
        sealer: Sealer | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.central_url = central_url.rstrip("/") if central_url else None
        self.token = token
        self.timeout_s = timeout_s
        self.cache_dir = cache_dir
        self.cache_ttl_s = cache_ttl_s
        self.clock = clock
        self.sealer: Sealer | None = None
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            self.sealer = sealer or Sealer.load(default=cache_dir / "cache.key")
            self.prune()

    def fetch(self, issuing_state: str, document_number: str) -> Enrolment:
        """The record, or ``EnrolmentError`` when central has none or neither central nor the cache does."""
        state, number = issuing_state.upper(), document_number.upper()
        if self.central_url is not None:
            url = (
                f"{self.central_url}/api/v1/enrolments/"
                f"{urllib.parse.quote(state, safe='')}/{urllib.parse.quote(number, safe='')}"
            )
            request = urllib.request.Request(url, headers={"Accept": "application/json"})
            if self.token:
                request.add_header("Authorization", f"Bearer {self.token}")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    raw = json.loads(response.read())
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    self._forget(state, number)
                    raise EnrolmentError(f"central has no enrolment for {state}/{number}") from exc
                log.warning("enrolment fetch for %s/%s: HTTP %s; trying the cache", state, number, exc.code)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                log.warning("enrolment fetch for %s/%s failed (%s); trying the cache", state, number, exc)
            else:
                record = parse_record(raw)
                self._store(state, number, raw)
                return record
        cached = self._cached(state, number)
        if cached is None:
            raise EnrolmentError(
                f"no enrolment for {state}/{number}: central unreachable and nothing cached; "
                "the passenger goes to the manual counter"
            )
        return cached

    # -- the cache ---------------------------------------------------------------------------------

    def _path(self, state: str, number: str) -> Path | None:
        if self.cache_dir is None:
            return None
        safe = re.sub(r"[^A-Z0-9<]", "_", f"{state}_{number}")
        return self.cache_dir / f"{safe}.sealed"

    def prune(self) -> int:
        """Seal unsealed ``.json`` records, delete expired sealed ones; returns how many were deleted."""
        if self.cache_dir is None:
            return 0
        removed = 0
        for old in self.cache_dir.glob("*.json"):
            self._seal_legacy(old)
        for path in self.cache_dir.glob("*.sealed"):
            if self._expired(path):
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def _seal_legacy(self, old: Path) -> None:
        """An unsealed ``.json`` record (written before issue 12, or placed by hand): sealed, then deleted."""
        try:
            raw = json.loads(old.read_text(encoding="utf-8"))
            record = parse_record(raw)
        except (ValueError, EnrolmentError, OSError) as exc:
            log.warning("unsealed cached enrolment %s unreadable (%s); deleted", old.name, exc)
        else:
            written = old.stat().st_mtime
            self._store(record.issuing_state, record.document_number, raw, at=written)
        old.unlink(missing_ok=True)

    def _expired(self, path: Path) -> bool:
        try:
            return self.clock() - path.stat().st_mtime > self.cache_ttl_s
        except OSError:
            return False

    def _store(self, state: str, number: str, raw: Any, *, at: float | None = None) -> None:
        path = self._path(state, number)
        if path is None or self.sealer is None:
            return
        tmp = path.with_suffix(".tmp")
        sealed = self.sealer.seal(json.dumps(raw).encode(), context=f"{state}/{number}".encode())
        tmp.write_bytes(sealed)
        now = self.clock() if at is None else at
        os.utime(tmp, (now, now))  # the record's age is the file's mtime, on the same clock as ``prune``
        os.replace(tmp, path)

    def _cached(self, state: str, number: str) -> Enrolment | None:
        path = self._path(state, number)
        if path is None or self.sealer is None or not path.exists():
            return None
        if self._expired(path):
            path.unlink(missing_ok=True)
            log.info("cached enrolment %s older than %.0f s; deleted", path.name, self.cache_ttl_s)
            return None
        try:
            plain = self.sealer.open(path.read_bytes(), context=f"{state}/{number}".encode())
            return parse_record(json.loads(plain))
        except SealError as exc:
            log.error("cached enrolment %s: %s; kept, not used", path.name, exc)
            return None
        except (ValueError, EnrolmentError, OSError) as exc:
            log.warning("cached enrolment %s unreadable (%s); ignored", path.name, exc)
            return None

    def _forget(self, state: str, number: str) -> None:
        path = self._path(state, number)
        if path is not None:
            path.unlink(missing_ok=True)
