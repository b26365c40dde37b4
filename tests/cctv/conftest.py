"""Shared pieces for the CCTV tests: one loaded face pipeline, a signing key, and signed galleries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.wire.cctv import GalleryEntry, GallerySnapshot, sign_snapshot
from edge.cctv.gallery import AlertGallery, GalleryCache
from models import FacePipeline
from models.prepare import prepare
from tests.cctv.video import photo

# Who is listed in the alert gallery in these tests, from which reference photo (CREDITS.md there).
LISTED = {"alert-a": ("person_a_1", "W-0001"), "alert-b": ("person_b_1", None)}


@pytest.fixture(scope="session")
def pipeline() -> FacePipeline:
    prepare()
    return FacePipeline.load()


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def entries(pipeline: FacePipeline) -> tuple[GalleryEntry, ...]:
    return tuple(
        GalleryEntry(
            entry_id, watchlist_id, f"listed person {entry_id}", (pipeline.enrol(photo(name)).to_bytes(),)
        )
        for entry_id, (name, watchlist_id) in LISTED.items()
    )


@pytest.fixture(scope="session")
def signed_gallery(
    entries: tuple[GalleryEntry, ...], signing_key: Ed25519PrivateKey
) -> Callable[[int], bytes]:
    """The signed alert gallery at a given version."""

    def make(version: int = 1) -> bytes:
        snapshot = GallerySnapshot(version, datetime(2026, 11, 22, tzinfo=UTC).isoformat(), entries)
        return sign_snapshot(snapshot, signing_key)

    return make


@pytest.fixture
def gallery(
    pipeline: FacePipeline,
    signed_gallery: Callable[[int], bytes],
    signing_key: Ed25519PrivateKey,
    tmp_path: Path,
) -> AlertGallery:
    snapshot = GalleryCache(tmp_path / "gallery.bin", signing_key.public_key()).accept(signed_gallery(1))
    return AlertGallery(snapshot, model_id=pipeline.embedder.model_id, version=pipeline.embedder.version)
