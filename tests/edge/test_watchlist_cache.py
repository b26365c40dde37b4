"""The gate's watch-list replica: only signed, chained versions are used; age is reported and alarmed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core import wire
from core.clock import ManualClock
from core.documents import parse_mrz, render_mrz
from core.watchlist import (
    Delta,
    Snapshot,
    SnapshotSignatureError,
    VersionChainError,
    sign_delta,
    sign_snapshot,
)
from edge.flow import Verdict
from edge.watchlist_cache import SNAPSHOT_FILE, HttpFetcher, WatchlistCache
from tests.edge.http_fake import FakeCentral
from tests.edge.rig import cekal_entry, passport

KEY = Ed25519PrivateKey.generate()


class Alarms:
    def __init__(self) -> None:
        self.raised: list[str] = []
        self.cleared: list[str] = []

    def attach(self, cache: WatchlistCache) -> WatchlistCache:
        cache.when_alarm = lambda kind, _message: self.raised.append(kind)
        cache.when_alarm_cleared = self.cleared.append
        return cache


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def snapshot(clock: ManualClock, version: int, *entries: object, age_h: float = 1.0) -> Snapshot:
    return Snapshot(version, tuple(entries), clock.now() - timedelta(hours=age_h))  # type: ignore[arg-type]


def test_a_signed_snapshot_screens_a_listed_holder_as_identik(tmp_path: Path, clock: ManualClock) -> None:
    cache = WatchlistCache(tmp_path, KEY.public_key(), clock)
    cache.install_snapshot(sign_snapshot(snapshot(clock, 3, cekal_entry()), KEY))
    screening = cache.screen(parse_mrz(render_mrz(passport(), "TD3")))
    assert (screening.verdict, screening.entry_id, screening.agency) == (Verdict.IDENTICAL, "CK-1", "KPK")
    assert (
        cache.screen(parse_mrz(render_mrz(passport("Y7654321", surname="WIJAYA"), "TD3"))).verdict
        is Verdict.NO_HIT
    )


def test_a_snapshot_signed_by_another_key_is_refused_and_alarmed(tmp_path: Path, clock: ManualClock) -> None:
    alarms = Alarms()
    cache = alarms.attach(WatchlistCache(tmp_path, KEY.public_key(), clock))
    cache.install_snapshot(sign_snapshot(snapshot(clock, 1), KEY))
    forged = sign_snapshot(snapshot(clock, 2, cekal_entry()), Ed25519PrivateKey.generate())
    with pytest.raises(SnapshotSignatureError):
        cache.install_snapshot(forged)
    assert cache.version == 1 and alarms.raised == ["watchlist_rejected"]


def test_a_stored_file_that_no_longer_verifies_is_moved_aside_on_load(
    tmp_path: Path, clock: ManualClock
) -> None:
    (tmp_path / SNAPSHOT_FILE).write_bytes(b"WLS1" + b"\0" * 80)
    alarms = Alarms()
    cache = alarms.attach(WatchlistCache(tmp_path, KEY.public_key(), clock))
    assert cache.load() is None
    assert (tmp_path / (SNAPSHOT_FILE + ".refused")).exists() and "watchlist_rejected" in alarms.raised


def test_deltas_chain_versions_and_survive_a_restart(tmp_path: Path, clock: ManualClock) -> None:
    v1, v2 = snapshot(clock, 1), snapshot(clock, 2, cekal_entry())
    cache = WatchlistCache(tmp_path, KEY.public_key(), clock)
    cache.install_snapshot(sign_snapshot(v1, KEY))
    cache.install_delta(sign_delta(Delta.between(v1, v2), KEY))
    restarted = WatchlistCache(tmp_path, KEY.public_key(), clock)
    assert restarted.load() == 2
    assert restarted.screen(parse_mrz(render_mrz(passport(), "TD3"))).verdict is Verdict.IDENTICAL


def test_a_delta_for_another_base_is_refused(tmp_path: Path, clock: ManualClock) -> None:
    v1, v2, v3 = snapshot(clock, 1), snapshot(clock, 2, cekal_entry()), snapshot(clock, 3)
    cache = WatchlistCache(tmp_path, KEY.public_key(), clock)
    cache.install_snapshot(sign_snapshot(v1, KEY))
    with pytest.raises(VersionChainError):
        cache.install_delta(sign_delta(Delta.between(v2, v3), KEY))
    assert cache.version == 1


def test_age_is_reported_and_a_stale_list_alarms_once_until_a_fresh_one(
    tmp_path: Path, clock: ManualClock
) -> None:
    alarms = Alarms()
    cache = alarms.attach(WatchlistCache(tmp_path, KEY.public_key(), clock, max_age_s=7200))
    cache.install_snapshot(sign_snapshot(snapshot(clock, 1), KEY))
    assert cache.age_s() == pytest.approx(3600) and not cache.check_age()
    clock.advance(3601)
    assert cache.check_age() and cache.check_age()
    assert alarms.raised == ["watchlist_stale"]
    cache.install_snapshot(sign_snapshot(snapshot(clock, 2, age_h=0), KEY))
    assert alarms.cleared == ["watchlist_stale"]


def _ref(path: str, data: bytes) -> wire.ArtifactRef:
    return wire.ArtifactRef(path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


@pytest.fixture
def central() -> Iterator[FakeCentral]:
    server = FakeCentral(token="device-secret")
    yield server
    server.close()


def _announce(
    clock: ManualClock, snap: wire.ArtifactRef, delta: wire.ArtifactRef | None, version: int
) -> wire.WatchlistAnnouncement:
    return wire.WatchlistAnnouncement(
        ts=clock.now(), device_id="central", site="cgk", version=version, snapshot_version=version - 1,
        snapshot=snap, delta=delta,
    )  # fmt: skip


def test_an_announcement_fetches_only_the_delta_when_it_follows_on(
    tmp_path: Path, clock: ManualClock, central: FakeCentral
) -> None:
    v1, v2 = snapshot(clock, 1), snapshot(clock, 2, cekal_entry())
    snap, delta = sign_snapshot(v1, KEY), sign_delta(Delta.between(v1, v2), KEY)
    central.files = {"/api/v1/watchlist/snapshots/1": snap, "/api/v1/watchlist/deltas/1-2": delta}
    fetcher = HttpFetcher(central.url, token="device-secret")
    cache = WatchlistCache(tmp_path, KEY.public_key(), clock, fetcher=fetcher)
    cache.install_snapshot(snap)
    announcement = _announce(
        clock, _ref("/api/v1/watchlist/snapshots/1", snap), _ref("/api/v1/watchlist/deltas/1-2", delta), 2
    )
    assert cache.on_announcement(announcement) == 2
    assert [path for path, _ in central.requests] == ["/api/v1/watchlist/deltas/1-2"]
    assert central.requests[0][1] == "Bearer device-secret"


def test_a_new_gate_fetches_the_snapshot_then_the_delta(
    tmp_path: Path, clock: ManualClock, central: FakeCentral
) -> None:
    v1, v2 = snapshot(clock, 1), snapshot(clock, 2, cekal_entry())
    snap, delta = sign_snapshot(v1, KEY), sign_delta(Delta.between(v1, v2), KEY)
    central.files = {"/s/1": snap, "/d/1-2": delta}
    cache = WatchlistCache(
        tmp_path, KEY.public_key(), clock, fetcher=HttpFetcher(central.url, token="device-secret")
    )
    assert cache.on_announcement(_announce(clock, _ref("/s/1", snap), _ref("/d/1-2", delta), 2)) == 2


def test_a_download_that_does_not_match_its_hash_is_refused_and_the_list_kept(
    tmp_path: Path, clock: ManualClock, central: FakeCentral
) -> None:
    v1, v2 = snapshot(clock, 1), snapshot(clock, 2, cekal_entry())
    snap, delta = sign_snapshot(v1, KEY), sign_delta(Delta.between(v1, v2), KEY)
    central.files = {"/d/1-2": delta[:-1] + b"\0"}
    alarms = Alarms()
    cache = alarms.attach(
        WatchlistCache(
            tmp_path, KEY.public_key(), clock, fetcher=HttpFetcher(central.url, token="device-secret")
        )
    )
    cache.install_snapshot(snap)
    assert cache.on_announcement(_announce(clock, _ref("/s/1", snap), _ref("/d/1-2", delta), 2)) == 1
    assert alarms.raised == ["watchlist_rejected"]
