"""The gate's watch-list replica: only signed, chained versions are used; age is reported and alarmed."""

from __future__ import annotations

import dataclasses
import hashlib
import socket
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import msgpack
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core import wire
from core.clock import ManualClock
from core.documents import parse_mrz, render_mrz
from core.watchlist import (
    Delta,
    OverlayIndex,
    Query,
    Snapshot,
    SnapshotSignatureError,
    VersionChainError,
    WatchlistIndex,
    sign_delta,
    sign_prepared_snapshot,
    sign_snapshot,
)
from core.watchlist.synthetic import labelled_variants, synthetic_entries
from edge.flow import Verdict
from edge.watchlist_cache import DELTA_SUFFIX, PREPARED_FILE, SNAPSHOT_FILE, HttpFetcher, WatchlistCache
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


# -- prepared snapshots: the built index, loaded without a rebuild; deltas on an overlay ----------


def prepared_of(snap: Snapshot) -> bytes:
    return bytes(sign_prepared_snapshot(snap, KEY))


def holder_query() -> Query:
    return Query.from_mrz_fields("SANTOSO", "BUDI", date(1980, 5, 17), "IDN", "M", "")


def test_a_prepared_snapshot_is_installed_used_and_stored(tmp_path: Path, clock: ManualClock) -> None:
    cache = WatchlistCache(tmp_path, KEY.public_key(), clock)
    assert cache.install_prepared(prepared_of(snapshot(clock, 3, cekal_entry()))) == 3
    assert cache.prepared is not None and cache.snapshot is None
    assert isinstance(cache.index, OverlayIndex) and cache.index.base is cache.prepared.index
    screening = cache.screen(parse_mrz(render_mrz(passport(), "TD3")))
    assert (screening.verdict, screening.entry_id, screening.agency) == (Verdict.IDENTICAL, "CK-1", "KPK")
    assert (tmp_path / PREPARED_FILE).exists() and not (tmp_path / SNAPSHOT_FILE).exists()
    assert cache.age_s() == pytest.approx(3600)


def test_deltas_on_a_prepared_base_use_an_overlay_and_a_restart_loads_both_from_disk(
    tmp_path: Path, clock: ManualClock
) -> None:
    others = tuple(synthetic_entries(200, seed=4, today=date(2026, 11, 22)))
    v1 = snapshot(clock, 1, *others)
    v2 = snapshot(clock, 2, cekal_entry(), *others[1:])  # the holder added, one entry removed
    v3 = snapshot(clock, 3, cekal_entry("WIJAYA"), *others[1:150])  # the holder's name changed
    cache = WatchlistCache(tmp_path, KEY.public_key(), clock)
    cache.install_prepared(prepared_of(v1))
    base = cache.prepared
    assert cache.install_delta(sign_delta(Delta.between(v1, v2), KEY)) == 2
    assert cache.screen(parse_mrz(render_mrz(passport(), "TD3"))).verdict is Verdict.IDENTICAL
    assert cache.install_delta(sign_delta(Delta.between(v2, v3), KEY)) == 3
    assert cache.prepared is base and cache.overlay is not None  # no rebuild: the same base
    assert cache.screen(parse_mrz(render_mrz(passport(), "TD3"))).verdict is not Verdict.IDENTICAL
    renamed = passport(surname="WIJAYA")
    assert cache.screen(parse_mrz(render_mrz(renamed, "TD3"))).verdict is Verdict.IDENTICAL

    restarted = WatchlistCache(tmp_path, KEY.public_key(), clock)
    assert restarted.load() == 3
    assert restarted.prepared is not None and restarted.snapshot is None
    assert restarted.current is not None and restarted.current.content_hash == v3.content_hash()
    fresh = WatchlistIndex.build(v3.entries)
    queries = [lq.query for lq in labelled_variants(list(v3.entries), 5, seed=2, today=date(2026, 11, 22))]
    assert restarted.index is not None
    for q in [holder_query(), *queries]:
        got = restarted.index.match(q, today=date(2026, 11, 22))
        assert got == fresh.match(q, today=date(2026, 11, 22))


def test_a_tampered_prepared_snapshot_is_refused_alarmed_and_the_list_kept(
    tmp_path: Path, clock: ManualClock
) -> None:
    alarms = Alarms()
    cache = alarms.attach(WatchlistCache(tmp_path, KEY.public_key(), clock))
    good = prepared_of(snapshot(clock, 1, cekal_entry()))
    cache.install_prepared(good)
    tampered = bytearray(prepared_of(snapshot(clock, 2)))
    tampered[len(tampered) // 2] ^= 1
    with pytest.raises(SnapshotSignatureError):
        cache.install_prepared(bytes(tampered))
    forged = bytes(sign_prepared_snapshot(snapshot(clock, 2), Ed25519PrivateKey.generate()))
    with pytest.raises(SnapshotSignatureError):
        cache.install_prepared(forged)
    assert cache.version == 1 and alarms.raised == ["watchlist_rejected", "watchlist_rejected"]
    assert cache.screen(parse_mrz(render_mrz(passport(), "TD3"))).verdict is Verdict.IDENTICAL
    assert (tmp_path / PREPARED_FILE).read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == [PREPARED_FILE]  # nothing half-installed


def test_an_older_prepared_snapshot_is_refused(tmp_path: Path, clock: ManualClock) -> None:
    cache = WatchlistCache(tmp_path, KEY.public_key(), clock)
    cache.install_snapshot(sign_snapshot(snapshot(clock, 5), KEY))
    with pytest.raises(VersionChainError, match="older"):
        cache.install_prepared(prepared_of(snapshot(clock, 4)))
    assert cache.version == 5 and cache.snapshot is not None


def test_a_delta_for_another_base_is_refused_on_a_prepared_base(tmp_path: Path, clock: ManualClock) -> None:
    v1, v2, v3 = snapshot(clock, 1), snapshot(clock, 2, cekal_entry()), snapshot(clock, 3)
    alarms = Alarms()
    cache = alarms.attach(WatchlistCache(tmp_path, KEY.public_key(), clock))
    cache.install_prepared(prepared_of(v1))
    with pytest.raises(VersionChainError):
        cache.install_delta(sign_delta(Delta.between(v2, v3), KEY))
    other_v1 = snapshot(clock, 1, cekal_entry("LAIN"))  # version 1 too, but another list
    with pytest.raises(VersionChainError, match="base hash"):
        cache.install_delta(sign_delta(Delta.between(other_v1, v2), KEY))
    wrong = dataclasses.replace(Delta.between(v1, v2), result_hash=v3.content_hash())
    with pytest.raises(VersionChainError, match="different list"):
        cache.install_delta(sign_delta(wrong, KEY))
    assert cache.version == 1 and alarms.raised == ["watchlist_rejected"] * 3
    assert not list(tmp_path.glob(f"*{DELTA_SUFFIX}"))


def test_a_stored_delta_that_breaks_the_chain_is_moved_aside_on_load(
    tmp_path: Path, clock: ManualClock
) -> None:
    v1, v2, v3 = snapshot(clock, 1), snapshot(clock, 2, cekal_entry()), snapshot(clock, 3)
    cache = WatchlistCache(tmp_path, KEY.public_key(), clock)
    cache.install_prepared(prepared_of(v1))
    cache.install_delta(sign_delta(Delta.between(v1, v2), KEY))
    # A signed delta whose result is not the list it claims (as if central had a bug), stored.
    wrong = dataclasses.replace(Delta.between(v2, v3), result_hash=b"\1" * 32)
    bad = tmp_path / f"{2:012d}-{3:012d}{DELTA_SUFFIX}"
    bad.write_bytes(sign_delta(wrong, KEY))
    alarms = Alarms()
    restarted = alarms.attach(WatchlistCache(tmp_path, KEY.public_key(), clock))
    assert restarted.load() == 2
    assert alarms.raised == ["watchlist_rejected"] and bad.with_name(bad.name + ".refused").exists()
    assert restarted.screen(parse_mrz(render_mrz(passport(), "TD3"))).verdict is Verdict.IDENTICAL


def test_a_stored_prepared_snapshot_that_no_longer_verifies_is_moved_aside(
    tmp_path: Path, clock: ManualClock
) -> None:
    data = bytearray(prepared_of(snapshot(clock, 1, cekal_entry())))
    data[-10] ^= 1
    (tmp_path / PREPARED_FILE).write_bytes(data)
    (tmp_path / SNAPSHOT_FILE).write_bytes(sign_snapshot(snapshot(clock, 1), KEY))
    alarms = Alarms()
    cache = alarms.attach(WatchlistCache(tmp_path, KEY.public_key(), clock))
    assert cache.load() == 1 and cache.snapshot is not None  # the plain snapshot beside it
    assert (tmp_path / (PREPARED_FILE + ".refused")).exists() and alarms.raised == ["watchlist_rejected"]


def _offer(version: int, prepared: bytes, delta: bytes | None, delta_path: str) -> wire.PreparedOffer:
    return wire.PreparedOffer(
        version=version,
        snapshot=_ref(f"/p/{version}", prepared),
        delta=_ref(delta_path, delta) if delta is not None else None,
    )


def test_a_new_gate_fetches_the_prepared_base_and_its_delta(
    tmp_path: Path, clock: ManualClock, central: FakeCentral
) -> None:
    v1, v2, v3 = snapshot(clock, 1), snapshot(clock, 2), snapshot(clock, 3, cekal_entry())
    snap2, delta23 = sign_snapshot(v2, KEY), sign_delta(Delta.between(v2, v3), KEY)
    prep1, delta13 = prepared_of(v1), sign_delta(Delta.between(v1, v3), KEY)
    central.files = {"/s/2": snap2, "/d/2-3": delta23, "/p/1": prep1, "/d/1-3": delta13}
    fetcher = HttpFetcher(central.url, token="device-secret")
    cache = WatchlistCache(tmp_path, KEY.public_key(), clock, fetcher=fetcher)
    announcement = dataclasses.replace(
        _announce(clock, _ref("/s/2", snap2), _ref("/d/2-3", delta23), 3),
        prepared=_offer(1, prep1, delta13, "/d/1-3"),
    )
    assert cache.on_announcement(announcement) == 3
    assert [path for path, _ in central.requests] == ["/p/1", "/d/1-3"]
    assert cache.prepared is not None and cache.prepared.version == 1
    assert cache.screen(parse_mrz(render_mrz(passport(), "TD3"))).verdict is Verdict.IDENTICAL
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob("*.incoming"))


def test_a_gate_on_a_prepared_base_takes_the_next_delta_not_a_new_base(
    tmp_path: Path, clock: ManualClock, central: FakeCentral
) -> None:
    v1, v2 = snapshot(clock, 1), snapshot(clock, 2, cekal_entry())
    snap1, delta12, prep2 = sign_snapshot(v1, KEY), sign_delta(Delta.between(v1, v2), KEY), prepared_of(v2)
    central.files = {"/s/1": snap1, "/d/1-2": delta12, "/p/2": prep2}
    cache = WatchlistCache(
        tmp_path, KEY.public_key(), clock, fetcher=HttpFetcher(central.url, token="device-secret")
    )
    cache.install_prepared(prepared_of(v1))
    announcement = dataclasses.replace(
        _announce(clock, _ref("/s/1", snap1), _ref("/d/1-2", delta12), 2), prepared=_offer(2, prep2, None, "")
    )
    assert cache.on_announcement(announcement) == 2
    assert [path for path, _ in central.requests] == ["/d/1-2"]
    assert cache.prepared is not None and cache.prepared.version == 1  # the base stays, on an overlay
    # Once the overlay holds more changes than the bound, the newer base is fetched instead.
    grown = WatchlistCache(
        tmp_path / "g", KEY.public_key(), clock, fetcher=HttpFetcher(central.url, token="device-secret"),
        max_overlay=0,
    )  # fmt: skip
    grown.install_prepared(prepared_of(v1))
    grown.install_delta(delta12)
    central.requests.clear()
    v3 = snapshot(clock, 3, cekal_entry("WIJAYA"))
    prep3, delta23 = prepared_of(v3), sign_delta(Delta.between(v2, v3), KEY)
    central.files.update({"/p/3": prep3, "/d/2-3": delta23})
    later = dataclasses.replace(
        _announce(clock, _ref("/s/2", sign_snapshot(v2, KEY)), _ref("/d/2-3", delta23), 3),
        prepared=_offer(3, prep3, None, ""),
    )
    assert grown.on_announcement(later) == 3
    assert [path for path, _ in central.requests] == ["/p/3"]
    assert grown.prepared is not None and grown.prepared.version == 3 and not grown.overlay.changed  # type: ignore[union-attr]


def test_a_gate_with_a_plain_list_moves_to_the_prepared_form(
    tmp_path: Path, clock: ManualClock, central: FakeCentral
) -> None:
    v1, v2 = snapshot(clock, 1), snapshot(clock, 2, cekal_entry())
    snap1, delta12, prep2 = sign_snapshot(v1, KEY), sign_delta(Delta.between(v1, v2), KEY), prepared_of(v2)
    central.files = {"/p/2": prep2}
    cache = WatchlistCache(
        tmp_path, KEY.public_key(), clock, fetcher=HttpFetcher(central.url, token="device-secret")
    )
    cache.install_snapshot(snap1)
    announcement = dataclasses.replace(
        _announce(clock, _ref("/s/1", snap1), _ref("/d/1-2", delta12), 2), prepared=_offer(2, prep2, None, "")
    )
    assert cache.on_announcement(announcement) == 2
    assert cache.prepared is not None and cache.snapshot is None
    assert not (tmp_path / SNAPSHOT_FILE).exists()


def test_an_announcement_of_schema_1_without_the_offer_still_updates_the_gate(
    tmp_path: Path, clock: ManualClock, central: FakeCentral
) -> None:
    v1, v2 = snapshot(clock, 1), snapshot(clock, 2, cekal_entry())
    snap, delta = sign_snapshot(v1, KEY), sign_delta(Delta.between(v1, v2), KEY)
    central.files = {"/s/1": snap, "/d/1-2": delta}
    raw = msgpack.unpackb(
        wire.encode(_announce(clock, _ref("/s/1", snap), _ref("/d/1-2", delta), 2)), timestamp=3
    )
    del raw["prepared"]
    raw["schema"] = 1  # as an older central sends it
    old = wire.decode_as(wire.WatchlistAnnouncement, msgpack.packb(raw, datetime=True))
    cache = WatchlistCache(
        tmp_path, KEY.public_key(), clock, fetcher=HttpFetcher(central.url, token="device-secret")
    )
    assert cache.on_announcement(old) == 2
    assert cache.snapshot is not None and cache.prepared is None
    assert cache.screen(parse_mrz(render_mrz(passport(), "TD3"))).verdict is Verdict.IDENTICAL


class RangeCentral:
    """Serves files with HTTP Range / If-Range as central does (ETag = SHA-256), and can cut a
    response short once, to test a resumed download."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.cut_after: int | None = None
        self.ranges: list[str | None] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                data = outer.files[self.path]
                etag = '"' + hashlib.sha256(data).hexdigest() + '"'
                wanted = self.headers.get("Range")
                outer.ranges.append(wanted)
                start = 0
                if wanted and self.headers.get("If-Range") == etag:
                    start = int(wanted.removeprefix("bytes=").rstrip("-"))
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(data) - start))
                self.send_header("ETag", etag)
                self.end_headers()
                body = data[start:]
                if outer.cut_after is not None:
                    body, outer.cut_after = body[: outer.cut_after], None
                    self.wfile.write(body)
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_cut_prepared_download_resumes_where_it_stopped(tmp_path: Path, clock: ManualClock) -> None:
    server = RangeCentral()
    try:
        v1 = snapshot(clock, 1, cekal_entry(), *synthetic_entries(50, seed=1, today=date(2026, 11, 22)))
        prep = prepared_of(v1)
        server.files["/p/1"] = prep
        server.cut_after = len(prep) // 3
        alarms = Alarms()
        cache = alarms.attach(
            WatchlistCache(tmp_path, KEY.public_key(), clock, fetcher=HttpFetcher(server.url))
        )
        announcement = dataclasses.replace(
            _announce(clock, _ref("/s/1", b"x"), None, 1),
            snapshot_version=1,
            prepared=_offer(1, prep, None, ""),
        )
        assert cache.on_announcement(announcement) is None  # cut: nothing in use yet, alarmed
        assert alarms.raised == ["watchlist_rejected"]
        assert [p.stat().st_size for p in tmp_path.glob("*.part")] == [len(prep) // 3]
        assert cache.on_announcement(announcement) == 1
        assert server.ranges == [None, f"bytes={len(prep) // 3}-"]
        assert (tmp_path / PREPARED_FILE).read_bytes() == prep and not list(tmp_path.glob("*.part"))
        assert cache.screen(parse_mrz(render_mrz(passport(), "TD3"))).verdict is Verdict.IDENTICAL
    finally:
        server.close()
