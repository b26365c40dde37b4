"""The watch-list API and pages: roles, row errors over HTTP, resumable downloads a gate verifies."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from central.service import Central
from central.store import DeviceStatus
from central.watchlist import WatchlistService
from core.clock import ManualClock
from core.watchlist import apply_delta, verify_delta, verify_snapshot
from tests.central.watchlist.conftest import GOOD_ROWS, HEADER, bearer

ENTRY = {"entry_id": "c-100", "list": "pencegahan", "full_name": "RINA WATI", "birth_date": "1970"}


def test_an_officer_reads_but_may_not_add(client: TestClient, tokens: dict[str, str]) -> None:
    refused = client.post("/api/v1/watchlist/entries", json=ENTRY, headers=bearer(tokens, "officer"))
    listed = client.get("/api/v1/watchlist/entries", headers=bearer(tokens, "officer"))
    assert refused.status_code == 403
    assert listed.status_code == 200 and listed.json() == []


def test_supervisors_heads_and_administrators_change_the_list(
    client: TestClient, tokens: dict[str, str]
) -> None:
    added = client.post("/api/v1/watchlist/entries", json=ENTRY, headers=bearer(tokens, "supervisor"))
    changed = client.patch(
        "/api/v1/watchlist/entries/c-100", json={"sex": "F"}, headers=bearer(tokens, "head_of_office")
    )
    ended = client.post("/api/v1/watchlist/entries/c-100/end", headers=bearer(tokens, "administrator"))
    assert [r.status_code for r in (added, changed, ended)] == [201, 200, 200]
    assert ended.json()["version"] == 3
    history = client.get("/api/v1/watchlist/entries/c-100", headers=bearer(tokens, "officer")).json()[
        "history"
    ]
    assert [h["actor"] for h in history] == ["administrator", "head-of-office", "supervisor"]


def test_without_login_the_list_is_closed(client: TestClient) -> None:
    assert client.get("/api/v1/watchlist/entries").status_code == 401


def test_an_import_with_bad_rows_answers_every_row_error(client: TestClient, tokens: dict[str, str]) -> None:
    body = HEADER + GOOD_ROWS + "c-009,pencegahan,X,,19xx,IDN,M,,,,,,\n"
    answer = client.post(
        "/api/v1/watchlist/import", content=body.encode(), headers=bearer(tokens, "supervisor")
    )
    assert answer.status_code == 422
    assert answer.json()["row_errors"][0]["line"] == 5
    assert answer.json()["row_errors"][0]["column"] == "birth_date"
    assert client.get("/api/v1/watchlist", headers=bearer(tokens, "officer")).json()["version"] == 0


def test_an_interrupted_snapshot_download_resumes_with_range(
    client: TestClient, tokens: dict[str, str], service: WatchlistService, key: Ed25519PrivateKey
) -> None:
    client.post(
        "/api/v1/watchlist/import",
        content=(HEADER + GOOD_ROWS).encode(),
        headers=bearer(tokens, "supervisor"),
    )
    whole = client.get("/api/v1/watchlist/snapshots/1", headers=bearer(tokens, "officer"))
    head = client.get(
        "/api/v1/watchlist/snapshots/1", headers={**bearer(tokens, "officer"), "Range": "bytes=0-99"}
    )
    tail = client.get(
        "/api/v1/watchlist/snapshots/1",
        headers={**bearer(tokens, "officer"), "Range": "bytes=100-", "If-Range": head.headers["etag"]},
    )
    assert (head.status_code, tail.status_code) == (206, 206)
    assert tail.headers["content-range"] == f"bytes 100-{len(whole.content) - 1}/{len(whole.content)}"
    resumed = head.content + tail.content
    assert resumed == whole.content
    assert len(verify_snapshot(resumed, key.public_key()).entries) == 3


def test_a_range_past_the_end_is_unsatisfiable(client: TestClient, tokens: dict[str, str]) -> None:
    client.post("/api/v1/watchlist/entries", json=ENTRY, headers=bearer(tokens, "supervisor"))
    answer = client.get(
        "/api/v1/watchlist/snapshots/1", headers={**bearer(tokens, "officer"), "Range": "bytes=999999-"}
    )
    assert answer.status_code == 416


def test_a_gate_downloads_the_announced_files_and_catches_up(
    client: TestClient,
    central: Central,
    tokens: dict[str, str],
    service: WatchlistService,
    key: Ed25519PrivateKey,
) -> None:
    sup = bearer(tokens, "supervisor")
    client.post("/api/v1/watchlist/entries", json=ENTRY, headers=sup)
    client.patch("/api/v1/watchlist/entries/c-100", json={"sex": "F"}, headers=sup)
    client.patch("/api/v1/watchlist/entries/c-100", json={"nationality": "IDN"}, headers=sup)
    announced = service.announcement("cgk")
    assert announced is not None and announced.delta is not None
    snap = client.get(announced.snapshot.path, headers=sup).content
    delta = client.get(announced.delta.path, headers=sup).content
    assert hashlib.sha256(delta).hexdigest() == announced.delta.sha256
    current = apply_delta(verify_snapshot(snap, key.public_key()), verify_delta(delta, key.public_key()))
    from_one = client.get("/api/v1/watchlist/deltas", params={"from": 1}, headers=sup).content
    v1 = verify_snapshot(client.get("/api/v1/watchlist/snapshots/1", headers=sup).content, key.public_key())
    caught_up = apply_delta(v1, verify_delta(from_one, key.public_key()))
    assert current.version == caught_up.version == 3
    assert current.content_hash() == caught_up.content_hash()


def test_the_devices_page_flags_a_stale_gate(
    client: TestClient,
    central: Central,
    tokens: dict[str, str],
    service: WatchlistService,
    clock: ManualClock,
) -> None:
    central.store.add_device("gate-07", kind="gate", site="cgk", now=clock.now())
    service.add(ENTRY, by="supervisor")
    central.store.update_device_status(
        DeviceStatus("gate-07", clock.now(), online=True, watchlist_version="1")
    )
    service.change("c-100", {"sex": "F"}, by="supervisor")
    clock.advance(service.stale_after.total_seconds() + 60)
    page = client.get("/watchlist/devices", headers=bearer(tokens, "officer"))
    api = client.get("/api/v1/watchlist/devices", headers=bearer(tokens, "officer")).json()
    assert page.status_code == 200 and "STALE" in page.text
    assert api == [dict(api[0], device_id="gate-07", version=1, behind=1, stale=True)]


def test_the_list_page_offers_the_add_form_only_to_those_who_may_change(
    client: TestClient, tokens: dict[str, str]
) -> None:
    as_officer = client.get("/watchlist", headers=bearer(tokens, "officer"))
    as_supervisor = client.get("/watchlist", headers=bearer(tokens, "supervisor"))
    assert as_officer.status_code == as_supervisor.status_code == 200
    assert 'action="/watchlist"' not in as_officer.text.replace('method="get" action="/watchlist"', "")
    assert 'method="post" action="/watchlist"' in as_supervisor.text
