"""The gate's offline copy of the cekal watch list: last signed snapshot and deltas on disk, index in memory.

SOP-003-A08 step 3 checks every holder against the list inside the 5 s scan budget, so the gate never
asks central at scan time: it answers from ``core.watchlist.WatchlistIndex`` built from the newest list
version it holds. A version is used only after its Ed25519 signature and its version chain verify
(``core.watchlist.snapshot``); a bad file is refused, the current list is kept, and an alarm is raised.
The list's age (since central made that version) is reported in the heartbeat and alarmed when older
than the configured bound. When central's retained announcement names a newer version, the missing
files are fetched over HTTP (paths from the announcement, hashes checked before the signature).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from core import wire
from core.clock import SITE_ZONE, Clock, local_date
from core.documents import MrzResult
from core.watchlist import (
    PartialDate,
    Query,
    Snapshot,
    SnapshotError,
    VersionChainError,
    WatchlistIndex,
    apply_delta,
    verify_delta,
    verify_snapshot,
)
from core.watchlist import Verdict as ListVerdict
from edge.errors import WatchlistCacheError, WatchlistFetchError
from edge.flow import Screening, Verdict

log = logging.getLogger("edge.watchlist")

SNAPSHOT_FILE = "snapshot.wls"
DELTA_SUFFIX = ".wld"

AlarmHook = Callable[[str, str], None]


class Fetcher(Protocol):
    """Gets the bytes of a file central announced (``ArtifactRef.path`` is a URL path on central)."""

    def fetch(self, ref: wire.ArtifactRef) -> bytes: ...


class HttpFetcher:
    """``GET {central_url}{ref.path}`` with the device's bearer token; checks size and SHA-256."""

    def __init__(self, central_url: str, *, token: str | None = None, timeout_s: float = 10.0) -> None:
        self.central_url = central_url.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s

    def fetch(self, ref: wire.ArtifactRef) -> bytes:
        url = self.central_url + (ref.path if ref.path.startswith("/") else "/" + ref.path)
        request = urllib.request.Request(url)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                data: bytes = response.read(ref.size + 1)
        except (urllib.error.URLError, OSError) as exc:
            raise WatchlistFetchError(f"cannot fetch {url}: {exc}; the gate keeps its current list") from exc
        return check_artifact(ref, data)


def check_artifact(ref: wire.ArtifactRef, data: bytes) -> bytes:
    if len(data) != ref.size or hashlib.sha256(data).hexdigest() != ref.sha256.lower():
        raise WatchlistFetchError(
            f"{ref.path}: got {len(data)} bytes that do not match the announced size or SHA-256; "
            "the download was cut or altered, it will be fetched again at the next announcement"
        )
    return data


def load_public_key(path: Path) -> Ed25519PublicKey:
    key = load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise WatchlistCacheError(f"{path}: not an Ed25519 public key; use central's watch-list key (PEM)")
    return key


class WatchlistCache:
    """The current verified list version and its matching index."""

    def __init__(
        self,
        directory: Path,
        public_key: Ed25519PublicKey,
        clock: Clock,
        *,
        max_age_s: float = 86_400.0,
        fetcher: Fetcher | None = None,
        when_alarm: AlarmHook | None = None,
        when_alarm_cleared: Callable[[str], None] | None = None,
        timezone: str = SITE_ZONE,
    ) -> None:
        self.directory = Path(directory)
        self.timezone = timezone  # entries' validity dates are the office's local days
        self.public_key = public_key
        self.clock = clock
        self.max_age_s = max_age_s
        self.fetcher = fetcher
        self.when_alarm = when_alarm
        self.when_alarm_cleared = when_alarm_cleared
        self.snapshot: Snapshot | None = None
        self.index: WatchlistIndex | None = None
        self.stale_alarmed = False
        self._lock = threading.RLock()

    # -- state -------------------------------------------------------------------------------------

    @property
    def version(self) -> int | None:
        snapshot = self.snapshot
        return None if snapshot is None else snapshot.version

    def age_s(self) -> float | None:
        """Seconds since central made the version in use (``None`` without a list)."""
        snapshot = self.snapshot
        if snapshot is None:
            return None
        return max(0.0, (self.clock.now() - snapshot.created_at).total_seconds())

    def check_age(self) -> bool:
        """Raise the stale alarm once when the list is missing or older than the bound; clear it when
        a fresh list arrives. Returns whether the list is stale."""
        age = self.age_s()
        stale = age is None or age > self.max_age_s
        if stale and not self.stale_alarmed:
            self.stale_alarmed = True
            what = "no verified watch list" if age is None else f"watch list is {age / 3600:.1f} h old"
            self._alarm(
                "watchlist_stale", f"{what} (bound {self.max_age_s / 3600:.1f} h); check the link to central"
            )
        elif not stale and self.stale_alarmed:
            self.stale_alarmed = False
            if self.when_alarm_cleared is not None:
                self.when_alarm_cleared("watchlist_stale")
        return stale

    # -- loading and updating ----------------------------------------------------------------------

    def load(self) -> int | None:
        """Read the stored snapshot and its deltas; a file that does not verify is refused and alarmed
        (and moved aside, so it is not read again). Returns the version in use."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / SNAPSHOT_FILE
        if not path.exists():
            return None
        try:
            snapshot = verify_snapshot(path.read_bytes(), self.public_key)
        except SnapshotError as exc:
            self._refuse(path, exc)
            return None
        for delta_path in sorted(self.directory.glob(f"*{DELTA_SUFFIX}"), key=_delta_order):
            try:
                delta = verify_delta(delta_path.read_bytes(), self.public_key)
                if delta.version <= snapshot.version:
                    continue
                snapshot = apply_delta(snapshot, delta)
            except (SnapshotError, VersionChainError) as exc:
                self._refuse(delta_path, exc)
                break
        self._use(snapshot)
        return snapshot.version

    def install_snapshot(self, data: bytes) -> int:
        """Verify a signed snapshot, store it (replacing the deltas) and use it."""
        try:
            snapshot = verify_snapshot(data, self.public_key)
        except SnapshotError as exc:
            self._alarm("watchlist_rejected", f"a watch-list snapshot was refused: {exc}")
            raise
        with self._lock:
            if self.snapshot is not None and snapshot.version < self.snapshot.version:
                raise VersionChainError(
                    f"snapshot {snapshot.version} is older than version {self.snapshot.version} in use; "
                    "versions only grow, the gate keeps the newer list"
                )
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_atomic(self.directory / SNAPSHOT_FILE, data)
            for old in self.directory.glob(f"*{DELTA_SUFFIX}"):
                old.unlink()
            self._use(snapshot)
        return snapshot.version

    def install_delta(self, data: bytes) -> int:
        """Verify a signed delta against the version in use, store it and use the result."""
        with self._lock:
            try:
                delta = verify_delta(data, self.public_key)
                if self.snapshot is None:
                    raise VersionChainError("a delta needs a snapshot to apply to; fetch a full snapshot")
                result = apply_delta(self.snapshot, delta)
            except (SnapshotError, VersionChainError) as exc:
                self._alarm("watchlist_rejected", f"a watch-list delta was refused: {exc}")
                raise
            _write_atomic(
                self.directory / f"{delta.base_version:012d}-{delta.version:012d}{DELTA_SUFFIX}", data
            )
            self._use(result)
        return result.version

    def on_announcement(self, announcement: wire.WatchlistAnnouncement) -> int | None:
        """Fetch what the gate lacks to reach the announced version (delta if it follows on, else the
        snapshot and its delta). Errors are logged and alarmed; the current list stays in use."""
        if self.fetcher is None:
            return self.version
        current = self.version
        if current is not None and current >= announcement.version:
            return current
        try:
            if current is None or current < announcement.snapshot_version:
                self.install_snapshot(self.fetcher.fetch(announcement.snapshot))
            if announcement.delta is not None and self.version == announcement.snapshot_version:
                self.install_delta(self.fetcher.fetch(announcement.delta))
        except (WatchlistFetchError, SnapshotError, VersionChainError) as exc:
            log.warning("watch-list update to version %s failed: %s", announcement.version, exc)
            if isinstance(exc, WatchlistFetchError):
                self._alarm("watchlist_rejected", str(exc))
        return self.version

    # -- screening (SOP-003-A08 step 3) ------------------------------------------------------------

    def screen(self, mrz: MrzResult) -> Screening:
        """The holder's watch-list verdict from memory; no list → no hit (the stale alarm says why)."""
        index = self.index
        if index is None:
            return Screening()
        query = Query.from_mrz_fields(
            mrz.surname,
            mrz.given_names,
            _partial(mrz),
            mrz.nationality,
            mrz.sex,
            mrz.document_number,
        )
        hits = index.match(query, today=local_date(self.clock, self.timezone))
        if not hits:
            return Screening()
        best = max(hits, key=lambda h: (h.verdict is ListVerdict.IDENTIK, h.score))
        return Screening(
            verdict=Verdict.IDENTICAL if best.verdict is ListVerdict.IDENTIK else Verdict.POSSIBLE,
            entry_id=best.entry_id,
            list_type=best.entry.list,
            instructions=best.entry.instructions,
            agency=best.entry.agency,
            score=best.score,
        )

    # -- internals ---------------------------------------------------------------------------------

    def _use(self, snapshot: Snapshot) -> None:
        index = WatchlistIndex.build(snapshot.entries)
        with self._lock:
            self.snapshot, self.index = snapshot, index
        log.info("watch list version %s in use (%s entries)", snapshot.version, len(snapshot.entries))
        self.check_age()

    def _refuse(self, path: Path, exc: Exception) -> None:
        aside = path.with_name(path.name + ".refused")
        os.replace(path, aside)
        self._alarm("watchlist_rejected", f"{path.name} refused ({exc}); moved to {aside.name}")

    def _alarm(self, kind: str, message: str) -> None:
        log.error("%s: %s", kind, message)
        if self.when_alarm is not None:
            self.when_alarm(kind, message)


def _partial(mrz: MrzResult) -> PartialDate | None:
    bd = mrz.birth_date
    if bd is None:
        return None
    return PartialDate(bd.year, bd.month, bd.day if bd.month is not None else None)


def _delta_order(path: Path) -> tuple[int, int]:
    base, _, version = path.stem.partition("-")
    try:
        return int(base), int(version)
    except ValueError:
        return (-1, -1)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
