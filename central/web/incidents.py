"""The incident report (laporan kejadian) form for cekal and Interpol hits, and the list of reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from central import incidents
from central.api.deps import CSRF_FIELD, get_central, require_role
from central.auth import ACTORS, MANAGERS, Principal
from central.errors import Invalid, NotFound
from central.service import Central
from central.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/incidents", response_class=HTMLResponse)
def list_reports(
    request: Request,
    central: Annotated[Central, Depends(get_central)],
    who: Annotated[Principal, Depends(require_role(*MANAGERS))],
) -> Response:
    return page(request, "incidents.html", principal=who, reports=central.store.incident_reports())


@router.get("/incidents/new", response_class=HTMLResponse)
def new_report(
    request: Request,
    central: Annotated[Central, Depends(get_central)],
    who: Annotated[Principal, Depends(require_role(*ACTORS))],
    kind: str = "cekal",
    alert_id: int | None = None,
) -> Response:
    if kind not in incidents.KINDS:
        kind = "cekal"
    values = prefill(central, alert_id)
    return page(
        request,
        "incident_form.html",
        principal=who,
        kind=kind,
        alert_id=alert_id,
        fields=incidents.fields_for(kind),
        values=values,
        problem="",
    )


@router.post("/incidents", response_class=HTMLResponse)
async def save_report(
    request: Request,
    central: Annotated[Central, Depends(get_central)],
    who: Annotated[Principal, Depends(require_role(*ACTORS))],
) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != CSRF_FIELD}
    kind = values.pop("kind", "cekal")
    raw_alert = values.pop("alert_id", "")
    alert_id = int(raw_alert) if raw_alert.isdigit() else None
    try:
        report = incidents.submit(
            central.store, kind, values, author=who.name, now=central.clock.now(), alert_id=alert_id
        )
    except Invalid as exc:
        return page(
            request,
            "incident_form.html",
            status_code=422,
            principal=who,
            kind=kind,
            alert_id=alert_id,
            fields=incidents.fields_for(kind),
            values=values,
            problem=str(exc),
        )
    return RedirectResponse(f"/incidents?saved={report['report_id']}", status_code=303)


def prefill(central: Central, alert_id: int | None) -> dict[str, str]:
    """What the gate already told us about the hit, so the officer does not type it again."""
    if alert_id is None:
        return {}
    alert = central.store.alert(alert_id)
    try:
        device: dict[str, str] | None = central.store.device(alert["device_id"])
    except NotFound:
        device = None
    details = alert["details"] or {}
    location = (
        alert["device_id"] if device is None else f"{device['device_id']} {device['site']} {device['lane']}"
    )
    return {
        "incident_at": alert["opened_at"].isoformat(timespec="seconds"),
        "location": location.strip(),
        "subject_name": str(details.get("holder_name", "")),
        "document_number": str(details.get("document_number", "")),
        "nationality": str(details.get("nationality", "")),
        "list_name": str(details.get("list_name", "")),
        "list_entry_id": str(details.get("entry_id", "")),
        "requesting_agency": str(details.get("requesting_agency", "")),
        "addressed_to": "Kabid TPI",  # SOP-003-A03 step 10
        "officer": "",
    }
