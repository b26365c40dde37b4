"""``/api/v1/reports``, ``/api/v1/incident-reports``, ``/api/v1/audit``, ``/api/v1/quarantine``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from central import incidents, reports
from central.api.deps import get_central, require_role
from central.auth import ACTORS, MANAGERS, STAFF, Principal
from central.service import Central

router = APIRouter(prefix="/api/v1", tags=["reports"])
ReportName = Literal["crossings-per-hour", "outcomes", "alarms", "step-times"]


class NewIncidentReport(BaseModel):
    kind: Literal["cekal", "interpol"]
    alert_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    fields: dict[str, str] = Field(description="see GET /api/v1/incident-reports/fields/{kind}")


@router.get("/reports/{name}", responses={200: {"content": {"text/csv": {}}}})
def get_report(
    name: ReportName,
    central: Annotated[Central, Depends(get_central)],
    _: Annotated[Principal, Depends(require_role(*MANAGERS))],
    since: datetime | None = None,
    until: datetime | None = None,
    format: Literal["json", "csv"] = "json",
) -> Any:
    rows = reports.run(central.store, name, since, until)
    if format == "csv":
        return Response(
            reports.to_csv(rows),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return rows


@router.get("/incident-reports/fields/{kind}")
def incident_fields(
    kind: Literal["cekal", "interpol"], _: Annotated[Principal, Depends(require_role(*STAFF))]
) -> list[dict[str, Any]]:
    return [vars(f) for f in incidents.fields_for(kind)]


@router.post("/incident-reports", status_code=201)
def add_incident_report(
    body: NewIncidentReport,
    central: Annotated[Central, Depends(get_central)],
    who: Annotated[Principal, Depends(require_role(*ACTORS))],
) -> dict[str, Any]:
    return incidents.submit(
        central.store,
        body.kind,
        body.fields,
        author=who.name,
        now=central.clock.now(),
        alert_id=body.alert_id,
    )


@router.get("/incident-reports", responses={200: {"content": {"text/csv": {}}}})
def list_incident_reports(
    central: Annotated[Central, Depends(get_central)],
    _: Annotated[Principal, Depends(require_role(*MANAGERS))],
    alert_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    format: Literal["json", "csv"] = "json",
) -> Any:
    rows = central.store.incident_reports(alert_id=alert_id)
    if format == "csv":
        return Response(
            reports.to_csv([incidents.flat(r) for r in rows], incidents.csv_columns()),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="laporan-kejadian.csv"'},
        )
    return rows


@router.get("/incident-reports/{report_id}")
def get_incident_report(
    report_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    central: Annotated[Central, Depends(get_central)],
    _: Annotated[Principal, Depends(require_role(*MANAGERS))],
) -> dict[str, Any]:
    return central.store.incident_report(report_id)


@router.get("/audit")
def audit_trail(
    central: Annotated[Central, Depends(get_central)],
    _: Annotated[Principal, Depends(require_role(*MANAGERS))],
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    return central.store.audit_trail(limit)


@router.get("/quarantine")
def quarantine(
    central: Annotated[Central, Depends(get_central)],
    _: Annotated[Principal, Depends(require_role(*MANAGERS))],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    return [
        {**{k: v for k, v in row.items() if k != "payload"}, "payload_hex": row["payload"][:512].hex()}
        for row in central.store.quarantined(limit)
    ]
