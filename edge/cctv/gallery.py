"""The alert gallery on the watcher: a verified signed snapshot, kept on disk, searched 1:N.

SOP-003-D05 step 2 needs the faces of the "alert system" at every camera. Central signs each gallery
snapshot (Ed25519); the watcher verifies it before use, refuses one older than the copy it holds
(no rollback), and keeps the verified bytes on disk so it goes on watching when central is away.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from numpy.typing import NDArray

from core.wire.cctv import CctvWireError, GalleryEntry, GallerySnapshot, verify_snapshot
from edge.cctv.errors import GalleryRefusedError, GalleryUnavailableError
from models import FaceTemplate, TemplateError
from models.gallery import QUANTISE_FROM_ROWS, QuantisedIndex

log = logging.getLogger("edge.cctv")


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Central's gallery-signing public key from a PEM file."""
    try:
        key = load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise GalleryRefusedError(f"cannot read central's public key from {path}: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise GalleryRefusedError(f"{path} is not an Ed25519 public key; export central's gallery key")
    return key


@dataclass(frozen=True)
class GalleryHit:
    """The best-scoring entry for one probe face."""

    entry: GalleryEntry
    score: float


class AlertGallery:
    """Every template of every entry as one contiguous, row-normalised float32 matrix.

    Each row maps back to its entry, so a person enrolled with several photos is scored by the best of
    them. A small gallery is searched with one BLAS matrix-vector product and an argmax; from
    ``quantise_from`` rows on, through ``models.gallery.QuantisedIndex`` (an int8 copy scored by an
    integer kernel, then exact re-scoring of every row that could win), which gives the same entry and
    score in a fraction of the time.
    """

    def __init__(
        self,
        snapshot: GallerySnapshot,
        *,
        model_id: str,
        version: str,
        quantise_from: int = QUANTISE_FROM_ROWS,
    ) -> None:
        self.snapshot = snapshot
        self.model_id, self.version = model_id, version
        rows: list[NDArray[np.float32]] = []
        owners: list[int] = []
        for index, entry in enumerate(snapshot.entries):
            for raw in entry.templates:
                try:
                    template = FaceTemplate.from_bytes(raw)
                except TemplateError as exc:
                    raise GalleryRefusedError(f"gallery entry {entry.entry_id}: {exc}") from exc
                if (template.model_id, template.version) != (model_id, version):
                    # A template of another model scores nonsense against ours: refuse, do not skip.
                    raise GalleryRefusedError(
                        f"gallery entry {entry.entry_id} holds a {template.model_id} {template.version} "
                        f"template but this watcher runs {model_id} {version}; re-enrol the entry"
                    )
                rows.append(template.vector)
                owners.append(index)
        dimension = rows[0].shape[0] if rows else 0
        if any(r.shape != (dimension,) for r in rows):
            raise GalleryRefusedError("gallery templates differ in length; re-enrol the entries")
        matrix = np.stack(rows) if rows else np.zeros((0, dimension), dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self._matrix: NDArray[np.float32] = np.ascontiguousarray(
            matrix / np.maximum(norms, 1e-12), np.float32
        )
        self._owners = np.asarray(owners, dtype=np.int64)
        self._index = QuantisedIndex(self._matrix) if len(owners) >= quantise_from else None

    @property
    def version_number(self) -> int:
        return self.snapshot.version

    def __len__(self) -> int:
        return len(self.snapshot.entries)

    @property
    def template_count(self) -> int:
        return int(self._matrix.shape[0])

    def best_match(self, probe: FaceTemplate) -> GalleryHit | None:
        """The entry most like ``probe`` and its cosine, or ``None`` for an empty gallery."""
        if self._matrix.shape[0] == 0:
            return None
        if (probe.model_id, probe.version) != (self.model_id, self.version):
            raise GalleryRefusedError(
                f"probe of {probe.model_id} {probe.version} cannot be searched in a {self.model_id} gallery"
            )
        if self._index is None:
            return self.best_match_float32(probe)
        rows, scores = self._index.top(probe.vector, 1)
        return GalleryHit(self.snapshot.entries[int(self._owners[rows[0]])], float(scores[0]))

    def best_match_float32(self, probe: FaceTemplate) -> GalleryHit | None:
        """The plain search (one float32 matrix-vector product over every row): the reference the
        quantised search is tested and benchmarked against."""
        if self._matrix.shape[0] == 0:
            return None
        scores = self._matrix @ probe.vector
        row = int(np.argmax(scores))
        return GalleryHit(self.snapshot.entries[int(self._owners[row])], float(scores[row]))


class GalleryCache:
    """The last verified signed snapshot on disk, written atomically; nothing else is stored."""

    def __init__(self, path: Path, public_key: Ed25519PublicKey) -> None:
        self.path, self.public_key = path, public_key

    def load(self) -> GallerySnapshot | None:
        """The cached snapshot, verified again (the disk is not trusted), or ``None`` when there is none."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            return verify_snapshot(data, self.public_key)
        except CctvWireError as exc:
            raise GalleryRefusedError(f"the gallery copy at {self.path} does not verify: {exc}") from exc

    def accept(self, data: bytes) -> GallerySnapshot:
        """Verify ``data`` and, when it is not older than the copy held, keep it; returns what is now held."""
        try:
            snapshot = verify_snapshot(data, self.public_key)
        except CctvWireError as exc:
            raise GalleryRefusedError(str(exc)) from exc
        held = self.load_quietly()
        if held is not None and snapshot.version < held.version:
            raise GalleryRefusedError(
                f"gallery version {snapshot.version} is older than version {held.version} held; refusing "
                "a rollback"
            )
        if held is not None and snapshot.version == held.version:
            return held
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        return snapshot

    def load_quietly(self) -> GallerySnapshot | None:
        try:
            return self.load()
        except GalleryRefusedError:
            return None

    def refresh(self, fetch: Callable[[], bytes] | None) -> tuple[GallerySnapshot, str]:
        """Fetch from central when possible, else fall back to the copy on disk.

        Returns the snapshot and where it came from (``"central"`` or ``"cache"``); raises
        ``GalleryUnavailableError`` when neither gives a verified gallery.
        """
        problem = "no central address configured"
        if fetch is not None:
            try:
                return self.accept(fetch()), "central"
            except (OSError, GalleryRefusedError) as exc:
                problem = str(exc)
        held = self.load()
        if held is None:
            raise GalleryUnavailableError(
                f"no alert gallery: central gave none ({problem}) and there is no copy at {self.path}; "
                "connect the watcher to central once"
            )
        return held, "cache"


def http_fetcher(central_url: str, token: str, *, timeout_s: float = 5.0) -> Callable[[], bytes]:
    """A fetch function for :meth:`GalleryCache.refresh` that asks central for the signed snapshot."""
    import httpx  # only the CLI talks to central; tests and benchmarks do not need it

    url = central_url.rstrip("/") + "/api/v1/cctv/gallery/snapshot"

    def fetch() -> bytes:
        try:
            response = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout_s)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ConnectionError(f"cannot fetch the alert gallery from {url}: {exc}") from exc
        return response.content

    return fetch


class GalleryRefresher:
    """Picks up a new gallery while the watcher runs, never giving up the last good one.

    SOP-003-D05 step 2 needs the current alert system at every camera without restarting it. Each
    :meth:`check` asks central (when a fetch function is given) and, when central is away or gave
    nothing new, looks whether the copy on disk changed (an operator may drop in a newer signed file).
    A snapshot is used only when it verifies, is newer than the gallery in use and builds for this
    watcher's model; anything else is logged at ERROR (central away: WARNING) and kept in
    :attr:`problems`, and the watcher goes on with what it has. :meth:`start` runs checks in a thread
    every ``interval_s`` so a slow central never stalls the frames; the watcher calls :meth:`take`
    between frames.
    """

    def __init__(
        self,
        cache: GalleryCache,
        fetch: Callable[[], bytes] | None,
        current: AlertGallery,
        *,
        interval_s: float = 60.0,
        on_problem: Callable[[str], None] | None = None,
    ) -> None:
        self.cache, self.fetch, self.current = cache, fetch, current
        self.interval_s = interval_s
        self.on_problem = on_problem
        self.problems: list[str] = []
        self._seen_file = self._file_state()
        self._pending: AlertGallery | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one round ------------------------------------------------------------------------------------

    def check(self) -> AlertGallery | None:
        """One refresh round; returns the new gallery when one was taken into use (else ``None``)."""
        snapshot: GallerySnapshot | None = None
        if self.fetch is not None:
            try:
                data = self.fetch()
            except OSError as exc:
                self._problem(
                    f"central is away, watching on with gallery version {self._version()}: {exc}",
                    logging.WARNING,
                )
            else:
                try:
                    snapshot = self.cache.accept(data)
                except GalleryRefusedError as exc:
                    self._problem(
                        f"refused the gallery from central, keeping version {self._version()}: {exc}"
                    )
                self._seen_file = self._file_state()
        state = self._file_state()
        if snapshot is None and state != self._seen_file:
            self._seen_file = state
            try:
                snapshot = self.cache.load()
            except GalleryRefusedError as exc:
                self._problem(
                    f"the changed gallery file is refused, keeping version {self._version()}: {exc}"
                )
        if snapshot is None or snapshot.version == self._version():
            return None
        if snapshot.version < self._version():
            self._problem(
                f"gallery version {snapshot.version} is older than version {self._version()} in use; "
                "refusing a rollback"
            )
            return None
        try:
            gallery = AlertGallery(snapshot, model_id=self.current.model_id, version=self.current.version)
        except GalleryRefusedError as exc:
            self._problem(
                f"gallery version {snapshot.version} cannot be used, keeping {self._version()}: {exc}"
            )
            return None
        with self._lock:
            self.current = self._pending = gallery
        log.info("alert gallery version %d in use: %d entries", snapshot.version, len(gallery))
        return gallery

    def take(self) -> AlertGallery | None:
        """The gallery taken into use since the last call, for the watcher to switch to (else ``None``)."""
        with self._lock:
            gallery, self._pending = self._pending, None
        return gallery

    # -- background -----------------------------------------------------------------------------------

    def start(self) -> GalleryRefresher:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="cctv-gallery-refresh", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.check()
            except Exception as exc:  # the refresher must never take the watch down
                self._problem(f"gallery refresh failed: {exc!r}")

    # -- helpers --------------------------------------------------------------------------------------

    def _version(self) -> int:
        return self.current.version_number

    def _file_state(self) -> bytes | None:
        """A digest of the file (not its mtime, which is too coarse to see two writes in a row)."""
        try:
            data = self.cache.path.read_bytes()
        except FileNotFoundError:
            return None
        return hashlib.blake2b(data, digest_size=16).digest()

    def _problem(self, message: str, level: int = logging.ERROR) -> None:
        log.log(level, "%s", message)
        self.problems.append(message)
        del self.problems[:-50]
        if self.on_problem is not None:
            self.on_problem(message)
