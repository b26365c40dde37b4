"""Central's CCTV desk through its API: the alert gallery, its signed distribution, the alarm workflow."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from central import auth
from central.app import create_app
from central.cctv.desk import CctvDesk
from central.cctv.router import router as cctv_router
from central.service import Central
from central.store import Store
from core.clock import ManualClock
from core.wire.cctv import CctvFaceAlarm, verify_snapshot
from edge.cctv.gallery import AlertGallery, GalleryCache
from edge.cctv.sinks import AlarmList
from edge.cctv.source import SequenceSource
from edge.cctv.watcher import CctvWatcher
from models import FacePipeline
from tests.cctv.video import photo, walk

PASSWORD = "a long enough password"
Headers = dict[str, str]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with a user of every role, made once: argon2 hashing is slow on purpose."""
    path = tmp_path_factory.mktemp("cctv-central") / "seed.db"
    store = Store(f"sqlite:///{path}")
    for role in auth.ROLES:
        auth.add_user(store, role.replace("_", "-"), PASSWORD, role, now=ManualClock().now(), language="en")
    CctvDesk(store, ManualClock(), Ed25519PrivateKey.generate())  # creates the CCTV tables
    store.close()
    return path


@pytest.fixture
def central(seeded_db: Path, tmp_path: Path, clock: ManualClock) -> Iterator[Central]:
    shutil.copy(seeded_db, tmp_path / "central.db")
    store = Store(f"sqlite:///{tmp_path / 'central.db'}")
    yield Central(store, clock=clock)
    store.close()


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def desk(central: Central, key: Ed25519PrivateKey) -> CctvDesk:
    return CctvDesk(central.store, central.clock, key)


@pytest.fixture
def client(central: Central, desk: CctvDesk) -> Iterator[TestClient]:
    app = create_app(central)
    app.include_router(cctv_router)  # until central/app.py lists it
    app.state.cctv = desk
    with TestClient(app) as c:
        yield c


def bearer(central: Central, role: str) -> Headers:
    secret = auth.issue_api_token(central.store, role.replace("_", "-"), now=central.clock.now())
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def officer(central: Central) -> Headers:
    return bearer(central, "officer")


@pytest.fixture
def supervisor(central: Central) -> Headers:
    return bearer(central, "supervisor")


@pytest.fixture
def camera(central: Central) -> Headers:
    secret, _ = central.store.issue_token("device", now=central.clock.now(), device_id="cctv-t2-01")
    return {"Authorization": f"Bearer {secret}"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def add_entry(
    client: TestClient, headers: Headers, label: str = "case 114", watchlist_id: str | None = "W-1"
) -> str:
    body = {"label": label, "watchlist_id": watchlist_id, "templates": [b64(b"template-bytes")]}
    response = client.post("/api/v1/cctv/gallery", json=body, headers=headers)
    assert response.status_code == 201, response.text
    entry_id: str = response.json()["entry_id"]
    return entry_id


def alarm_body(entry_id: str = "e1") -> dict[str, object]:
    return CctvFaceAlarm(
        device_id="cctv-t2-01",  # the camera; the alarm id is the fresh event id
        ts=ManualClock().now(),
        entry_id=entry_id,
        watchlist_id="W-1",
        label="case 114",
        score=0.7,
        threshold=0.363,
        track_id=1,
        snapshot_jpeg=b"\xff\xd8snapshot\xff\xd9",
    ).to_dict()


def raise_alarm(client: TestClient, camera: Headers) -> str:
    response = client.post("/api/v1/cctv/alarms", json=alarm_body(), headers=camera)
    assert response.status_code == 201, response.text
    alarm_id: str = response.json()["alarm_id"]
    return alarm_id


# --- the gallery -----------------------------------------------------------------------------------


def test_a_supervisor_adds_a_gallery_entry_linked_to_a_watch_list_entry(
    client: TestClient, supervisor: Headers, desk: CctvDesk
) -> None:
    entry_id = add_entry(client, supervisor)
    entry = desk.entry(entry_id)
    assert (entry["watchlist_id"], entry["added_by"], len(entry["faces"])) == ("W-1", "supervisor", 1)


def test_adding_a_gallery_entry_is_audited(client: TestClient, supervisor: Headers, central: Central) -> None:
    entry_id = add_entry(client, supervisor)
    assert any(
        (a["actor"], a["action"], a["target"]) == ("supervisor", "cctv.gallery.add", entry_id)
        for a in central.store.audit_trail()
    )


def test_an_officer_may_not_change_the_gallery(client: TestClient, officer: Headers) -> None:
    body = {"label": "x", "templates": [b64(b"t")]}
    assert client.post("/api/v1/cctv/gallery", json=body, headers=officer).status_code == 403


def test_a_published_snapshot_is_signed_and_holds_the_active_entries(
    client: TestClient, supervisor: Headers, camera: Headers, key: Ed25519PrivateKey
) -> None:
    kept = add_entry(client, supervisor, "kept")
    ended = add_entry(client, supervisor, "ended")
    client.post(f"/api/v1/cctv/gallery/{ended}/end", json={"reason": "lifted"}, headers=supervisor)
    assert client.post("/api/v1/cctv/gallery/publish", headers=supervisor).status_code == 201
    data = client.get("/api/v1/cctv/gallery/snapshot", headers=camera).content
    snapshot = verify_snapshot(data, key.public_key())
    assert (snapshot.version, [e.entry_id for e in snapshot.entries]) == (1, [kept])


def test_each_publication_is_a_new_version(
    client: TestClient, supervisor: Headers, key: Ed25519PrivateKey
) -> None:
    add_entry(client, supervisor)
    versions = [
        client.post("/api/v1/cctv/gallery/publish", headers=supervisor).json()["version"] for _ in range(2)
    ]
    assert versions == [1, 2]


def test_no_snapshot_before_the_first_publication(client: TestClient, camera: Headers) -> None:
    assert client.get("/api/v1/cctv/gallery/snapshot", headers=camera).status_code == 404


# --- alarms ----------------------------------------------------------------------------------------


def test_a_camera_alarm_is_stored_once_even_when_sent_twice(
    client: TestClient, camera: Headers, officer: Headers
) -> None:
    body = alarm_body()
    for _ in range(2):
        assert client.post("/api/v1/cctv/alarms", json=body, headers=camera).status_code == 201
    queue = client.get("/api/v1/cctv/alarms", headers=officer).json()
    assert [(a["alarm_id"], a["status"]) for a in queue] == [(body["alarm_id"], "raised")]


def test_only_cameras_post_alarms(client: TestClient, officer: Headers) -> None:
    assert client.post("/api/v1/cctv/alarms", json=alarm_body(), headers=officer).status_code == 403


def test_a_dismissed_alarm_is_recorded_with_who_dismissed_it(
    client: TestClient, camera: Headers, officer: Headers, central: Central
) -> None:
    alarm_id = raise_alarm(client, camera)
    response = client.post(
        f"/api/v1/cctv/alarms/{alarm_id}/dismiss", json={"reason": "another man"}, headers=officer
    )
    shown = client.get(f"/api/v1/cctv/alarms/{alarm_id}", headers=officer).json()
    assert response.status_code == 200
    assert shown["status"] == "dismissed"
    assert (shown["steps"]["dismissed"]["by"], shown["steps"]["dismissed"]["notes"]) == (
        "officer",
        "another man",
    )
    assert any(
        a["action"] == "cctv.alarm.dismissed" and a["actor"] == "officer" for a in central.store.audit_trail()
    )


def test_a_dismissal_needs_a_reason(client: TestClient, camera: Headers, officer: Headers) -> None:
    alarm_id = raise_alarm(client, camera)
    assert (
        client.post(
            f"/api/v1/cctv/alarms/{alarm_id}/dismiss", json={"reason": ""}, headers=officer
        ).status_code
        == 422
    )


def test_an_identical_passenger_is_held_and_the_incident_report_closes_the_alarm(
    client: TestClient, camera: Headers, officer: Headers, supervisor: Headers, central: Central
) -> None:
    alarm_id = raise_alarm(client, camera)
    url = f"/api/v1/cctv/alarms/{alarm_id}"
    client.post(f"{url}/examine", json={"notes": "passport A123"}, headers=officer)
    client.post(f"{url}/report", json={}, headers=officer)
    held = client.post(f"{url}/decide", json={"identical": True}, headers=supervisor).json()
    closed = client.post(f"{url}/incident", json={"fields": {"summary": "held"}}, headers=supervisor).json()
    report = central.store.incident_report(closed["report_id"])
    assert (held["status"], closed["status"]) == ("held", "closed")
    assert (report["kind"], report["fields"]["cctv_alarm_id"]) == ("cctv", alarm_id)


def test_a_passenger_found_not_identical_may_pass(
    client: TestClient, camera: Headers, officer: Headers, supervisor: Headers
) -> None:
    alarm_id = raise_alarm(client, camera)
    url = f"/api/v1/cctv/alarms/{alarm_id}"
    client.post(f"{url}/examine", json={}, headers=officer)
    client.post(f"{url}/report", json={}, headers=officer)
    decided = client.post(f"{url}/decide", json={"identical": False}, headers=supervisor).json()
    assert (decided["status"], decided["steps"]["decided"]["by"]) == ("released", "supervisor")


def test_only_a_supervisor_or_the_head_of_office_decides_identity(
    client: TestClient, camera: Headers, officer: Headers
) -> None:
    alarm_id = raise_alarm(client, camera)
    url = f"/api/v1/cctv/alarms/{alarm_id}"
    client.post(f"{url}/examine", json={}, headers=officer)
    client.post(f"{url}/report", json={}, headers=officer)
    assert client.post(f"{url}/decide", json={"identical": True}, headers=officer).status_code == 403


def test_steps_out_of_sop_order_are_refused(client: TestClient, camera: Headers, officer: Headers) -> None:
    alarm_id = raise_alarm(client, camera)
    assert client.post(f"/api/v1/cctv/alarms/{alarm_id}/report", json={}, headers=officer).status_code == 409


def test_an_alarm_unexamined_after_five_minutes_is_overdue(
    client: TestClient, camera: Headers, officer: Headers, clock: ManualClock
) -> None:
    alarm_id = raise_alarm(client, camera)
    clock.advance(301)
    due = client.get(f"/api/v1/cctv/alarms/{alarm_id}", headers=officer).json()["timing"]["due"]
    assert (due["step"], due["sop_step"], due["overdue"]) == ("examine", 3, True)


def test_identity_confirmation_warns_at_ten_minutes_and_is_overdue_after_fifteen(
    client: TestClient, camera: Headers, officer: Headers, clock: ManualClock
) -> None:
    alarm_id = raise_alarm(client, camera)
    url = f"/api/v1/cctv/alarms/{alarm_id}"
    client.post(f"{url}/examine", json={}, headers=officer)
    client.post(f"{url}/report", json={}, headers=officer)
    clock.advance(601)
    at_ten = client.get(url, headers=officer).json()["timing"]["due"]
    clock.advance(300)
    at_fifteen = client.get(url, headers=officer).json()["timing"]["due"]
    assert (at_ten["warning"], at_ten["overdue"], at_fifteen["overdue"]) == (True, False, True)


def test_each_done_step_keeps_its_duration(
    client: TestClient, camera: Headers, officer: Headers, clock: ManualClock
) -> None:
    alarm_id = raise_alarm(client, camera)
    clock.advance(120)
    shown = client.post(f"/api/v1/cctv/alarms/{alarm_id}/examine", json={}, headers=officer).json()
    assert shown["timing"]["durations_s"] == {"examined": 120.0}


# --- the whole path --------------------------------------------------------------------------------


def test_a_gallery_published_by_central_makes_the_watcher_alarm_and_the_officer_dismisses_it(
    client: TestClient,
    supervisor: Headers,
    camera: Headers,
    officer: Headers,
    key: Ed25519PrivateKey,
    pipeline: FacePipeline,
    tmp_path: Path,
) -> None:
    template = pipeline.enrol(photo("person_a_1")).to_bytes()
    body = {"label": "case 114", "watchlist_id": "W-1", "templates": [b64(template)]}
    client.post("/api/v1/cctv/gallery", json=body, headers=supervisor)
    client.post("/api/v1/cctv/gallery/publish", headers=supervisor)

    cache = GalleryCache(tmp_path / "gallery.bin", key.public_key())
    snapshot, _ = cache.refresh(lambda: client.get("/api/v1/cctv/gallery/snapshot", headers=camera).content)
    gallery = AlertGallery(snapshot, model_id=pipeline.embedder.model_id, version=pipeline.embedder.version)
    sink = AlarmList()
    CctvWatcher("cctv-t2-01", pipeline, gallery, sink, clock=ManualClock()).run(
        SequenceSource(walk("person_a_2"))
    )
    (alarm,) = sink.alarms
    client.post("/api/v1/cctv/alarms", json=alarm.to_dict(), headers=camera)
    client.post(
        f"/api/v1/cctv/alarms/{alarm.alarm_id}/dismiss", json={"reason": "look-alike"}, headers=officer
    )

    shown = client.get(f"/api/v1/cctv/alarms/{alarm.alarm_id}", headers=officer).json()
    assert (shown["watchlist_id"], shown["status"], shown["steps"]["dismissed"]["by"]) == (
        "W-1",
        "dismissed",
        "officer",
    )
    assert (
        client.get(f"/api/v1/cctv/alarms/{alarm.alarm_id}/snapshot", headers=officer).content
        == alarm.snapshot_jpeg
    )
