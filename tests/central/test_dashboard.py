"""The dashboard's pages: login, roles, the CSRF token on forms, both languages, incident reports."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from central.service import Central
from central.store import AlertRecord, EventRecord
from tests.central.conftest import PASSWORD

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
CEKAL_FIELDS = {
    "incident_at": "2026-11-22T08:00",
    "location": "gate-01 CGK T3",
    "subject_name": "BUDI SANTOSO",
    "document_number": "B1234567",
    "nationality": "IDN",
    "chronology": "Held inside the autogate after a cekal identik hit.",
    "list_name": "pencegahan",
    "list_entry_id": "P-2026-001",
    "requesting_agency": "KPK",
    "action_taken": "penundaan keberangkatan",
    "addressed_to": "Kabid TPI",
    "officer": "supervisor",
}


def log_in(client: TestClient, username: str) -> str:
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303
    page = client.get("/").text
    match = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def test_a_browser_without_a_session_is_sent_to_the_login_page(client: TestClient) -> None:
    response = client.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_a_wrong_password_shows_the_login_page_again(client: TestClient) -> None:
    response = client.post("/login", data={"username": "supervisor", "password": "nope nope nope"})
    assert response.status_code == 401
    assert "Wrong user name or password" in response.text or "salah" in response.text


def test_every_login_is_in_the_audit_trail(client: TestClient, central: Central) -> None:
    log_in(client, "officer")
    client.post("/login", data={"username": "officer", "password": "wrong password!"})
    actions = [(a["actor"], a["action"]) for a in central.store.audit_trail()]
    assert ("officer", "login") in actions and ("officer", "login.failed") in actions


def test_the_dashboard_speaks_the_chosen_language(client: TestClient) -> None:
    log_in(client, "officer")
    client.get("/lang/id")
    indonesian = client.get("/").text
    client.get("/lang/en")
    english = client.get("/").text
    assert "Antrean peringatan" in indonesian
    assert "Alert queue" in english


def test_a_session_post_without_the_csrf_token_is_refused(client: TestClient, central: Central) -> None:
    log_in(client, "supervisor")
    response = client.post("/incidents", data={"kind": "cekal", **CEKAL_FIELDS})
    assert response.status_code == 403
    assert central.store.incident_reports() == []


def test_an_incident_report_is_stored_and_exported(client: TestClient, central: Central) -> None:
    csrf = log_in(client, "supervisor")
    saved = client.post(
        "/incidents", data={"kind": "cekal", "csrf_token": csrf, **CEKAL_FIELDS}, follow_redirects=False
    )
    exported = client.get("/api/v1/incident-reports?format=csv")
    assert saved.status_code == 303
    header, row = exported.text.splitlines()[:2]
    assert "requesting_agency" in header.split(",")
    assert "KPK" in row.split(",") and "BUDI SANTOSO" in row.split(",")


def test_an_incomplete_incident_report_names_what_is_missing(client: TestClient, central: Central) -> None:
    csrf = log_in(client, "supervisor")
    fields = {k: v for k, v in CEKAL_FIELDS.items() if k != "requesting_agency"}
    response = client.post("/incidents", data={"kind": "cekal", "csrf_token": csrf, **fields})
    assert response.status_code == 422
    assert "requesting_agency" in response.text
    assert central.store.incident_reports() == []


def test_the_report_form_is_prefilled_from_the_alert(client: TestClient, central: Central) -> None:
    event = EventRecord(
        "00000000-0000-7000-8000-0000000000c1",
        "gate-01",
        "alarm",
        T0,
        {},
        alert=AlertRecord(
            "cekal", "high", {"entry_id": "P-9", "holder_name": "SITI AMINAH", "list_name": "pencegahan"}
        ),
    )
    central.store.store_events([event], received_at=T0)
    alert = central.store.alert_by_event(event.event_id)
    assert alert is not None
    log_in(client, "supervisor")
    page = client.get(f"/incidents/new?kind=cekal&alert_id={alert['alert_id']}").text
    assert 'value="SITI AMINAH"' in page and 'value="P-9"' in page


def test_an_officer_cannot_open_the_reports(client: TestClient) -> None:
    log_in(client, "officer")
    assert client.get("/reports").status_code == 403


def test_the_reports_page_draws_its_charts(client: TestClient) -> None:
    log_in(client, "head-of-office")
    page = client.get("/reports")
    chart = client.get("/reports/chart/crossings-per-hour.png")
    assert page.status_code == 200
    assert chart.content.startswith(b"\x89PNG")


def test_logging_out_ends_the_session(client: TestClient) -> None:
    log_in(client, "officer")
    client.post("/logout")
    assert client.get("/api/v1/devices").status_code == 401
