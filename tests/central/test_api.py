"""The REST API: roles on every endpoint, JSON errors, and the resources supervisors and devices use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from central import devices
from central.service import Central
from central.store import AlertRecord, CrossingRecord, EventRecord
from core.clock import ManualClock

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def cekal_alarm(central: Central, device: str = "gate-01") -> int:
    event = EventRecord(
        event_id="00000000-0000-7000-8000-0000000000c1",
        device_id=device,
        type="alarm",
        occurred_at=T0,
        body={},
        alert=AlertRecord(
            kind="cekal", priority="high", details={"entry_id": "P-7"}, face_jpeg=b"\xff\xd8jpeg"
        ),
    )
    central.store.store_events([event], received_at=T0)
    alert = central.store.alert_by_event(event.event_id)
    assert alert is not None
    return int(alert["alert_id"])


def test_an_anonymous_call_gets_a_json_401(client: TestClient) -> None:
    response = client.get("/api/v1/devices")
    assert response.status_code == 401
    assert "log in" in response.json()["error"]["message"]


def test_an_unknown_device_is_a_json_404(client: TestClient, officer: dict[str, str]) -> None:
    response = client.get("/api/v1/devices/gate-99", headers=officer)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NotFound"


def test_a_malformed_query_is_a_json_422_naming_the_field(
    client: TestClient, officer: dict[str, str]
) -> None:
    response = client.get("/api/v1/events?limit=0", headers=officer)
    assert response.status_code == 422
    assert "limit" in response.json()["error"]["message"]


def test_an_officer_may_not_send_commands(
    client: TestClient, central: Central, officer: dict[str, str]
) -> None:
    devices.add_device(central.store, "gate-01", kind="gate", now=central.clock.now())
    response = client.post(
        "/api/v1/commands", json={"device_id": "gate-01", "action": "grant_retry"}, headers=officer
    )
    assert response.status_code == 403


def test_only_an_administrator_adds_devices(
    client: TestClient, supervisor: dict[str, str], admin: dict[str, str]
) -> None:
    body = {"device_id": "gate-05", "kind": "gate", "site": "cgk", "lane": "5", "direction": "arrival"}
    refused = client.post("/api/v1/devices", json=body, headers=supervisor)
    added = client.post("/api/v1/devices", json=body, headers=admin)
    assert refused.status_code == 403
    assert added.status_code == 201
    assert added.json()["device"]["direction"] == "arrival"
    assert added.json()["api_token"] and added.json()["mqtt_password"]


def test_a_command_without_a_broker_is_recorded_as_failed(
    client: TestClient, central: Central, supervisor: dict[str, str]
) -> None:
    devices.add_device(central.store, "gate-01", kind="gate", now=central.clock.now())
    response = client.post(
        "/api/v1/commands", json={"device_id": "gate-01", "action": "out_of_service"}, headers=supervisor
    )
    assert response.status_code == 202
    assert response.json()["state"] == "failed"
    assert response.json()["issued_by"] == "supervisor"


def test_every_command_is_audited_with_who_sent_it(
    client: TestClient, central: Central, supervisor: dict[str, str]
) -> None:
    devices.add_device(central.store, "gate-01", kind="gate", now=central.clock.now())
    client.post(
        "/api/v1/commands", json={"device_id": "gate-01", "action": "grant_retry"}, headers=supervisor
    )
    actions = [(a["actor"], a["action"]) for a in central.store.audit_trail()]
    assert ("supervisor", "command.grant_retry") in actions


def test_an_alert_shows_its_face_on_its_own_url(
    client: TestClient, central: Central, officer: dict[str, str]
) -> None:
    alert_id = cekal_alarm(central)
    listed = client.get("/api/v1/alerts?status=open", headers=officer).json()
    face = client.get(f"/api/v1/alerts/{alert_id}/face", headers=officer)
    assert [a["has_face"] for a in listed] == [True]
    assert (face.headers["content-type"], face.content) == ("image/jpeg", b"\xff\xd8jpeg")


def test_closing_an_alert_records_who_closed_it(
    client: TestClient, central: Central, supervisor: dict[str, str]
) -> None:
    alert_id = cekal_alarm(central)
    response = client.post(f"/api/v1/alerts/{alert_id}/closed", headers=supervisor)
    assert response.json()["status"] == "closed"
    assert response.json()["closed_by"] == "supervisor"


def test_a_closed_alert_cannot_be_closed_again(
    client: TestClient, central: Central, supervisor: dict[str, str]
) -> None:
    alert_id = cekal_alarm(central)
    client.post(f"/api/v1/alerts/{alert_id}/closed", headers=supervisor)
    assert client.post(f"/api/v1/alerts/{alert_id}/closed", headers=supervisor).status_code == 409


def test_crossings_are_searched_by_gate_direction_and_document(
    client: TestClient, central: Central, officer: dict[str, str]
) -> None:
    events = [
        EventRecord(
            event_id=f"00000000-0000-7000-8000-{n:012d}",
            device_id=f"gate-0{n % 2}",
            type="crossing",
            occurred_at=T0 + timedelta(minutes=n),
            body={},
            crossing=CrossingRecord(
                outcome="crossed", direction="departure" if n % 2 else "arrival", document_number=f"B{n:07d}"
            ),
        )
        for n in range(6)
    ]
    central.store.store_events(events, received_at=T0)
    found = client.get(
        "/api/v1/crossings", params={"device_id": "gate-01", "direction": "departure"}, headers=officer
    ).json()
    by_document = client.get(
        "/api/v1/crossings", params={"document_number": "B0000004"}, headers=officer
    ).json()
    assert sorted(c["document_number"] for c in found) == ["B0000001", "B0000003", "B0000005"]
    assert [c["device_id"] for c in by_document] == ["gate-00"]


def test_a_device_fetches_an_enrolment_with_its_own_token(
    client: TestClient, central: Central, admin: dict[str, str]
) -> None:
    creds = devices.add_device(central.store, "gate-01", kind="gate", now=central.clock.now())
    device = {"Authorization": f"Bearer {creds.api_token}"}
    record = {"issuing_state": "IDN", "document_number": "B1234567", "template": "abc"}
    assert client.post("/api/v1/enrolments", json=record, headers=device).status_code == 201
    fetched = client.get("/api/v1/enrolments/IDN/B1234567", headers=device)
    assert fetched.json() == record


def test_a_device_token_opens_nothing_but_enrolments(client: TestClient, central: Central) -> None:
    creds = devices.add_device(central.store, "gate-01", kind="gate", now=central.clock.now())
    response = client.get("/api/v1/devices", headers={"Authorization": f"Bearer {creds.api_token}"})
    assert response.status_code == 403


def test_a_removed_device_token_stops_working(client: TestClient, central: Central) -> None:
    creds = devices.add_device(central.store, "gate-01", kind="gate", now=central.clock.now())
    devices.remove_device(central.store, "gate-01", now=central.clock.now())
    response = client.get("/api/v1/enrolments/IDN/B1", headers={"Authorization": f"Bearer {creds.api_token}"})
    assert response.status_code == 401


def test_a_password_buys_a_bearer_token(client: TestClient) -> None:
    issued = client.post("/api/v1/tokens", json={"username": "officer", "password": "a long enough password"})
    token = issued.json()["token"]
    assert client.get("/api/v1/devices", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_wrong_password_buys_nothing(client: TestClient) -> None:
    response = client.post("/api/v1/tokens", json={"username": "officer", "password": "not the password"})
    assert response.status_code == 401


def test_health_says_the_database_answers(client: TestClient) -> None:
    assert client.get("/healthz").json()["database"] == "ok"


def test_metrics_count_open_alerts_and_online_devices(client: TestClient, central: Central) -> None:
    cekal_alarm(central)
    text = client.get("/metrics").text
    assert "central_alerts_open 1.0" in text
    assert "central_devices_online 0.0" in text


def test_a_report_is_exported_as_csv(
    client: TestClient, central: Central, supervisor: dict[str, str], clock: ManualClock
) -> None:
    cekal_alarm(central)
    response = client.get(
        "/api/v1/reports/alarms",
        params={"format": "csv", "since": "2026-01-01T00:00:00Z"},
        headers=supervisor,
    )
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.splitlines() == ["kind,priority,count", "cekal,high,1"]
