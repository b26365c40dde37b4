"""The officers' workflow screens: queues with SLA indicators, the case page and its forms, search,
and the reports page with its charts and exports; who may use which."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from central.workflows.pages import DUE_SOON_SHARE, sla_state
from tests.central.workflows.conftest import T0, Office
from tests.central.workflows.driver import drive_to, open_case

PASSWORD = "correct horse battery"
OFFICERS = ("officer", "supervisor", "head_of_office")
MANAGERS = ("supervisor", "head_of_office", "administrator")


def session(office: Office, role: str) -> tuple[TestClient, str]:
    """A browser-like client logged in as ``u-<role>`` and the CSRF token of its session."""
    client = TestClient(office.as_(role).app)
    answer = client.post("/login", data={"username": f"u-{role}", "password": PASSWORD, "next": "/"})
    assert answer.status_code in (200, 303), answer.text
    page = client.get("/workflows/queue")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert token is not None, "the layout carries the session's CSRF token"
    return client, token.group(1)


def itas(office: Office, name: str = "Budi Santoso") -> dict[str, object]:
    return open_case(office, office.workflows.catalogue.sop("SOP-000"), name=name)


def task(due_in: float | None, standard: float, breached: bool = False) -> dict[str, object]:
    due = None if due_in is None else T0 + timedelta(seconds=due_in)
    entered = T0 if due is None else due - timedelta(seconds=standard)
    return {"entered_at": entered, "due_at": due, "breached_at": due if breached else None}


# -- SLA indicator -------------------------------------------------------------------------------------


def test_a_task_with_most_of_its_standard_left_is_on_time() -> None:
    assert sla_state(task(500, 600), T0) == "on_time"


def test_a_task_with_less_than_a_quarter_of_its_standard_left_is_due_soon() -> None:
    assert sla_state(task(600 * DUE_SOON_SHARE, 600), T0) == "due_soon"


def test_a_task_exactly_at_its_due_time_is_breached_before_the_timer_fires() -> None:
    assert sla_state(task(0, 600), T0) == "breached"


def test_a_recorded_breach_stays_breached() -> None:
    assert sla_state(task(100, 600, breached=True), T0) == "breached"


def test_a_step_without_standard_has_no_indicator() -> None:
    assert sla_state(task(None, 0), T0) == "no_standard"


@settings(max_examples=60)
@given(standard=st.floats(1, 86400 * 30), elapsed=st.floats(0, 86400 * 60))
def test_a_task_is_breached_exactly_when_its_standard_has_elapsed(standard: float, elapsed: float) -> None:
    due = T0 + timedelta(seconds=standard)
    now = T0 + timedelta(seconds=elapsed)
    assert (sla_state({"entered_at": T0, "due_at": due, "breached_at": None}, now) == "breached") == (
        now >= due
    )


# -- who may use the screens ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", OFFICERS)
def test_the_queues_render_for_each_officer_role(office: Office, role: str) -> None:
    answer = office.as_(role).get("/workflows/queue")
    assert answer.status_code == 200
    assert "/workflows/queue/counter" in answer.text


@pytest.mark.parametrize("path", ["/workflows/queue", "/workflows/queue/counter", "/workflows/search?q=x"])
def test_an_administrator_may_not_use_the_officers_screens(office: Office, path: str) -> None:
    assert office.as_("administrator").get(path).status_code == 403


def test_an_administrator_may_not_open_a_case_page(office: Office) -> None:
    case = itas(office)
    assert office.as_("administrator").get(f"/workflows/cases/{case['case_id']}").status_code == 403


@pytest.mark.parametrize("role", MANAGERS)
def test_the_reports_page_renders_for_each_manager_role(office: Office, role: str) -> None:
    answer = office.as_(role).get("/workflows/reports")
    assert answer.status_code == 200
    assert "report-sla_sop" in answer.text


def test_an_officer_may_not_open_the_reports(office: Office) -> None:
    assert office.as_("officer").get("/workflows/reports").status_code == 403
    assert office.as_("officer").get("/workflows/reports.pdf").status_code == 403


def test_without_login_a_page_sends_the_browser_to_log_in(office: Office) -> None:
    client = TestClient(office.as_("officer").app)
    answer = client.get("/workflows/queue", headers={"accept": "text/html"}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")


def test_an_unknown_lane_is_not_found(office: Office) -> None:
    assert office.as_("officer").get("/workflows/queue/nobody").status_code == 404


# -- queues --------------------------------------------------------------------------------------------


def test_the_lane_overview_counts_open_tasks_by_sla_state(office: Office) -> None:
    itas(office)
    office.clock.advance(9 * 60)  # SOP-000 step 1 allows 10 min: a minute left is "due soon"
    text = office.as_("officer").get("/workflows/queue").text
    assert 'class="sla due_soon"' in text


def test_a_lane_queue_lists_the_case_with_its_step_and_sla(office: Office) -> None:
    case = itas(office, name="Siti Aminah")
    text = office.as_("officer").get("/workflows/queue/counter").text
    assert f'href="/workflows/cases/{case["case_id"]}"' in text
    assert "Siti Aminah" in text
    assert "SOP-000" in text
    assert 'class="task on_time"' in text


def test_a_lane_queue_shows_a_breach_once_the_standard_has_passed(office: Office) -> None:
    itas(office)
    office.clock.advance(10 * 60)
    assert 'class="task breached"' in office.as_("officer").get("/workflows/queue/counter").text


def test_the_queue_page_is_bilingual(office: Office) -> None:
    itas(office)
    client = office.as_("officer")
    client.cookies.set("lang", "en")
    english = client.get("/workflows/queue/counter").text
    client.cookies.set("lang", "id")
    indonesian = client.get("/workflows/queue/counter").text
    assert "on time" in english and "Work queue" in english.replace("Queue", "Work queue")
    assert "tepat waktu" in indonesian


# -- search --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["application_no", "applicant_name", "passport_no"])
def test_search_finds_a_case_by_number_name_or_passport(office: Office, field: str) -> None:
    case = open_case(
        office, office.workflows.catalogue.sop("SOP-000"), name="Rina Wati", passport_no="C7654321"
    )
    itas(office, name="Someone Else")
    answer = office.as_("officer").get("/workflows/search", params={"q": str(case[field]).lower()})
    assert f'href="/workflows/cases/{case["case_id"]}"' in answer.text
    assert "Someone Else" not in answer.text


def test_a_search_without_result_says_so(office: Office) -> None:
    office.as_("officer").cookies.set("lang", "en")
    assert "Nothing found." in office.as_("officer").get("/workflows/search?q=zzzz").text


# -- the case page -------------------------------------------------------------------------------------


def test_the_case_page_shows_data_documents_and_history(office: Office) -> None:
    case = drive_to(office, office.workflows.catalogue.sop("SOP-000"), itas(office), "2")
    text = office.as_("officer").get(f"/workflows/cases/{case['case_id']}").text
    assert str(case["application_no"]) in text and "X1234567" in text
    receipt = case["documents"][0]["number"]
    assert f'href="/api/v1/workflows/documents/{receipt}.pdf"' in text
    assert 'class="transition"' in text


def test_the_case_page_offers_approve_return_and_assign_but_no_reject_without_a_branch(
    office: Office,
) -> None:
    case = itas(office)
    case = drive_to(office, office.workflows.catalogue.sop("SOP-000"), case, "2")
    text = office.as_("officer").get(f"/workflows/cases/{case['case_id']}").text
    assert 'value="approve"' in text and 'value="return"' in text and 'value="assign"' in text
    assert 'value="reject"' not in text  # SOP-000 step 2 has no unfavourable branch


def test_the_case_page_offers_reject_where_the_step_has_a_rejection_branch(office: Office) -> None:
    case = drive_to(office, office.workflows.catalogue.sop("SOP-000"), itas(office), "4")
    text = office.as_("officer").get(f"/workflows/cases/{case['case_id']}").text
    assert 'value="reject"' in text


def test_approving_by_form_moves_the_case_on_and_records_who(office: Office) -> None:
    case = itas(office)
    client, csrf = session(office, "officer")
    answer = client.post(
        f"/workflows/cases/{case['case_id']}/actions",
        data={"action": "approve", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    after = office.workflows.case(int(str(case["case_id"])))
    assert after["current_step"] == "2"
    assert after["transitions"][-1]["actor"] == "u-officer"


def test_a_form_without_its_csrf_token_is_refused(office: Office) -> None:
    case = itas(office)
    client, _csrf = session(office, "officer")
    answer = client.post(f"/workflows/cases/{case['case_id']}/actions", data={"action": "approve"})
    assert answer.status_code == 403
    assert office.workflows.case(int(str(case["case_id"])))["current_step"] == "1"


def test_a_rejection_without_reason_is_shown_as_a_problem_on_the_case_page(office: Office) -> None:
    case = drive_to(office, office.workflows.catalogue.sop("SOP-000"), itas(office), "4")
    client, csrf = session(office, "officer")
    answer = client.post(
        f"/workflows/cases/{case['case_id']}/actions", data={"action": "reject", "csrf_token": csrf}
    )
    assert answer.status_code == 422
    assert 'role="alert"' in answer.text and "needs a reason" in answer.text


def test_returning_for_correction_by_form_goes_back_with_the_reason_in_the_history(office: Office) -> None:
    case = drive_to(office, office.workflows.catalogue.sop("SOP-000"), itas(office), "4")
    client, csrf = session(office, "officer")
    client.post(
        f"/workflows/cases/{case['case_id']}/actions",
        data={"action": "return", "to_step": "2", "reason": "passport page unreadable", "csrf_token": csrf},
    )
    page = client.get(f"/workflows/cases/{case['case_id']}").text
    assert office.workflows.case(int(str(case["case_id"])))["current_step"] == "2"
    assert "passport page unreadable" in page


def test_assigning_by_form_shows_the_assignee_in_the_queue(office: Office) -> None:
    case = itas(office)
    client, csrf = session(office, "supervisor")
    client.post(
        f"/workflows/cases/{case['case_id']}/actions",
        data={"action": "assign", "assignee": "petugas.andi", "csrf_token": csrf},
    )
    assert "petugas.andi" in client.get("/workflows/queue/counter").text


def test_an_officer_sees_no_actions_on_a_head_of_office_step_and_may_not_post_one(office: Office) -> None:
    case = drive_to(
        office,
        office.workflows.catalogue.sop("SOP-003-B02"),
        open_case(office, office.workflows.catalogue.sop("SOP-003-B02")),
        "10",
    )
    client, csrf = session(office, "officer")
    page = client.get(f"/workflows/cases/{case['case_id']}").text
    assert 'value="approve"' not in page
    answer = client.post(
        f"/workflows/cases/{case['case_id']}/actions", data={"action": "approve", "csrf_token": csrf}
    )
    assert answer.status_code == 403
    assert office.workflows.case(int(str(case["case_id"])))["current_step"] == "10"


def test_a_handover_without_payment_is_refused_on_the_case_page(office: Office) -> None:
    sop = office.workflows.catalogue.sop("SOP-003-B02")
    case = drive_to(office, sop, open_case(office, sop), "2")
    case = drive_to(office, sop, case, "2")
    office.as_("officer").post(
        f"/api/v1/workflows/cases/{case['case_id']}/actions", json={"action": "approve"}
    )
    client, csrf = session(office, "officer")
    answer = client.post(
        f"/workflows/cases/{case['case_id']}/actions", data={"action": "approve", "csrf_token": csrf}
    )
    assert answer.status_code == 409
    assert "no proof of payment" in answer.text


def test_recording_the_payment_by_form_lets_the_step_complete(office: Office) -> None:
    sop = office.workflows.catalogue.sop("SOP-003-B02")
    case = drive_to(office, sop, open_case(office, sop), "2")
    office.as_("officer").post(
        f"/api/v1/workflows/cases/{case['case_id']}/actions", json={"action": "approve"}
    )
    bill = office.workflows.case(int(str(case["case_id"])))["payments"][0]
    client, csrf = session(office, "officer")
    paid = client.post(
        f"/workflows/cases/{case['case_id']}/payments",
        data={
            "amount": bill["amount"],
            "billing_code": bill["billing_code"],
            "reference": "BANK-9",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert paid.status_code == 303
    approved = client.post(
        f"/workflows/cases/{case['case_id']}/actions",
        data={"action": "approve", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    assert office.workflows.case(int(str(case["case_id"])))["current_step"] == "4"


# -- reports -------------------------------------------------------------------------------------------


def finished_itas_steps(office: Office) -> None:
    case = itas(office)
    drive_to(office, office.workflows.catalogue.sop("SOP-000"), case, "4")


def test_the_reports_page_draws_an_svg_chart_per_report_with_data(office: Office) -> None:
    finished_itas_steps(office)
    text = office.as_("supervisor").get("/workflows/reports").text
    assert text.count("<svg") >= 2  # SLA per SOP and per step; throughput
    assert "<script" not in text


def test_the_reports_page_shows_the_sla_per_sop_row(office: Office) -> None:
    finished_itas_steps(office)
    text = office.as_("supervisor").get("/workflows/reports?period=month").text
    assert "2026-11" in text and "SOP-000" in text


def test_the_sla_per_sop_report_exports_as_csv(office: Office) -> None:
    finished_itas_steps(office)
    answer = office.as_("supervisor").get("/api/v1/workflows/reports/sla_sop?period=day&format=csv")
    header, first = answer.text.splitlines()[:2]
    assert header.startswith("period,sop_id,finished")
    assert first.startswith("2026-11-23,SOP-000,")


def test_the_reports_export_as_one_pdf(office: Office) -> None:
    finished_itas_steps(office)
    answer = office.as_("head_of_office").get("/workflows/reports.pdf?period=month")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")


def test_an_unknown_report_period_is_refused(office: Office) -> None:
    assert office.as_("supervisor").get("/workflows/reports?period=year").status_code == 422
