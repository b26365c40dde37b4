"""Drives a case through the API along a path of the SOP's graph, advancing the clock per step."""

from __future__ import annotations

from collections import deque
from typing import Any

from central.workflows.definitions import Sop
from tests.central.workflows.conftest import Office

STEP_SECONDS = 30.0  # each step done well inside any standard of 1 min or more


def path_to(sop: Sop, start: str, goal: str) -> list[tuple[str, str]]:
    """Shortest list of (step, decision) to take from ``start`` to reach step ``goal`` ("" = approve)."""
    seen = {start}
    todo: deque[tuple[str, list[tuple[str, str]]]] = deque([(start, [])])
    while todo:
        no, taken = todo.popleft()
        if no == goal:
            return taken
        step = sop.step(no)
        edges = [("", step.next)] + ([] if step.kind == "auto" else [(d.when, d.to) for d in step.decisions])
        for decision, target in edges:
            if target not in seen and not target.startswith(("end:", "sop:")):
                seen.add(target)
                todo.append((target, [*taken, (no, decision)]))
    raise AssertionError(f"{sop.id}: no path from {start} to {goal}")


def role_for(step_role: str) -> str:
    return "head_of_office" if step_role == "head_of_office" else "officer"


def act(office: Office, case: dict[str, Any], decision: str = "", reason: str = "") -> dict[str, Any]:
    """Take one action on the case's current step, paying first when the step needs proof of payment."""
    office.clock.advance(STEP_SECONDS)
    step = case["step"]
    client = office.as_(role_for(step["role"]))
    if "payment" in step["requires"] and not case["paid"]:
        bill = next((p for p in case["payments"] if p["paid_at"] is None), None)
        amount = bill["amount"] if bill else office.workflows.tariffs.tariff(case["service_code"]).amount
        paid = client.post(
            f"/api/v1/workflows/cases/{case['case_id']}/payments",
            json={"amount": amount, "reference": f"BANK-{case['case_id']}"},
        )
        assert paid.status_code == 200, paid.text
    body = {"action": "decide", "decision": decision, "reason": reason} if decision else {"action": "approve"}
    answer = client.post(f"/api/v1/workflows/cases/{case['case_id']}/actions", json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def open_case(office: Office, sop: Sop, name: str = "Budi Santoso", **applicant: Any) -> dict[str, Any]:
    answer = office.as_("officer").post(
        "/api/v1/workflows/cases",
        json={"sop_id": sop.id, "applicant": {"name": name, "passport_no": "X1234567", **applicant}},
    )
    assert answer.status_code == 201, answer.text
    case: dict[str, Any] = answer.json()
    return case


def drive_to(office: Office, sop: Sop, case: dict[str, Any], goal: str) -> dict[str, Any]:
    for no, decision in path_to(sop, case["current_step"], goal):
        if sop.step(no).kind == "auto":
            continue  # the system moves through it by itself
        case = act(office, case, decision, reason="as the test path requires" if decision else "")
    assert case["current_step"] == goal
    return case
