"""The kiosk web app: one route table; pages are Jinja templates, a little plain JS, no build step.

The browser runs full-screen on the kiosk and talks only to this local server; the server owns the
session (one applicant at a time) and the devices.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from kiosk.forms import prefill, validate
from kiosk.station import Station
from kiosk.submitter import CaseNotFound
from kiosk.texts import text

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")


def create_app(station: Station) -> FastAPI:
    app = FastAPI(title="Kiosk", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.station = station
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def page(request: Request, name: str, **context: Any) -> HTMLResponse:
        s = station.touch()
        lang = s.lang

        def t(key: str) -> str:
            return text(key, lang)

        return templates.TemplateResponse(
            request,
            name,
            {
                "t": t,
                "lang": lang,
                "session": s,
                "catalogue": station.catalogue,
                "idle_timeout_s": station.idle_timeout_s,
                **context,
            },
        )

    def go(path: str) -> RedirectResponse:
        return RedirectResponse(path, status_code=303)

    @app.get("/")
    def start(request: Request) -> HTMLResponse:
        return page(request, "start.html")

    @app.get("/reset")
    def reset() -> RedirectResponse:
        # The idle timeout and every "finish" come here: nothing the applicant entered survives.
        station.reset()
        return go("/")

    @app.post("/lang")
    def switch_language(back: str = Form("/")) -> RedirectResponse:
        s = station.touch()
        s.lang = "en" if s.lang == "id" else "id"
        return go(back if back.startswith("/") else "/")

    # -- queue tickets -----------------------------------------------------------------------------

    @app.get("/ticket")
    def ticket_services(request: Request) -> HTMLResponse:
        return page(request, "services.html", action="/ticket", heading="take_ticket")

    @app.post("/ticket")
    def ticket(request: Request, service: str = Form(...)) -> HTMLResponse:
        issued = station.issue_ticket(service)
        return page(request, "ticket.html", ticket=issued, service=station.catalogue.service(service))

    @app.get("/queue")
    def queue_display(request: Request) -> HTMLResponse:
        return page(request, "display.html", called=station.queue.called, waiting=len(station.queue.waiting))

    @app.get("/api/queue")
    def queue_state() -> dict[str, Any]:
        return {
            "called": [{"number": t.number, "counter": t.counter} for t in station.queue.called],
            "waiting": len(station.queue.waiting),
        }

    @app.post("/api/queue/call-next")
    def call_next(counter: str = Form("")) -> JSONResponse:
        """The officer's "call next" (the counter station or a button at the desk)."""
        called = station.queue.call_next(counter)
        if called is None:
            return JSONResponse({"called": None}, status_code=200)
        return JSONResponse(
            {"called": called.number, "counter": called.counter, "service": called.service_code}
        )

    # -- apply ------------------------------------------------------------------------------------------

    @app.get("/apply")
    def apply_services(request: Request) -> HTMLResponse:
        return page(request, "services.html", action="/apply", heading="apply")

    @app.post("/apply")
    def apply_choose(service: str = Form(...)) -> RedirectResponse:
        station.reset()
        station.session.service_code = station.catalogue.service(service).code
        station.start_scan()
        return go("/apply/scan")

    @app.get("/apply/scan")
    def scan(request: Request) -> HTMLResponse:
        return page(request, "scan.html")

    @app.get("/api/scan")
    def scan_state() -> dict[str, Any]:
        s = station.touch()
        check = s.scan_check
        return {
            "done": s.scan is not None,
            "problem": None if check is None or check.ok else check.problem,
            "message": None if check is None or check.ok else text(check.problem or "mrz_damaged", s.lang),
            "failures": s.scan_failures,
        }

    @app.get("/apply/form")
    def form(request: Request) -> Response:
        s = station.touch()
        if not s.service_code:
            return go("/apply")
        if not s.fields:
            s.fields = prefill(station.service(), s.scan)
        return page(request, "form.html", service=station.service(), errors={})

    @app.post("/apply/form")
    async def form_post(request: Request) -> Response:
        s = station.touch()
        service = station.service()
        submitted = await request.form()
        s.fields = {f.name: str(submitted.get(f.name, "")) for f in service.fields}
        values, errors = validate(service, s.fields)
        if errors:
            return page(request, "form.html", service=service, errors=errors)
        s.values = values
        return go("/apply/documents")

    @app.get("/apply/documents")
    def documents(request: Request) -> HTMLResponse:
        return page(request, "documents.html", service=station.service())

    @app.post("/apply/documents/{name}")
    def photograph(name: str) -> RedirectResponse:
        if name in station.service().documents:
            station.photograph(name)
        return go("/apply/documents")

    @app.get("/apply/face")
    def face(request: Request) -> HTMLResponse:
        return page(request, "face.html")

    @app.post("/api/face")
    def face_step() -> dict[str, Any]:
        station.touch()
        return station.face_step()

    @app.get("/apply/finger")
    def finger(request: Request) -> HTMLResponse:
        return page(request, "finger.html", failed=False)

    @app.post("/apply/finger")
    def finger_post(request: Request) -> Response:
        station.touch()
        try:
            station.capture_fingerprint()
        except (OSError, ValueError, RuntimeError):
            # hal errors subclass OSError/ValueError/TimeoutError: a bad capture is retried by the person.
            return page(request, "finger.html", failed=True)
        return go("/apply/review")

    @app.get("/apply/review")
    def review(request: Request) -> HTMLResponse:
        return page(request, "review.html", service=station.service())

    @app.post("/apply/submit")
    def submit(request: Request) -> HTMLResponse:
        application, result = station.submit()
        service = station.service()
        # The session is wiped now: the biometrics and photos live only in the outbox until central acks.
        lang = station.session.lang
        station.reset(lang)
        return page(request, "done.html", application=application, result=result, service=service)

    # -- status and information ---------------------------------------------------------------------

    @app.get("/status")
    def status_form(request: Request) -> HTMLResponse:
        return page(request, "status.html", number="", found=None, problem=None)

    @app.post("/status")
    def status(request: Request, number: str = Form(...)) -> HTMLResponse:
        number = number.strip().upper()
        found: dict[str, Any] | None = None
        problem: str | None = None
        submitter = station.submitter
        if not number:
            problem = "status_unknown"
        elif submitter is None:
            problem = "status_unavailable"
        else:
            # The device-allowed status read (state, step, what is still needed; no personal data),
            # by central's number or the kiosk's own application id from a receipt printed offline.
            try:
                found = submitter.central.status(number)
            except CaseNotFound:
                problem = "status_unknown"
            except httpx.HTTPError:
                problem = "status_unavailable"
        # The language switch comes back to an empty status page (the answer is not kept anywhere).
        return page(request, "status.html", number=number, found=found, problem=problem, back="/status")

    @app.get("/info")
    def info(request: Request) -> HTMLResponse:
        return page(request, "info.html")

    @app.get("/info/{code}")
    def info_service(request: Request, code: str) -> HTMLResponse:
        return page(request, "info_service.html", service=station.catalogue.service(code))

    return app
