"""The alert gallery on the watcher: a verified signed snapshot, kept on disk, searched 1:N.

SOP-003-D05 step 2 needs the faces of the "alert system" at every camera. Central signs each gallery
snapshot (Ed25519); the watcher verifies it before use, refuses one older than the copy it holds
(no rollback), and keeps the verified bytes on disk so it goes on watching when central is away.
"""

from __future__ import annotations

import os
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

    A search is one BLAS matrix-vector product and an argmax over the rows; each row maps back to its
    entry, so a person enrolled with several photos is scored by the best of them.
    """

    def __init__(self, snapshot: GallerySnapshot, *, model_id: str, version: str) -> None:
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
