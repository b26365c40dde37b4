"""The signed alert gallery on the watcher: verified before use, kept on disk, never rolled back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import msgpack
import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.wire.cctv import GalleryEntry, GallerySnapshot, sign_snapshot
from edge.cctv.errors import GalleryRefusedError, GalleryUnavailableError
from edge.cctv.gallery import AlertGallery, GalleryCache
from models import FacePipeline, FaceTemplate


def cache(tmp_path: Path, key: Ed25519PrivateKey) -> GalleryCache:
    return GalleryCache(tmp_path / "gallery.bin", key.public_key())


def test_a_verified_snapshot_is_kept_on_disk(
    tmp_path: Path, signing_key: Ed25519PrivateKey, signed_gallery: Callable[[int], bytes]
) -> None:
    cache(tmp_path, signing_key).accept(signed_gallery(2))
    held = cache(tmp_path, signing_key).load()
    assert held is not None and held.version == 2


def test_a_snapshot_signed_by_another_key_is_refused_and_not_kept(
    tmp_path: Path, signing_key: Ed25519PrivateKey, entries: tuple[GalleryEntry, ...]
) -> None:
    forged = sign_snapshot(
        GallerySnapshot(9, "2026-11-22T00:00:00+00:00", entries), Ed25519PrivateKey.generate()
    )
    with pytest.raises(GalleryRefusedError, match="signature"):
        cache(tmp_path, signing_key).accept(forged)
    assert not (tmp_path / "gallery.bin").exists()


def test_an_altered_snapshot_is_refused(
    tmp_path: Path, signing_key: Ed25519PrivateKey, signed_gallery: Callable[[int], bytes]
) -> None:
    envelope = msgpack.unpackb(signed_gallery(1), raw=False)
    envelope["body"] = envelope["body"].replace(b"alert-a", b"alert-x")
    with pytest.raises(GalleryRefusedError):
        cache(tmp_path, signing_key).accept(msgpack.packb(envelope, use_bin_type=True))


def test_an_older_snapshot_than_the_one_held_is_refused(
    tmp_path: Path, signing_key: Ed25519PrivateKey, signed_gallery: Callable[[int], bytes]
) -> None:
    cache(tmp_path, signing_key).accept(signed_gallery(5))
    with pytest.raises(GalleryRefusedError, match="rollback"):
        cache(tmp_path, signing_key).accept(signed_gallery(4))


def test_the_watcher_works_from_its_copy_when_central_is_away(
    tmp_path: Path, signing_key: Ed25519PrivateKey, signed_gallery: Callable[[int], bytes]
) -> None:
    cache(tmp_path, signing_key).accept(signed_gallery(3))

    def central_away() -> bytes:
        raise ConnectionError("central unreachable")

    snapshot, origin = cache(tmp_path, signing_key).refresh(central_away)
    assert (snapshot.version, origin) == (3, "cache")


def test_a_newer_snapshot_from_central_replaces_the_copy(
    tmp_path: Path, signing_key: Ed25519PrivateKey, signed_gallery: Callable[[int], bytes]
) -> None:
    cache(tmp_path, signing_key).accept(signed_gallery(3))
    snapshot, origin = cache(tmp_path, signing_key).refresh(lambda: signed_gallery(4))
    assert (snapshot.version, origin) == (4, "central")
    assert cache(tmp_path, signing_key).load() == snapshot


def test_no_central_and_no_copy_is_an_explained_error(tmp_path: Path, signing_key: Ed25519PrivateKey) -> None:
    with pytest.raises(GalleryUnavailableError, match="connect the watcher to central"):
        cache(tmp_path, signing_key).refresh(None)


def test_a_tampered_copy_on_disk_is_refused(
    tmp_path: Path, signing_key: Ed25519PrivateKey, signed_gallery: Callable[[int], bytes]
) -> None:
    cache(tmp_path, signing_key).accept(signed_gallery(1))
    path = tmp_path / "gallery.bin"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(GalleryRefusedError, match="does not verify"):
        cache(tmp_path, signing_key).load()


def test_a_template_of_another_model_is_refused(pipeline: FacePipeline) -> None:
    alien = FaceTemplate.from_embedding("arcface", "r100", np.ones(512, np.float32)).to_bytes()
    snapshot = GallerySnapshot(1, "2026-11-22T00:00:00+00:00", (GalleryEntry("g", None, "x", (alien,)),))
    with pytest.raises(GalleryRefusedError, match="re-enrol"):
        AlertGallery(snapshot, model_id=pipeline.embedder.model_id, version=pipeline.embedder.version)


def test_an_entry_with_several_templates_scores_its_best_one() -> None:
    a = FaceTemplate.from_embedding("m", "1", np.array([1.0, 0.0, 0.0], np.float32))
    b = FaceTemplate.from_embedding("m", "1", np.array([0.0, 1.0, 0.0], np.float32))
    c = FaceTemplate.from_embedding("m", "1", np.array([0.0, 0.0, 1.0], np.float32))
    snapshot = GallerySnapshot(
        1,
        "2026-11-22T00:00:00+00:00",
        (
            GalleryEntry("one", None, "", (a.to_bytes(), b.to_bytes())),
            GalleryEntry("two", None, "", (c.to_bytes(),)),
        ),
    )
    hit = AlertGallery(snapshot, model_id="m", version="1").best_match(b)
    assert hit is not None and (hit.entry.entry_id, round(hit.score, 6)) == ("one", 1.0)


def test_an_empty_gallery_matches_nobody() -> None:
    probe = FaceTemplate.from_embedding("m", "1", np.array([1.0, 0.0], np.float32))
    gallery = AlertGallery(GallerySnapshot(1, "2026-11-22T00:00:00+00:00", ()), model_id="m", version="1")
    assert gallery.best_match(probe) is None
