"""The workflow API under ``/api/v1/workflows``: services, cases, actions, payments, queues, search.

``install(app, workflows)`` adds the router and the officers' screens and puts the engine on
``app.state.workflows``.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from central.api.deps import require_role
from central.auth import DEVICE, MANAGERS, STAFF, Forbidden, Principal
from central.store import Row
from central.workflows import pages, reports
from central.workflows.access import OFFICERS, get_workflows, may_act
from central.workflows.definitions import ROLES
from central.workflows.engine import Workflows

router = APIRouter(prefix="/api/v1/workflows", tags=["workflows"])
read = Depends(require_role(*STAFF))
# Reports are for managers, as on the /workflows/reports page (the role matrix in tests/security).
manager = Depends(require_role(*MANAGERS))
officer = Depends(require_role(*OFFICERS))
opener = Depends(require_role(*OFFICERS, DEVICE))
status_reader = Depends(require_role(*STAFF, DEVICE))


def install(app: FastAPI, workflows: Workflows) -> None:
    """Serve the API, the officers' screens (``/workflows/...``) and their static files."""
    app.state.workflows = workflows
    app.include_router(router)
    pages.install(app)


class OpenCase(BaseModel):
    service_code: str = ""
    sop_id: str = ""
    applicant: dict[str, Any]
    data: dict[str, Any] = Field(default_factory=dict)


class Act(BaseModel):
    action: str
    decision: str = ""
    reason: str = ""
    to_step: str = ""
    assignee: str = ""


class Payment(BaseModel):
    amount: int
    reference: str
    billing_code: str = ""


@router.get("/services")
def services(request: Request, _p: Principal = read) -> list[dict[str, Any]]:
    wf = get_workflows(request)
    return [
        {
            "service_code": code,
            "variants": [
                {"sop_id": s.id, "title_id": s.title_id, "title_en": s.title_en, "variant": s.variant}
                for s in sops
            ],
            "chosen": wf.catalogue.for_service(code).id,
        }
        for code, sops in wf.catalogue.services().items()
    ]


@router.get("/sops/{sop_id}")
def sop(request: Request, sop_id: str, _p: Principal = read) -> dict[str, Any]:
    s = get_workflows(request).catalogue.sop(sop_id)
    return {
        "id": s.id,
        "title_id": s.title_id,
        "title_en": s.title_en,
        "service_code": s.service_code,
        "variant": s.variant,
        "linked": list(s.linked),
        "steps": [
            {
                "no": st.no,
                "name": st.name,
                "role": st.role,
                "standard": st.standard,
                "kind": st.kind,
                "next": st.next,
                "actions": list(st.actions),
                "requires": list(st.requires),
                "decisions": [{"when": d.when, "to": d.to, "label_en": d.label_en} for d in st.decisions],
            }
            for st in s.steps
        ],
    }


@router.post("/cases", status_code=201)
def open_case(request: Request, body: OpenCase, p: Principal = opener) -> Row:
    # A kiosk's application id makes the call idempotent: its MQTT event opens the same one case.
    ref = body.data.get("application_id")
    return get_workflows(request).open_case(
        body.applicant,
        by=p.name,
        service_code=body.service_code,
        sop_id=body.sop_id,
        data=body.data,
        source_ref=ref if isinstance(ref, str) and ref else None,
    )


@router.get("/cases/by-number/{number}/status")
def case_status(
    request: Request, number: Annotated[str, Path(max_length=64)], _p: Principal = status_reader
) -> Row:
    """The narrow read a kiosk may make for an applicant: state, current step and what is still needed,
    by central's application number or the kiosk's application id; no names, no documents."""
    return get_workflows(request).status_by_number(number)


@router.get("/cases/{case_id}")
def get_case(request: Request, case_id: int, _p: Principal = read) -> Row:
    return get_workflows(request).case(case_id)


@router.post("/cases/{case_id}/actions")
def act(request: Request, case_id: int, body: Act, p: Principal = officer) -> Row:
    wf = get_workflows(request)
    step = wf.case(case_id)["step"]
    if step is not None and not may_act(p.role, step["role"]):
        raise Forbidden(
            f"step {step['no']} belongs to the {step['role']} lane; role {p.role!r} may not act on it"
        )
    return wf.act(
        case_id,
        body.action,
        by=p.name,
        decision=body.decision,
        reason=body.reason,
        to_step=body.to_step,
        assignee=body.assignee,
    )


@router.post("/cases/{case_id}/payments")
def pay(request: Request, case_id: int, body: Payment, p: Principal = officer) -> Row:
    return get_workflows(request).record_payment(
        case_id, amount=body.amount, reference=body.reference, by=p.name, code=body.billing_code
    )


@router.get("/documents/{number}.pdf")
def document(request: Request, number: str, _p: Principal = read) -> Response:
    _kind, pdf = get_workflows(request).document(number)
    return Response(
        pdf, media_type="application/pdf", headers={"content-disposition": f'inline; filename="{number}.pdf"'}
    )


@router.get("/roles")
def roles(_p: Principal = read) -> dict[str, dict[str, str]]:
    return {code: {"id": id_, "en": en} for code, (id_, en) in ROLES.items()}


@router.get("/queues/{role}")
def queue(request: Request, role: str, _p: Principal = read) -> list[Row]:
    return get_workflows(request).queue(role)


@router.get("/search")
def search(request: Request, q: str, _p: Principal = read) -> list[Row]:
    return get_workflows(request).search(q)


@router.get("/reports/{name}", response_model=None)
def report(
    request: Request, name: str, period: str = "day", format: str = "json", _p: Principal = manager
) -> list[Row] | Response:
    rows = reports.build(get_workflows(request), name, period)
    if format != "csv":
        return rows
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return Response(
        buf.getvalue(),
        media_type="text/csv",
        headers={"content-disposition": f'attachment; filename="{name}-{period}.csv"'},
    )
