"""The officer's screen: one page (Jinja2, plain JS) over a small JSON API on the station.

Bahasa Indonesia by default, English with ``?lang=en`` (kept in a cookie).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from core.wire.messages import Direction
from counter.errors import CounterError, InspectionStateError, ManualEntryError
from counter.permits import PERMIT_LABELS, StayPermit
from counter.station import CounterStation, Referral

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")


class Begin(BaseModel):
    direction: Direction
    pmi: bool = False


class Permit(BaseModel):
    kind: str
    number: str
    expiry: str


class Flight(BaseModel):
    code: str


class Refer(BaseModel):
    reason: Referral
    note: str = ""


def create_app(station: CounterStation) -> FastAPI:
    app = FastAPI(title="Imigrasi counter station")
    app.state.station = station
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(CounterError)
    async def refused(_request: Request, exc: CounterError) -> Response:
        status = 404 if isinstance(exc, InspectionStateError) and "no inspection" in str(exc) else 422
        if isinstance(exc, InspectionStateError) and status != 404:
            status = 409
        return JSONResponse({"error": {"code": type(exc).__name__, "message": str(exc)}}, status_code=status)

    @app.get("/", response_class=HTMLResponse)
    def page(request: Request, lang: str | None = None) -> Response:
        language = lang if lang in ("id", "en") else request.cookies.get("lang", "id")
        answer = TEMPLATES.TemplateResponse(
            request,
            "counter.html",
            {"lang": language, "station": station, "permits": PERMIT_LABELS, "today": station.today()},
        )
        answer.set_cookie("lang", language, samesite="strict", httponly=True)
        return answer

    @app.get("/api/status")
    def status() -> dict[str, Any]:
        link = station.publisher.link
        return {
            "device_id": station.device_id,
            "online": bool(link.is_connected),
            "outbox_depth": station.publisher.outbox.depth(),
            "pending_cases": len(station.pending),
            "list_version": station.list_version,
        }

    @app.get("/api/report")
    def report() -> dict[str, Any]:
        """Every inspection's step times against the SOP standards (the per-step time report)."""
        return step_report(station)

    @app.post("/api/sync")
    def sync() -> dict[str, int]:
        return {"opened": station.sync()}

    @app.post("/api/inspections", status_code=201)
    def begin(body: Begin) -> dict[str, Any]:
        return station.begin(body.direction, pmi=body.pmi).to_dict()

    @app.get("/api/inspections/{inspection_id}")
    def get(inspection_id: str) -> dict[str, Any]:
        return _view(station, inspection_id)

    @app.post("/api/inspections/{inspection_id}/scan")
    def scan(inspection_id: str) -> dict[str, Any]:
        station.scan(station.get(inspection_id))
        return _view(station, inspection_id)

    @app.post("/api/inspections/{inspection_id}/manual")
    def manual(inspection_id: str, form: dict[str, str]) -> dict[str, Any]:
        station.enter_manually(station.get(inspection_id), form)
        return _view(station, inspection_id)

    @app.post("/api/inspections/{inspection_id}/permit")
    def permit(inspection_id: str, body: Permit) -> dict[str, Any]:
        station.record_permit(
            station.get(inspection_id), StayPermit.parse(body.kind, body.number, body.expiry)
        )
        return _view(station, inspection_id)

    @app.post("/api/inspections/{inspection_id}/biometrics")
    def biometrics(inspection_id: str) -> dict[str, Any]:
        try:
            station.capture_biometrics(station.get(inspection_id))
        except OSError as exc:  # hal device errors are OSError / TimeoutError
            raise ManualEntryError(
                f"biometric capture failed ({exc}); ask the passenger to try again"
            ) from exc
        return _view(station, inspection_id)

    @app.post("/api/inspections/{inspection_id}/flight")
    def flight(inspection_id: str, body: Flight) -> dict[str, Any]:
        station.record_flight(station.get(inspection_id), body.code)
        return _view(station, inspection_id)

    @app.post("/api/inspections/{inspection_id}/stamp")
    def stamp(inspection_id: str) -> dict[str, Any]:
        station.stamp(station.get(inspection_id))
        return _view(station, inspection_id)

    @app.post("/api/inspections/{inspection_id}/refer")
    def refer(inspection_id: str, body: Refer) -> dict[str, Any]:
        station.refer(station.get(inspection_id), body.reason, body.note)
        return _view(station, inspection_id)

    return app


def _view(station: CounterStation, inspection_id: str) -> dict[str, Any]:
    inspection = station.get(inspection_id)
    view = inspection.to_dict()
    view["blockers"] = [] if inspection.is_closed else station.stamp_blockers(inspection)
    return view


def step_report(station: CounterStation) -> dict[str, Any]:
    """Per inspection, each timed step beside its SOP standard; and the steps that ran over."""
    inspections = []
    late: list[dict[str, Any]] = []
    for inspection in list(station.inspections.values()):
        steps = [t.to_dict() for t in inspection.steps.times.values()]
        inspections.append(
            {
                "inspection_id": inspection.inspection_id,
                "direction": inspection.direction.value,
                "pmi": inspection.pmi,
                "outcome": inspection.outcome,
                "steps": steps,
            }
        )
        late += [{"inspection_id": inspection.inspection_id, **s} for s in steps if not s["within"]]
    return {"device_id": station.device_id, "inspections": inspections, "over_standard": late}
