"""The officer's screen and its JSON API, in-process."""

from __future__ import annotations

from fastapi.testclient import TestClient

from core.clock import ManualClock
from core.documents import render_mrz
from counter.station import CounterStation
from counter.web import create_app
from tests.counter.conftest import FORM_TODAY_PERMIT, passport
from tests.counter.test_station import with_reader


def test_the_page_is_in_indonesian_by_default_and_english_on_request(station: CounterStation) -> None:
    client = TestClient(create_app(station))
    assert "Pindai paspor" in client.get("/").text
    assert "Scan passport" in client.get("/?lang=en").text


def test_a_resident_arrival_through_the_api_ends_stamped(station: CounterStation) -> None:
    with_reader(station, render_mrz(passport(), "TD3"))
    client = TestClient(create_app(station))
    view = client.post("/api/inspections", json={"direction": "arrival"}).json()
    base = f"/api/inspections/{view['inspection_id']}"
    client.post(f"{base}/scan")
    client.post(f"{base}/permit", json={"kind": "itas", "number": "2C11AB0001", "expiry": "2027-05-01"})
    station.get(view["inspection_id"]).face_captured = True
    client.post(f"{base}/flight", json={"code": "GA871"})
    final = client.post(f"{base}/stamp").json()
    assert (final["outcome"], final["blockers"]) == ("stamped", [])


def test_a_failed_read_answers_422_asking_for_manual_entry(station: CounterStation) -> None:
    with_reader(station, None)
    client = TestClient(create_app(station))
    view = client.post("/api/inspections", json={"direction": "arrival"}).json()
    answer = client.post(f"/api/inspections/{view['inspection_id']}/scan")
    assert answer.status_code == 422 and "nine fields" in answer.json()["error"]["message"]
    typed = client.post(f"/api/inspections/{view['inspection_id']}/manual", json=FORM_TODAY_PERMIT).json()
    assert typed["passport"]["source"] == "manual"


def test_stamping_too_early_answers_409_with_what_is_missing(station: CounterStation) -> None:
    client = TestClient(create_app(station))
    view = client.post("/api/inspections", json={"direction": "arrival"}).json()
    answer = client.post(f"/api/inspections/{view['inspection_id']}/stamp")
    assert answer.status_code == 409 and "passport is not read" in answer.json()["error"]["message"]


def test_the_report_lists_each_step_beside_its_sop_standard_and_the_steps_over_it(
    station: CounterStation, clock: ManualClock
) -> None:
    with_reader(station, render_mrz(passport(), "TD3"))
    client = TestClient(create_app(station))
    view = client.post("/api/inspections", json={"direction": "arrival"}).json()
    clock.advance(4)  # the officer takes 4 s to receive the documents: the standard is 3 s
    client.post(f"/api/inspections/{view['inspection_id']}/scan")
    report = client.get("/api/report").json()
    [inspection] = report["inspections"]
    receive = next(s for s in inspection["steps"] if s["step"] == "receive")
    assert (receive["seconds"], receive["standard_s"], receive["within"]) == (4.0, 3.0, False)
    assert [s["step"] for s in report["over_standard"]] == ["receive"]
