"""Central signs a *prepared* snapshot (the built index) per version, offers it in the announcement and
serves it resumably; a gate loads it without a rebuild and follows later versions on an overlay."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from central.app import create_app
from central.service import Central
from central.watchlist import IndexCekalChecker, WatchlistService
from central.watchlist import api as wl_api
from core import wire
from core.clock import ManualClock
from core.watchlist import OverlayIndex, PartialDate, Query, load_prepared_snapshot, write_entries_csv
from core.watchlist.synthetic import labelled_variants, synthetic_entries
from edge.watchlist_cache import WatchlistCache, check_artifact
from tests.central.watchlist.conftest import GOOD_ROWS, HEADER, bearer

TODAY = date(2026, 11, 22)
BUDI = {"full_name": "BUDI SANTOSO", "birth_date": "1980-05-17", "nationality": "IDN", "sex": "M"}


@pytest.fixture
def prepared_service(central: Central, key: Ed25519PrivateKey, tmp_path: Path) -> WatchlistService:
    return WatchlistService(
        central.store, central.clock, key, prepared_dir=tmp_path / "prepared", prepare_in_background=False
    )


@pytest.fixture
def api(central: Central, prepared_service: WatchlistService) -> Iterator[TestClient]:
    app = create_app(central)
    app.include_router(wl_api.router)
    wl_api.install(app, prepared_service)
    with TestClient(app) as c:
        yield c


class ApiFetcher:
    """A gate's fetcher over central's real API (the test client), with a staff bearer token."""

    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers
        self.paths: list[str] = []

    def fetch(self, ref: wire.ArtifactRef) -> bytes:
        self.paths.append(ref.path)
        response = self.client.get(ref.path, headers=self.headers)
        assert response.status_code == 200, response.text
        return check_artifact(ref, response.content)


def _csv(count: int, seed: int) -> str:
    out = io.StringIO()
    write_entries_csv(list(synthetic_entries(count, seed=seed, today=TODAY)), out)
    return out.getvalue()


def test_a_change_makes_a_signed_prepared_snapshot_offered_in_the_announcement(
    prepared_service: WatchlistService, api: TestClient, tokens: dict[str, str], key: Ed25519PrivateKey
) -> None:
    prepared_service.import_csv(io.StringIO(HEADER + GOOD_ROWS), by="supervisor")
    info = prepared_service.prepared_info()
    assert info is not None and info.version == 1
    message = prepared_service.announcement("cgk")
    assert message is not None and message.prepared is not None
    assert (message.prepared.version, message.prepared.delta) == (1, None)
    assert message.prepared.snapshot.path == "/api/v1/watchlist/prepared/1"
    key.public_key().verify(message.signature, wire.canonical_bytes(message))
    response = api.get("/api/v1/watchlist/prepared/1", headers=bearer(tokens, "officer"))
    assert response.status_code == 200
    data = response.content
    assert hashlib.sha256(data).hexdigest() == message.prepared.snapshot.sha256
    assert len(data) == message.prepared.snapshot.size
    assert response.headers["etag"] == f'"{message.prepared.snapshot.sha256}"'
    loaded = load_prepared_snapshot(data, key.public_key())
    assert loaded.version == 1
    assert loaded.content_hash.hex() == prepared_service.version_row(1)["content_hash"]
    hits = loaded.index.match(Query("BUDI SANTOSO", PartialDate(1980, 5, 17), "IDN", "M"), today=TODAY)
    assert [h.entry_id for h in hits] == ["c-001"]

    prepared_service.change("c-002", {"sex": "F"}, by="supervisor")
    message = prepared_service.announcement("cgk")
    assert message is not None and message.prepared is not None
    assert (message.version, message.snapshot_version, message.prepared.version) == (2, 1, 2)


def test_the_prepared_download_is_resumable_and_needs_a_token(
    prepared_service: WatchlistService, api: TestClient, tokens: dict[str, str]
) -> None:
    prepared_service.import_csv(io.StringIO(HEADER + GOOD_ROWS), by="supervisor")
    whole = api.get("/api/v1/watchlist/prepared/1", headers=bearer(tokens, "officer")).content
    etag = '"' + hashlib.sha256(whole).hexdigest() + '"'
    part = api.get(
        "/api/v1/watchlist/prepared/1",
        headers={**bearer(tokens, "officer"), "Range": "bytes=100-", "If-Range": etag},
    )
    assert part.status_code == 206 and part.content == whole[100:]
    assert part.headers["content-range"] == f"bytes 100-{len(whole) - 1}/{len(whole)}"
    other = api.get(
        "/api/v1/watchlist/prepared/1",
        headers={**bearer(tokens, "officer"), "Range": "bytes=100-", "If-Range": '"' + "0" * 64 + '"'},
    )
    assert other.status_code == 200 and other.content == whole
    past = api.get(
        "/api/v1/watchlist/prepared/1", headers={**bearer(tokens, "officer"), "Range": f"bytes={len(whole)}-"}
    )
    assert past.status_code == 416
    assert api.get("/api/v1/watchlist/prepared/1").status_code == 401
    assert api.get("/api/v1/watchlist/prepared/7", headers=bearer(tokens, "officer")).status_code == 404


def test_a_gate_loads_the_prepared_base_then_follows_changes_on_an_overlay(
    prepared_service: WatchlistService,
    api: TestClient,
    tokens: dict[str, str],
    key: Ed25519PrivateKey,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    prepared_service.import_csv(io.StringIO(_csv(150, seed=6)), by="supervisor")
    fetcher = ApiFetcher(api, bearer(tokens, "officer"))
    gate = WatchlistCache(tmp_path / "gate", key.public_key(), clock, fetcher=fetcher)
    announced = prepared_service.announcement("cgk")
    assert announced is not None
    assert gate.on_announcement(announced) == 1
    assert fetcher.paths == ["/api/v1/watchlist/prepared/1"] and gate.prepared is not None
    open_ended = [e for e in prepared_service.entries() if e.valid_until is None]
    prepared_service.change(open_ended[0].entry_id, {"full_name": "BUDI SANTOSO"}, by="supervisor")
    prepared_service.end(open_ended[1].entry_id, by="supervisor")
    prepared_service.import_csv(io.StringIO(HEADER + GOOD_ROWS), by="supervisor")
    for version in (2, 3, 4):
        # One announcement per version, as the gate would see them: each delta follows on.
        message = _announcement_at(prepared_service, version)
        assert gate.on_announcement(message) == version
    assert fetcher.paths[1:] == ["/api/v1/watchlist/deltas/1-2", "/api/v1/watchlist/deltas/2-3",
                                 "/api/v1/watchlist/deltas/3-4"]  # fmt: skip
    assert gate.prepared is not None and gate.prepared.version == 1  # no rebuild, no new base
    assert isinstance(gate.index, OverlayIndex)
    assert gate.current is not None
    assert gate.current.content_hash.hex() == prepared_service.version_row(4)["content_hash"]
    # The gate answers as central's own index of version 4 does.
    _, central_index = prepared_service.current_index()
    entries = list(prepared_service.iter_entries())
    queries = [lq.query for lq in labelled_variants(entries, 4, seed=3, today=TODAY)]
    queries.append(Query("BUDI SANTOSO"))
    for q in queries:
        assert gate.index.match(q, today=TODAY) == central_index.match(q, today=TODAY)


def _announcement_at(service: WatchlistService, version: int) -> wire.WatchlistAnnouncement:
    """The announcement central made right after ``version`` (the delta from the version before)."""
    message = service.announcement("cgk")
    assert message is not None
    if message.version == version:
        return message
    data = service.delta_bytes(version - 1, version)
    ref = wire.ArtifactRef(
        path=f"/api/v1/watchlist/deltas/{version - 1}-{version}",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )
    return wire.WatchlistAnnouncement(
        ts=message.ts, device_id="central", site="cgk", version=version, snapshot_version=version - 1,
        snapshot=message.snapshot, delta=ref,
    )  # fmt: skip


def test_only_the_newest_prepared_snapshots_are_kept(prepared_service: WatchlistService) -> None:
    prepared_service.import_csv(io.StringIO(HEADER + GOOD_ROWS), by="supervisor")
    for sex in ("F", "M", "F"):
        prepared_service.change("c-002", {"sex": sex}, by="supervisor")
    directory = prepared_service.prepared_dir
    assert directory is not None
    assert sorted(p.name for p in directory.glob("*.wlp")) == ["000000000003.wlp", "000000000004.wlp"]
    message = prepared_service.announcement("cgk")
    assert message is not None and message.prepared is not None and message.prepared.version == 4


def test_the_cekal_checker_shares_the_index_of_the_current_version(
    prepared_service: WatchlistService,
) -> None:
    prepared_service.import_csv(io.StringIO(HEADER + GOOD_ROWS), by="supervisor")
    checker = IndexCekalChecker(prepared_service)
    assert checker.index() is prepared_service.current_index()[1]
    assert [h.entry_id for h in checker.check(BUDI, TODAY)] == ["c-001"]


def test_without_a_prepared_directory_the_announcement_offers_none(service: WatchlistService) -> None:
    service.import_csv(io.StringIO(HEADER + GOOD_ROWS), by="supervisor")
    message = service.announcement("cgk")
    assert message is not None and message.prepared is None and service.prepared_info() is None


def test_in_the_background_the_newest_version_is_prepared(
    central: Central, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    service = WatchlistService(central.store, central.clock, key, prepared_dir=tmp_path / "bg")
    service.import_csv(io.StringIO(HEADER + GOOD_ROWS), by="supervisor")
    service.change("c-002", {"sex": "F"}, by="supervisor")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        info = service.prepared_info()
        if info is not None and info.version == 2:
            break
        time.sleep(0.05)
    info = service.prepared_info()
    assert info is not None and info.version == 2 and service.last_prepare_error == ""
