"""Gallery refresh while watching (SOP-003-D05 step 2: the current alert system at every camera).

A watcher starts with a gallery that lists only person B; a newer signed gallery listing person A
reaches it from central or as a changed file, and the next walk of person A alarms without a restart.
Central away, a bad signature, a rollback or a gallery of another model leave the last good gallery in
use, and each is logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.clock import ManualClock
from core.wire.cctv import GalleryEntry, GallerySnapshot, sign_snapshot
from edge.cctv.gallery import AlertGallery, GalleryCache, GalleryRefresher
from edge.cctv.sinks import AlarmList
from edge.cctv.source import SequenceSource
from edge.cctv.watcher import CctvWatcher
from models import FacePipeline, FaceTemplate
from tests.cctv.video import walk

Signer = Callable[..., bytes]


@pytest.fixture
def sign(entries: tuple[GalleryEntry, ...], signing_key: Ed25519PrivateKey) -> Signer:
    def make(version: int, *entry_ids: str, key: Ed25519PrivateKey = signing_key) -> bytes:
        chosen = tuple(e for e in entries if e.entry_id in entry_ids)
        return sign_snapshot(
            GallerySnapshot(version, datetime(2026, 12, 2, tzinfo=UTC).isoformat(), chosen), key
        )

    return make


@pytest.fixture
def cache(signing_key: Ed25519PrivateKey, tmp_path: Path) -> GalleryCache:
    return GalleryCache(tmp_path / "gallery.bin", signing_key.public_key())


def start(pipeline: FacePipeline, cache: GalleryCache, sign: Signer) -> AlertGallery:
    snapshot = cache.accept(sign(1, "alert-b"))
    return AlertGallery(snapshot, model_id=pipeline.embedder.model_id, version=pipeline.embedder.version)


def walk_through(watcher: CctvWatcher, name: str, refresher: GalleryRefresher | None = None) -> list[str]:
    raised: list[str] = []
    watcher.run(SequenceSource(walk(name)), on_alarm=lambda a: raised.append(a.entry_id), refresher=refresher)
    return raised


class Central:
    """What central answers to ``GET /api/v1/cctv/gallery/snapshot``; ``None`` = unreachable."""

    def __init__(self, data: bytes | None) -> None:
        self.data = data
        self.calls = 0

    def __call__(self) -> bytes:
        self.calls += 1
        if self.data is None:
            raise ConnectionError("central unreachable (test)")
        return self.data


def test_a_new_version_from_central_is_used_without_restarting(
    pipeline: FacePipeline, cache: GalleryCache, sign: Signer
) -> None:
    gallery = start(pipeline, cache, sign)
    central = Central(sign(1, "alert-b"))
    refresher = GalleryRefresher(cache, central, gallery)
    watcher = CctvWatcher("cam-1", pipeline, gallery, AlarmList(), clock=ManualClock())
    assert refresher.check() is None  # same version: nothing to do
    assert walk_through(watcher, "person_a_2", refresher) == []  # A is not listed yet

    central.data = sign(2, "alert-a", "alert-b")
    assert refresher.check() is not None
    assert walk_through(watcher, "person_a_2", refresher) == ["alert-a"]
    assert watcher.gallery.version_number == 2
    assert cache.load() is not None and cache.load().version == 2  # type: ignore[union-attr]
    assert refresher.problems == []


def test_central_away_keeps_the_last_good_gallery_and_logs_it(
    pipeline: FacePipeline, cache: GalleryCache, sign: Signer, caplog: pytest.LogCaptureFixture
) -> None:
    gallery = start(pipeline, cache, sign)
    watcher = CctvWatcher("cam-1", pipeline, gallery, AlarmList(), clock=ManualClock())
    refresher = GalleryRefresher(cache, Central(None), gallery)
    with caplog.at_level(logging.WARNING, logger="edge.cctv"):
        assert refresher.check() is None
    assert "central is away" in caplog.text and "version 1" in caplog.text
    assert walk_through(watcher, "person_b_2", refresher) == ["alert-b"]  # still watching


@pytest.mark.parametrize("problem", ["forged", "garbage", "rollback"])
def test_a_refused_gallery_from_central_leaves_the_last_good_one_in_use(
    pipeline: FacePipeline, cache: GalleryCache, sign: Signer, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    cache.accept(sign(1, "alert-b"))
    snapshot = cache.accept(sign(3, "alert-b"))
    gallery = AlertGallery(snapshot, model_id=pipeline.embedder.model_id, version=pipeline.embedder.version)
    on_disk = cache.path.read_bytes()
    bad = {
        "forged": sign(4, "alert-a", "alert-b", key=Ed25519PrivateKey.generate()),
        "garbage": b"not a gallery",
        "rollback": sign(2, "alert-a", "alert-b"),
    }[problem]
    reported: list[str] = []
    refresher = GalleryRefresher(cache, Central(bad), gallery, on_problem=reported.append)
    with caplog.at_level(logging.ERROR, logger="edge.cctv"):
        assert refresher.check() is None
    assert len(reported) == 1 and "refused" in reported[0] and "keeping version 3" in reported[0]
    assert reported[0] in caplog.text
    assert refresher.current is gallery and refresher.take() is None
    assert cache.path.read_bytes() == on_disk  # the good copy on disk is untouched


def test_a_changed_file_is_picked_up_and_a_bad_one_refused(
    pipeline: FacePipeline, cache: GalleryCache, sign: Signer
) -> None:
    gallery = start(pipeline, cache, sign)
    watcher = CctvWatcher("cam-1", pipeline, gallery, AlarmList(), clock=ManualClock())
    refresher = GalleryRefresher(cache, None, gallery)  # no central configured
    assert refresher.check() is None  # unchanged file

    cache.path.write_bytes(sign(2, "alert-a"))  # an operator drops in a newer signed gallery
    assert refresher.check() is not None
    assert walk_through(watcher, "person_a_2", refresher) == ["alert-a"]

    cache.path.write_bytes(b"corrupted" * 10)
    assert refresher.check() is None
    assert "changed gallery file is refused" in refresher.problems[-1]
    assert watcher.gallery.version_number == 2
    assert walk_through(watcher, "person_a_2", refresher) == ["alert-a"]  # the last good copy, in memory


def test_a_gallery_of_another_model_is_refused(
    pipeline: FacePipeline, cache: GalleryCache, sign: Signer, signing_key: Ed25519PrivateKey
) -> None:
    gallery = start(pipeline, cache, sign)
    alien = FaceTemplate.from_embedding("other-model", "9", [1.0] * 128).to_bytes()
    snapshot = GallerySnapshot(5, "2026-12-02T00:00:00+00:00", (GalleryEntry("x", None, "", (alien,)),))
    refresher = GalleryRefresher(cache, Central(sign_snapshot(snapshot, signing_key)), gallery)
    assert refresher.check() is None
    assert "cannot be used" in refresher.problems[-1] and refresher.current is gallery


def test_the_background_thread_refreshes_while_frames_are_processed(
    pipeline: FacePipeline, cache: GalleryCache, sign: Signer
) -> None:
    gallery = start(pipeline, cache, sign)
    central = Central(sign(2, "alert-a", "alert-b"))
    taken = threading.Event()
    refresher = GalleryRefresher(cache, central, gallery, interval_s=0.05).start()
    try:
        deadline = time.monotonic() + 30
        while refresher.current.version_number != 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        watcher = CctvWatcher("cam-1", pipeline, gallery, AlarmList(), clock=ManualClock())
        assert walk_through(watcher, "person_a_2", refresher) == ["alert-a"]
        taken.set()
    finally:
        refresher.close()
    assert taken.is_set() and central.calls >= 1
