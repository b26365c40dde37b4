"""Every shipped SOP driven through the API on a manual clock: happy path, each branch, SLA, money."""

from __future__ import annotations

from datetime import timedelta

import pytest

from central.workflows.definitions import Catalogue, Sop
from tests.central.workflows.conftest import Office, build_office
from tests.central.workflows.driver import STEP_SECONDS, act, drive_to, open_case

CATALOGUE = Catalogue.load()
SOPS = sorted(CATALOGUE.sops.values(), key=lambda s: s.id)
BRANCHES = [
    (sop.id, step.no, d.when, d.to)
    for sop in SOPS
    for step in sop.steps
    if step.kind == "task"
    for d in step.decisions
]
CEKAL_STEPS = [
    (s.id, st.no) for s in SOPS for st in s.steps if (st.target("hit") or "").startswith("sop:SOP-003-A03")
]
API = "/api/v1/workflows"


def happy_end(sop: Sop) -> str:
    no = sop.first.no
    while True:
        nxt = sop.step(no).next
        if nxt.startswith("end:"):
            return nxt[4:]
        no = nxt


def applicant_for(sop: Sop) -> dict[str, str]:
    # SOP-003-A07: a permit that expired 10 days before the manual clock's date
    return {"permit_expiry": "2026-11-13"} if sop.id == "SOP-003-A07" else {}


@pytest.mark.parametrize("sop", SOPS, ids=lambda s: s.id)
def test_happy_path_ends_with_the_sops_own_outcome(office: Office, sop: Sop) -> None:
    case = open_case(office, sop, **applicant_for(sop))
    while case["current_step"] is not None:
        case = act(office, case)
    assert case["status"] == happy_end(sop)
    assert [t["sop_id"] for t in case["transitions"]] == [sop.id] * len(case["transitions"])
    assert all(t["step_no"] for t in case["transitions"])


@pytest.mark.parametrize(("sop_id", "step_no", "when", "to"), BRANCHES, ids=lambda v: str(v))
def test_each_branch_leads_where_the_definition_says(
    office: Office, sop_id: str, step_no: str, when: str, to: str
) -> None:
    sop = CATALOGUE.sop(sop_id)
    case = drive_to(office, sop, open_case(office, sop, **applicant_for(sop)), step_no)
    case = act(office, case, when, reason="branch under test")
    last = case["transitions"][-1]
    assert (last["step_no"], last["decision"], last["to_step"]) == (step_no, when, to)
    if to.startswith("end:"):
        assert case["status"] == to[4:]
    elif to.startswith("sop:"):
        assert case["status"] == "held"
        linked_sop, _, at = to[4:].partition("@")
        child = office.as_("officer").get(f"{API}/cases/{case['linked'][0]['case_id']}").json()
        assert (child["sop_id"], child["current_step"]) == (
            linked_sop,
            at or CATALOGUE.sop(linked_sop).first.no,
        )
    else:
        assert case["current_step"] == to


@pytest.mark.parametrize(("sop_id", "step_no"), CEKAL_STEPS)
def test_a_cekal_hit_holds_the_application_and_opens_a_linked_a03_case(
    office: Office, sop_id: str, step_no: str
) -> None:
    sop = CATALOGUE.sop(sop_id)
    case = open_case(office, sop, name="Cekal Subject")
    while case["status"] == "open":
        case = act(office, case)
    assert (case["status"], case["current_step"]) == ("held", step_no)
    assert case["data"]["cekal_hits"] == [{"entry_id": "WL-1", "verdict": "identik"}]
    assert [c["sop_id"] for c in case["linked"]] == ["SOP-003-A03"]


def test_a_vitas_cekal_hit_goes_to_officer_1_for_the_in_depth_check(office: Office) -> None:
    sop = CATALOGUE.sop("SOP-002")
    case = drive_to(office, sop, open_case(office, sop, name="Cekal Subject"), "4")
    case = act(office, case)
    assert (case["status"], case["current_step"]) == ("open", "5a")


def test_a_held_application_refuses_actions(office: Office) -> None:
    sop = CATALOGUE.sop("SOP-000")
    case = drive_to(office, sop, open_case(office, sop, name="Cekal Subject"), "2")
    first = office.as_("officer").post(f"{API}/cases/{case['case_id']}/actions", json={"action": "approve"})
    assert first.status_code == 200 and first.json()["status"] == "held"
    again = office.as_("officer").post(f"{API}/cases/{case['case_id']}/actions", json={"action": "approve"})
    assert again.status_code == 409
    assert "waits for its linked case" in again.json()["error"]["message"]


def test_a_cleared_cekal_case_lets_the_application_continue_after_its_cekal_step(office: Office) -> None:
    sop = CATALOGUE.sop("SOP-000")
    case = drive_to(office, sop, open_case(office, sop, name="Cekal Namesake"), "2")
    case = act(office, case)
    child = office.as_("officer").get(f"{API}/cases/{case['linked'][0]['case_id']}").json()
    act(office, child, "not_listed", reason="different date of birth")
    parent = office.as_("officer").get(f"{API}/cases/{case['case_id']}").json()
    assert (parent["status"], parent["current_step"]) == ("open", "4")


def test_a_confirmed_cekal_case_rejects_the_application(office: Office) -> None:
    sop = CATALOGUE.sop("SOP-003-B02")
    case = open_case(office, sop, name="Cekal Subject")
    while case["status"] == "open":
        case = act(office, case)
    child = office.as_("officer").get(f"{API}/cases/{case['linked'][0]['case_id']}").json()
    while child["current_step"] is not None:
        child = act(office, child)
    parent = office.as_("officer").get(f"{API}/cases/{case['case_id']}").json()
    assert (child["status"], parent["status"]) == ("confirmed", "rejected")


@pytest.mark.parametrize(
    "sop", [s for s in SOPS if any("payment" in st.requires for st in s.steps)], ids=lambda s: s.id
)
def test_a_document_is_not_handed_over_without_payment(office: Office, sop: Sop) -> None:
    step = next(st for st in sop.steps if "payment" in st.requires)
    case = drive_to(office, sop, open_case(office, sop, **applicant_for(sop)), step.no)
    answer = office.as_("officer").post(f"{API}/cases/{case['case_id']}/actions", json={"action": "approve"})
    assert answer.status_code == 409
    assert f"{sop.id} step {step.no}: no proof of payment" in answer.json()["error"]["message"]


def test_a_payment_with_the_wrong_amount_is_refused(office: Office) -> None:
    case = open_case(office, CATALOGUE.sop("SOP-003-B06"))
    answer = office.as_("officer").post(
        f"{API}/cases/{case['case_id']}/payments", json={"amount": 1, "reference": "R1"}
    )
    assert answer.status_code == 422


def test_payment_issues_a_numbered_payment_receipt_pdf(office: Office) -> None:
    case = drive_to(
        office, CATALOGUE.sop("SOP-003-B06"), open_case(office, CATALOGUE.sop("SOP-003-B06")), "3"
    )
    case = act(office, case)
    receipt = next(d for d in case["documents"] if d["kind"] == "payment_receipt")
    pdf = office.as_("officer").get(f"{API}/documents/{receipt['number']}.pdf")
    assert receipt["number"].startswith("KW-2026-")
    assert pdf.content.startswith(b"%PDF")


def test_a_finished_permit_has_its_register_number_and_documents(office: Office) -> None:
    sop = CATALOGUE.sop("SOP-000")
    case = open_case(office, sop)
    while case["current_step"] is not None:
        case = act(office, case)
    kinds = sorted(d["kind"] for d in case["documents"])
    assert kinds == ["application_receipt", "card_record", "payment_receipt", "register_number"]
    assert case["data"]["register_number"] == "ITAS-VITAS-2026-000001"


@pytest.mark.parametrize("sop", [s for s in SOPS if s.first.seconds], ids=lambda s: s.id)
def test_a_breach_is_recorded_exactly_at_the_standard(office: Office, sop: Sop) -> None:
    case = open_case(office, sop, **applicant_for(sop))
    standard = sop.step(case["current_step"]).seconds
    assert standard is not None
    office.clock.advance(standard - 0.001)
    assert office.workflows.case(case["case_id"])["tasks"][-1]["breached_at"] is None
    office.clock.advance(0.001)
    task = office.workflows.case(case["case_id"])["tasks"][-1]
    assert task["breached_at"] == task["entered_at"] + timedelta(seconds=standard)


def test_the_queue_shows_a_breached_task_as_breached(office: Office) -> None:
    case = open_case(office, CATALOGUE.sop("SOP-004"))
    office.clock.advance(600)
    queue = office.as_("officer").get(f"{API}/queues/counter").json()
    assert [(q["application_no"], q["sla"]) for q in queue] == [(case["application_no"], "breached")]


def test_a_step_done_within_its_standard_is_on_time_in_the_sla_report(office: Office) -> None:
    case = open_case(office, CATALOGUE.sop("SOP-004"))
    act(office, case)
    rows = office.as_("supervisor").get(f"{API}/reports/sla").json()
    row = next(r for r in rows if (r["sop_id"], r["step_no"]) == ("SOP-004", "1"))
    assert (row["finished"], row["on_time"], row["median_seconds"]) == (1, 1, STEP_SECONDS)


def test_overstay_fee_is_days_since_expiry_times_the_daily_tariff(office: Office) -> None:
    sop = CATALOGUE.sop("SOP-003-A07")
    case = drive_to(office, sop, open_case(office, sop, permit_expiry="2026-11-13"), "5")
    assert case["data"]["overstay_days"] == 10
    assert case["payments"][0]["amount"] == 10 * office.workflows.tariffs.overstay_per_day


def test_an_overstay_beyond_60_days_leaves_sop_a07(office: Office) -> None:
    sop = CATALOGUE.sop("SOP-003-A07")
    case = drive_to(office, sop, open_case(office, sop, permit_expiry="2026-09-01"), "3")
    case = act(office, case)
    assert (case["status"], case["transitions"][-1]["decision"]) == ("rejected", "over_60_days")


def test_overstay_report_sums_the_fees_paid_per_day(office: Office) -> None:
    sop = CATALOGUE.sop("SOP-003-A07")
    case = drive_to(office, sop, open_case(office, sop, permit_expiry="2026-11-13"), "5")
    act(office, case)
    rows = office.as_("supervisor").get(f"{API}/reports/overstay?period=day").json()
    assert rows == [
        {
            "period": "2026-11-23",
            "service_code": "OVERSTAY",
            "payments": 1,
            "amount": 10 * office.workflows.tariffs.overstay_per_day,
        }
    ]


def test_reports_export_as_csv(office: Office) -> None:
    act(office, open_case(office, CATALOGUE.sop("SOP-004")))
    answer = office.as_("supervisor").get(f"{API}/reports/sla?period=month&format=csv")
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.text.splitlines()[0].startswith("period,sop_id,step_no,finished")


def test_reject_needs_a_reason(office: Office) -> None:
    case = drive_to(office, CATALOGUE.sop("SOP-004"), open_case(office, CATALOGUE.sop("SOP-004")), "2")
    answer = office.as_("officer").post(f"{API}/cases/{case['case_id']}/actions", json={"action": "reject"})
    assert answer.status_code == 422


def test_reject_with_reason_takes_the_steps_rejection_branch(office: Office) -> None:
    case = drive_to(office, CATALOGUE.sop("SOP-004"), open_case(office, CATALOGUE.sop("SOP-004")), "2")
    case = (
        office.as_("officer")
        .post(
            f"{API}/cases/{case['case_id']}/actions", json={"action": "reject", "reason": "no sponsor letter"}
        )
        .json()
    )
    assert (case["status"], case["transitions"][-1]["reason"]) == ("rejected", "no sponsor letter")


def test_return_for_correction_goes_back_to_an_earlier_step(office: Office) -> None:
    sop = CATALOGUE.sop("SOP-003-B03")
    case = drive_to(office, sop, open_case(office, sop), "5")
    case = (
        office.as_("officer")
        .post(
            f"{API}/cases/{case['case_id']}/actions",
            json={"action": "return", "to_step": "2", "reason": "typo in name"},
        )
        .json()
    )
    assert case["current_step"] == "2"


def test_assign_puts_the_task_on_a_named_officer(office: Office) -> None:
    case = open_case(office, CATALOGUE.sop("SOP-004"))
    case = (
        office.as_("officer")
        .post(f"{API}/cases/{case['case_id']}/actions", json={"action": "assign", "assignee": "siti"})
        .json()
    )
    assert case["tasks"][-1]["assignee"] == "siti"


def test_legalisation_needs_the_head_of_office(office: Office) -> None:
    sop = CATALOGUE.sop("SOP-004")
    case = drive_to(office, sop, open_case(office, sop), "9")
    answer = office.as_("officer").post(f"{API}/cases/{case['case_id']}/actions", json={"action": "approve"})
    assert answer.status_code == 403


def test_search_finds_a_case_by_name_passport_or_application_number(office: Office) -> None:
    case = open_case(office, CATALOGUE.sop("SOP-004"), name="Rina Wulandari")
    for text in ("wulan", "x1234567", case["application_no"]):
        found = office.as_("officer").get(f"{API}/search", params={"q": text}).json()
        assert [f["case_id"] for f in found] == [case["case_id"]]


def test_the_office_configured_variant_runs_for_the_service(sqlite_url: str) -> None:
    office = build_office(sqlite_url, choices={"ITAS-VITAS": "SOP-003-B06"})
    case = (
        office.as_("officer")
        .post(f"{API}/cases", json={"service_code": "ITAS-VITAS", "applicant": {"name": "A"}})
        .json()
    )
    assert case["sop_id"] == "SOP-003-B06"
    office.workflows.store.close()


def test_a_whole_permit_runs_on_every_database(db_url: str) -> None:
    office = build_office(db_url)
    sop = CATALOGUE.sop("SOP-003-B09")
    case = open_case(office, sop)
    while case["current_step"] is not None:
        case = act(office, case)
    assert case["status"] == "approved"
    office.workflows.store.close()


def test_without_login_the_api_answers_401(office: Office) -> None:
    from fastapi.testclient import TestClient

    anonymous = TestClient(office.as_("officer").app)
    assert anonymous.get(f"{API}/services").status_code == 401
