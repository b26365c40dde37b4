"""The officers' screens under ``/workflows``: work queues per lane with SLA indicators, the case page
with its actions as CSRF-protected forms, search, and the reports page with charts, CSV and PDF export.

Server-rendered Jinja2 on the dashboard's layout (``central/web/templates/base.html``), bilingual.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from central.api.deps import require_role
from central.auth import MANAGERS, Principal
from central.errors import NotFound
from central.store import Row
from central.web.render import language
from central.workflows import reports
from central.workflows.access import OFFICERS, get_workflows, may_act
from central.workflows.charts import chart_for
from central.workflows.definitions import ROLES
from central.workflows.engine import Workflows
from central.workflows.errors import ActionRefused, BadAction
from central.workflows.export import reports_pdf
from central.workflows.i18n import TEXT, translator

HERE = Path(__file__).resolve().parent
WEB_TEMPLATES = HERE.parent / "web" / "templates"
templates = Jinja2Templates(directory=[HERE / "templates", WEB_TEMPLATES])
router = APIRouter(include_in_schema=False)

# Officers work the queues; administrators manage users and devices, not applications (issue 8 roles).
officer = Depends(require_role(*OFFICERS))
# Reports, as on the dashboard: supervisors, the head of office and administrators (audit).
manager = Depends(require_role(*MANAGERS))
DUE_SOON_SHARE = 0.25  # "due soon" once less than a quarter of the step's time standard is left
REPORT_ORDER = ("sla_sop", "sla", "throughput", "cekal", "revenue", "overstay")
HIDDEN_LANES = ("system",)  # the system's steps never wait in a queue


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/workflows/static", StaticFiles(directory=HERE / "static"), name="workflows-static")


def sla_state(task: Row, now: datetime) -> str:
    """``on_time``, ``due_soon``, ``breached`` or ``no_standard`` for an open task at ``now``.

    On time means strictly before ``due_at`` (docs/workflows.md), so a task at its due time is breached
    even if the timer that records the breach has not fired yet.
    """
    due, entered = task["due_at"], task["entered_at"]
    if due is None:
        return "no_standard"
    if task["breached_at"] is not None or now >= due:
        return "breached"
    standard = (due - entered).total_seconds()
    return "due_soon" if (due - now).total_seconds() <= standard * DUE_SOON_SHARE else "on_time"


def _page(
    request: Request, name: str, who: Principal, status_code: int = 200, **context: Any
) -> HTMLResponse:
    lang = language(request, who)
    wf = get_workflows(request)
    return templates.TemplateResponse(
        request,
        name,
        {
            "t": translator(lang),
            "lang": lang,
            "principal": who,
            "lane_names": {code: names[1 if lang == "en" else 0] for code, names in ROLES.items()},
            "local": lambda at: "" if at is None else at.astimezone(wf.zone).strftime("%Y-%m-%d %H:%M"),
            "is_manager": who.role in MANAGERS,
            **context,
        },
        status_code=status_code,
    )


@router.get("/workflows")
def home(_who: Principal = officer) -> Response:
    return RedirectResponse("/workflows/queue", status_code=303)


@router.get("/workflows/queue", response_class=HTMLResponse)
def queues(request: Request, who: Principal = officer) -> Response:
    wf = get_workflows(request)
    now = wf.clock.now()
    lanes = []
    for lane in ROLES:
        if lane in HIDDEN_LANES:
            continue
        states = [sla_state(task, now) for task in wf.queue(lane)]
        lanes.append({"lane": lane, "total": len(states), **{s: states.count(s) for s in SLA_STATES}})
    return _page(request, "wf_queues.html", who, lanes=lanes)


SLA_STATES = ("on_time", "due_soon", "breached", "no_standard")


@router.get("/workflows/queue/{lane}", response_class=HTMLResponse)
def queue(request: Request, lane: str, who: Principal = officer) -> Response:
    if lane not in ROLES or lane in HIDDEN_LANES:
        raise NotFound(f"no work queue {lane!r}; the lanes are listed on /workflows/queue")
    wf = get_workflows(request)
    now = wf.clock.now()
    tasks = wf.queue(lane)
    for task in tasks:
        task["state"] = sla_state(task, now)
        task["step"] = wf.catalogue.sop(task["sop_id"]).step(task["step_no"])
    return _page(request, "wf_queue.html", who, lane=lane, tasks=tasks, may_act=may_act(who.role, lane))


@router.get("/workflows/search", response_class=HTMLResponse)
def search(request: Request, q: str = "", who: Principal = officer) -> Response:
    results = get_workflows(request).search(q) if q.strip() else []
    return _page(request, "wf_search.html", who, q=q, results=results)


@router.get("/workflows/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: int, who: Principal = officer) -> Response:
    return _case(request, case_id, who)


def _case(
    request: Request, case_id: int, who: Principal, *, problem: str = "", status_code: int = 200
) -> HTMLResponse:
    wf = get_workflows(request)
    case = wf.case(case_id)
    sop = wf.catalogue.sop(case["sop_id"])
    step = sop.step(case["current_step"]) if case["current_step"] else None
    open_task = next((task for task in case["tasks"] if task["done_at"] is None), None)
    earlier = [] if step is None else list(sop.steps[: sop.steps.index(step)])
    data = {
        **case["data"].get("applicant", {}),
        **{k: v for k, v in case["data"].items() if k != "applicant"},
    }
    return _page(
        request,
        "wf_case.html",
        who,
        status_code=status_code,
        case=case,
        sop=sop,
        step=step,
        task=open_task,
        state=None if open_task is None else sla_state(open_task, wf.clock.now()),
        can_act=case["status"] == "open" and step is not None and may_act(who.role, step.role),
        rejection=None if step is None else step.rejection(),
        earlier=earlier,
        open_bill=next((p for p in case["payments"] if p["paid_at"] is None), None),
        data={k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in data.items()},
        problem=problem,
        done=request.query_params.get("done", ""),
    )


@router.post("/workflows/cases/{case_id}/actions", response_class=HTMLResponse)
def act(
    request: Request,
    case_id: int,
    action: Annotated[str, Form(max_length=16)],
    decision: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=512)] = "",
    to_step: Annotated[str, Form(max_length=16)] = "",
    assignee: Annotated[str, Form(max_length=64)] = "",
    who: Principal = officer,
) -> Response:
    wf = get_workflows(request)
    step = wf.case(case_id)["step"]
    if step is not None and not may_act(who.role, step["role"]):
        return _case(request, case_id, who, problem=_not_your_lane(request, who), status_code=403)
    return _attempt(
        request,
        wf,
        case_id,
        who,
        lambda: wf.act(
            case_id,
            action,
            by=who.name,
            decision=decision,
            reason=reason.strip(),
            to_step=to_step,
            assignee=assignee.strip(),
        ),
        done=action,
    )


@router.post("/workflows/cases/{case_id}/payments", response_class=HTMLResponse)
def pay(
    request: Request,
    case_id: int,
    amount: Annotated[int, Form(ge=0)],
    reference: Annotated[str, Form(max_length=64)],
    billing_code: Annotated[str, Form(max_length=24)] = "",
    who: Principal = officer,
) -> Response:
    wf = get_workflows(request)
    return _attempt(
        request,
        wf,
        case_id,
        who,
        lambda: wf.record_payment(
            case_id, amount=amount, reference=reference.strip(), by=who.name, code=billing_code
        ),
        done="payment",
    )


def _attempt(
    request: Request, wf: Workflows, case_id: int, who: Principal, run: Any, *, done: str
) -> Response:
    """Run an engine call; on success go back to the case (post/redirect/get), else show why."""
    try:
        run()
    except ActionRefused as exc:
        return _case(request, case_id, who, problem=str(exc), status_code=409)
    except BadAction as exc:
        return _case(request, case_id, who, problem=str(exc), status_code=422)
    return RedirectResponse(f"/workflows/cases/{case_id}?done={done}", status_code=303)


def _not_your_lane(request: Request, who: Principal) -> str:
    return TEXT["not_your_lane"][1 if language(request, who) == "en" else 0]


def _titles() -> dict[str, tuple[str, str]]:
    return {name: TEXT[f"report_{name}"] for name in REPORT_ORDER}


@router.get("/workflows/reports", response_class=HTMLResponse)
def reports_page(
    request: Request, period: Literal["day", "month"] = "day", who: Principal = manager
) -> Response:
    wf = get_workflows(request)
    lang = language(request, who)
    tables = {name: reports.build(wf, name, period) for name in REPORT_ORDER}
    titles = {name: pair[1 if lang == "en" else 0] for name, pair in _titles().items()}
    charts = {name: chart_for(name, rows).to_svg(titles[name]) for name, rows in tables.items() if rows}
    return _page(request, "wf_reports.html", who, period=period, tables=tables, titles=titles, charts=charts)


@router.get("/workflows/reports.pdf")
def reports_export(
    request: Request, period: Literal["day", "month"] = "day", _who: Principal = manager
) -> Response:
    wf = get_workflows(request)
    now = wf.clock.now()
    pdf = reports_pdf(
        {name: reports.build(wf, name, period) for name in REPORT_ORDER},
        _titles(),
        office=wf.office,
        period=period,
        generated_at=now.astimezone(wf.zone),
    )
    filename = f"workflow-reports-{period}-{now.astimezone(wf.zone):%Y%m%d}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
