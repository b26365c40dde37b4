"""The gate's offline copy of the cekal watch list: last signed snapshot and deltas on disk, index in memory.

SOP-003-A08 step 3 checks every holder against the list inside the 5 s scan budget, so the gate never
asks central at scan time: it answers from ``core.watchlist.WatchlistIndex`` built from the newest list
version it holds. A version is used only after its Ed25519 signature and its version chain verify
(``core.watchlist.snapshot``); a bad file is refused, the current list is kept, and an alarm is raised.
The list's age (since central made that version) is reported in the heartbeat and alarmed when older
than the configured bound. When central's retained announcement names a newer version, the missing
files are fetched over HTTP (paths from the announcement, hashes checked before the signature).

A list of a million entries cannot be rebuilt on a gate (about a minute, and more memory than a small
board has), so the cache prefers a signed *prepared* snapshot when central offers one
(``core.watchlist.prepared``: the built index, memory-mapped from disk at start-up, ready in seconds).
Deltas after that base version are not applied by a rebuild: ``core.watchlist.OverlayIndex`` keeps a
small index of the entries added or changed since the base and hides the removed or changed base
entries, answering as an index of the whole current version would; signature, base hash and result
hash are checked exactly as for plain snapshots. A newer prepared base replaces base and overlay.
With a central that offers only plain snapshots the cache builds the index from the snapshot, as
before.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from core import wire
from core.clock import SITE_ZONE, Clock, local_date
from core.documents import MrzResult
from core.watchlist import (
    Delta,
    Hit,
    OverlayIndex,
    PartialDate,
    PreparedSnapshot,
    Query,
    Snapshot,
    SnapshotError,
    VersionChainError,
    WatchlistIndex,
    apply_delta,
    load_prepared_file,
    verify_delta,
    verify_snapshot,
)
from core.watchlist import Verdict as ListVerdict
from edge.errors import WatchlistCacheError, WatchlistFetchError
from edge.flow import Screening, Verdict

log = logging.getLogger("edge.watchlist")

SNAPSHOT_FILE = "snapshot.wls"
PREPARED_FILE = "prepared.wlp"
DELTA_SUFFIX = ".wld"
# Entries changed since the prepared base beyond which a newer prepared base is fetched (when central
# offers one) instead of the next delta: the overlay is rebuilt on every delta, so it must stay small.
DEFAULT_MAX_OVERLAY = 20_000
_CHUNK = 1 << 20

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

    def fetch_file(self, ref: wire.ArtifactRef, dest: Path) -> Path:
        """Download into ``dest`` a chunk at a time (a prepared snapshot is hundreds of MiB: never
        held in memory), resuming a cut download: what ``dest`` already holds is kept and the rest
        asked for with ``Range`` and ``If-Range`` (central's ETag is the file's SHA-256; a changed
        file answers in full). Size and SHA-256 are checked at the end; a mismatch removes the file."""
        url = self.central_url + (ref.path if ref.path.startswith("/") else "/" + ref.path)
        have = dest.stat().st_size if dest.exists() else 0
        if have > ref.size:
            dest.unlink()
            have = 0
        if have < ref.size:
            request = urllib.request.Request(url)
            if self.token:
                request.add_header("Authorization", f"Bearer {self.token}")
            if have:
                request.add_header("Range", f"bytes={have}-")
                request.add_header("If-Range", f'"{ref.sha256.lower()}"')
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    mode = "ab" if have and response.status == 206 else "wb"
                    with dest.open(mode) as out:
                        written = have if mode == "ab" else 0
                        while written <= ref.size:
                            chunk = response.read(min(_CHUNK, ref.size + 1 - written))
                            if not chunk:
                                break
                            out.write(chunk)
                            written += len(chunk)
                        out.flush()
                        os.fsync(out.fileno())
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                raise WatchlistFetchError(
                    f"cannot fetch {url}: {exc}; the gate keeps its current list and resumes later"
                ) from exc
        size = dest.stat().st_size
        if size < ref.size:  # cut short: kept, the next attempt asks for the rest
            raise WatchlistFetchError(
                f"{ref.path}: the download stopped at {size} of {ref.size} bytes; the gate keeps its "
                "current list and resumes at the next announcement"
            )
        digest = hashlib.sha256()
        with dest.open("rb") as fh:
            while block := fh.read(_CHUNK):
                digest.update(block)
        if size != ref.size or digest.hexdigest() != ref.sha256.lower():
            dest.unlink()
            raise WatchlistFetchError(
                f"{ref.path}: got {size} bytes that do not match the announced size or SHA-256; "
                "the download was cut or altered, it will be fetched again at the next announcement"
            )
        return dest


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


@dataclass(frozen=True)
class ListVersion:
    """The list version in use: its number, when central made it, and its content hash."""

    version: int
    created_at: datetime
    content_hash: bytes


class Matcher(Protocol):
    def match(self, query: Query, *, today: date, lists: Iterable[str] | None = None) -> list[Hit]: ...


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
        max_overlay: int = DEFAULT_MAX_OVERLAY,
    ) -> None:
        self.directory = Path(directory)
        self.timezone = timezone  # entries' validity dates are the office's local days
        self.public_key = public_key
        self.clock = clock
        self.max_age_s = max_age_s
        self.fetcher = fetcher
        self.when_alarm = when_alarm
        self.when_alarm_cleared = when_alarm_cleared
        self.max_overlay = max_overlay
        self.snapshot: Snapshot | None = None  # the version in use, when it came as a plain snapshot
        self.prepared: PreparedSnapshot | None = None  # the base in use, when it came prepared
        self.overlay: OverlayIndex | None = None  # the prepared base with the deltas since
        self.current: ListVersion | None = None
        self.index: Matcher | None = None
        self.stale_alarmed = False
        self._lock = threading.RLock()

    # -- state -------------------------------------------------------------------------------------

    @property
    def version(self) -> int | None:
        current = self.current
        return None if current is None else current.version

    def age_s(self) -> float | None:
        """Seconds since central made the version in use (``None`` without a list)."""
        current = self.current
        if current is None:
            return None
        return max(0.0, (self.clock.now() - current.created_at).total_seconds())

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
        """Read the stored base (prepared snapshot, else plain snapshot) and its deltas; a file that
        does not verify is refused and alarmed (and moved aside, so it is not read again). Returns
        the version in use."""
        self.directory.mkdir(parents=True, exist_ok=True)
        prepared_path = self.directory / PREPARED_FILE
        if prepared_path.exists():
            try:
                prepared = load_prepared_file(prepared_path, self.public_key)
            except SnapshotError as exc:
                self._refuse(prepared_path, exc)
            else:
                return self._load_prepared_deltas(prepared)
        path = self.directory / SNAPSHOT_FILE
        if not path.exists():
            return None
        try:
            snapshot = verify_snapshot(path.read_bytes(), self.public_key)
        except SnapshotError as exc:
            self._refuse(path, exc)
            return None
        for delta_path in self._delta_paths():
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
            self._check_newer(snapshot.version, "snapshot")
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_atomic(self.directory / SNAPSHOT_FILE, data)
            (self.directory / PREPARED_FILE).unlink(missing_ok=True)  # the plain snapshot is the base now
            for old in self.directory.glob(f"*{DELTA_SUFFIX}"):
                old.unlink()
            self._use(snapshot)
        return snapshot.version

    def install_prepared(self, data: bytes) -> int:
        """Verify a signed prepared snapshot, store it (replacing the plain snapshot and the deltas)
        and use it: the index is the stored file, mapped, not rebuilt."""
        self.directory.mkdir(parents=True, exist_ok=True)
        incoming = self.directory / (PREPARED_FILE + ".incoming")
        _write_atomic(incoming, data)
        return self.install_prepared_file(incoming)

    def install_prepared_file(self, path: Path) -> int:
        """``install_prepared`` of a downloaded file (moved into place once it verifies; removed if not)."""
        try:
            prepared = load_prepared_file(path, self.public_key)
        except (SnapshotError, OSError) as exc:
            path.unlink(missing_ok=True)
            self._alarm("watchlist_rejected", f"a prepared watch-list snapshot was refused: {exc}")
            if isinstance(exc, OSError):
                raise SnapshotError(f"cannot read the prepared snapshot {path}: {exc}") from exc
            raise
        with self._lock:
            try:
                self._check_newer(prepared.version, "prepared snapshot")
            except VersionChainError:
                path.unlink(missing_ok=True)
                raise
            os.replace(path, self.directory / PREPARED_FILE)  # the mapping follows the file
            (self.directory / SNAPSHOT_FILE).unlink(missing_ok=True)
            for old in self.directory.glob(f"*{DELTA_SUFFIX}"):
                old.unlink()
            self._use_prepared(prepared, OverlayIndex(prepared.index), _base_version(prepared))
        return prepared.version

    def install_delta(self, data: bytes) -> int:
        """Verify a signed delta against the version in use, store it and use the result."""
        with self._lock:
            try:
                delta = verify_delta(data, self.public_key)
                current = self.current
                if current is None:
                    raise VersionChainError("a delta needs a snapshot to apply to; fetch a full snapshot")
                if self.overlay is not None and self.prepared is not None:
                    overlay = self.overlay.apply_delta(delta, current.version, current.content_hash)
                else:
                    assert self.snapshot is not None
                    result = apply_delta(self.snapshot, delta)
            except (SnapshotError, VersionChainError) as exc:
                self._alarm("watchlist_rejected", f"a watch-list delta was refused: {exc}")
                raise
            _write_atomic(
                self.directory / f"{delta.base_version:012d}-{delta.version:012d}{DELTA_SUFFIX}", data
            )
            if self.overlay is not None and self.prepared is not None:
                self._use_prepared(self.prepared, overlay, _delta_version(delta))
            else:
                self._use(result)
        return delta.version

    def on_announcement(self, announcement: wire.WatchlistAnnouncement) -> int | None:
        """Fetch what the gate lacks to reach the announced version: a prepared base when central
        offers one and the gate has none (or cannot follow on with the delta, or its overlay grew
        large), then the delta from it; otherwise the delta if it follows on, else the snapshot and
        its delta. Errors are logged and alarmed; the current list stays in use."""
        fetcher = self.fetcher
        if fetcher is None:
            return self.version
        current = self.version
        if current is not None and current >= announcement.version:
            return current
        offer = announcement.prepared
        try:
            if offer is not None and self._wants_prepared(offer, announcement):
                self._fetch_prepared(fetcher, offer.snapshot)
            # The delta from the prepared version to the current one (also when the gate already
            # runs that version: central's newest prepared snapshot may lag a change or two).
            step = _prepared_delta(offer, self.version, announcement.version)
            if step is not None:
                self.install_delta(fetcher.fetch(step))
            current = self.version
            if current is None or current < announcement.version:
                if current is None or current < announcement.snapshot_version:
                    if self.prepared is not None and offer is not None:
                        # Not back to a plain list (a rebuild of the whole list): central announces
                        # again with a newer prepared snapshot once it is built.
                        log.info(
                            "watch-list version %s: no delta follows on from version %s; waiting "
                            "for a newer prepared snapshot",
                            announcement.version,
                            current,
                        )
                        return self.version
                    self.install_snapshot(fetcher.fetch(announcement.snapshot))
                if announcement.delta is not None and self.version == announcement.snapshot_version:
                    self.install_delta(fetcher.fetch(announcement.delta))
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

    def _wants_prepared(self, offer: wire.PreparedOffer, announcement: wire.WatchlistAnnouncement) -> bool:
        current = self.current
        if current is None:
            return True
        if self.prepared is None:  # a plain list (rebuilt in memory): move to the prepared form
            return offer.version >= current.version
        if offer.version <= current.version:
            return False
        follows_on = announcement.delta is not None and current.version == announcement.snapshot_version
        overlay = self.overlay
        grown = overlay is not None and len(overlay.changed) + len(overlay.removed) > self.max_overlay
        return grown or not follows_on

    def _fetch_prepared(self, fetcher: Fetcher, ref: wire.ArtifactRef) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fetch_file = getattr(fetcher, "fetch_file", None)
        if fetch_file is None:
            self.install_prepared(fetcher.fetch(ref))
            return
        # Kept across attempts (and restarts) so a cut download resumes where it stopped.
        partial = self.directory / f"{PREPARED_FILE}.{ref.sha256.lower()[:16]}.part"
        for stale in self.directory.glob(f"{PREPARED_FILE}.*.part"):
            if stale != partial:
                stale.unlink()
        self.install_prepared_file(fetch_file(ref, partial))

    def _check_newer(self, version: int, what: str) -> None:
        current = self.current
        if current is not None and version < current.version:
            raise VersionChainError(
                f"{what} {version} is older than version {current.version} in use; "
                "versions only grow, the gate keeps the newer list"
            )

    def _delta_paths(self) -> list[Path]:
        return sorted(self.directory.glob(f"*{DELTA_SUFFIX}"), key=_delta_order)

    def _load_prepared_deltas(self, prepared: PreparedSnapshot) -> int:
        """The stored deltas after a prepared base, on an overlay. Each delta's signature and its
        link to the version before (base version and base hash) are checked one by one; the result
        hash of the last one by one pass over the whole list (each earlier result hash is the next
        delta's base hash, so the chain holds only if the last state is central's). On a mismatch
        the deltas are replayed one by one to find the bad one, which is refused with those after."""
        state = _base_version(prepared)
        chain: list[tuple[Path, Delta]] = []
        for delta_path in self._delta_paths():
            try:
                delta = verify_delta(delta_path.read_bytes(), self.public_key)
                if delta.version <= state.version:
                    continue
                if delta.base_version != state.version or delta.base_hash != state.content_hash:
                    raise VersionChainError(
                        f"delta {delta.base_version}->{delta.version} does not follow version "
                        f"{state.version}; fetch the missing deltas or a full snapshot"
                    )
            except (SnapshotError, VersionChainError) as exc:
                self._refuse(delta_path, exc)
                break
            chain.append((delta_path, delta))
            state = _delta_version(delta)
        overlay = OverlayIndex(prepared.index)
        for _, delta in chain:
            overlay = overlay.apply(delta.upserts, delta.removals)
        if chain and overlay.content_hash(state.version) != state.content_hash:
            overlay, state = OverlayIndex(prepared.index), _base_version(prepared)
            for at, (_path, delta) in enumerate(chain):
                try:
                    overlay = overlay.apply_delta(delta, state.version, state.content_hash)
                except VersionChainError as exc:
                    for bad_path, _ in chain[at:]:
                        self._refuse(bad_path, exc)
                    break
                state = _delta_version(delta)
        self._use_prepared(prepared, overlay, state)
        return state.version

    def _use(self, snapshot: Snapshot) -> None:
        index = WatchlistIndex.build(snapshot.entries)
        state = ListVersion(snapshot.version, snapshot.created_at, snapshot.content_hash())
        with self._lock:
            self.snapshot, self.prepared, self.overlay = snapshot, None, None
            self.current, self.index = state, index
        log.info("watch list version %s in use (%s entries)", snapshot.version, len(snapshot.entries))
        self.check_age()

    def _use_prepared(self, prepared: PreparedSnapshot, overlay: OverlayIndex, state: ListVersion) -> None:
        with self._lock:
            self.snapshot, self.prepared, self.overlay = None, prepared, overlay
            self.current, self.index = state, overlay
        log.info(
            "watch list version %s in use (%s entries: prepared base %s, %s changed since)",
            state.version,
            len(overlay),
            prepared.version,
            len(overlay.changed) + len(overlay.removed),
        )
        self.check_age()

    def _refuse(self, path: Path, exc: Exception) -> None:
        aside = path.with_name(path.name + ".refused")
        os.replace(path, aside)
        self._alarm("watchlist_rejected", f"{path.name} refused ({exc}); moved to {aside.name}")

    def _alarm(self, kind: str, message: str) -> None:
        log.error("%s: %s", kind, message)
        if self.when_alarm is not None:
            self.when_alarm(kind, message)


def _prepared_delta(
    offer: wire.PreparedOffer | None, current: int | None, target: int
) -> wire.ArtifactRef | None:
    """The offer's delta when the gate runs the offer's version and the delta leads on to ``target``."""
    if offer is None or offer.delta is None or current != offer.version or offer.version >= target:
        return None
    return offer.delta


def _base_version(prepared: PreparedSnapshot) -> ListVersion:
    return ListVersion(prepared.version, prepared.created_at, prepared.content_hash)


def _delta_version(delta: Delta) -> ListVersion:
    return ListVersion(delta.version, delta.created_at, delta.result_hash)


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
