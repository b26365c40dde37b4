"""Builds the central web application: one route table, JSON errors, the API and the dashboard.

app = create_app(Central(Store("sqlite:///central.db")), workflows=Workflows(...))

Besides the core API and dashboard, the app serves the watch-list API and pages (its service is given
with ``central.watchlist.api.install``), the CCTV desk's API (``app.state.cctv``), and, when a
``Workflows`` engine is given, the permit workflows' API and officers' screens.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from central.api import alerts, devices, enrolments, events, ops, reports
from central.api.deps import LoginRateLimit
from central.auth import Forbidden, LoginLimiter, NotAuthenticated
from central.cctv import page as cctv_page
from central.cctv import router as cctv
from central.errors import CentralError, Conflict, Invalid, NotFound
from central.service import Central
from central.watchlist import api as watchlist_api
from central.watchlist import pages as watchlist_pages
from central.web import dashboard, incidents, pages
from central.workflows.api import install as install_workflows
from central.workflows.engine import Workflows

VERSION = "0.1.0"
STATIC = Path(__file__).resolve().parent / "web" / "static"

ROUTERS = (
    ops.router,
    devices.router,
    events.router,
    alerts.router,
    enrolments.router,
    reports.router,
    pages.router,
    dashboard.router,
    incidents.router,
    watchlist_api.router,
    watchlist_pages.router,
    cctv.router,
    cctv_page.router,
)

STATUS = ((NotAuthenticated, 401), (Forbidden, 403), (NotFound, 404), (Conflict, 409), (Invalid, 422))


def create_app(central: Central, workflows: Workflows | None = None) -> FastAPI:
    app = FastAPI(
        title="Imigrasi central service",
        version=VERSION,
        description="Devices, events, crossings, alerts, commands, enrolments and reports of the "
        'immigration autogates and kiosks. Errors are JSON: {"error": {"code", "message"}}.',
    )
    app.state.central = central
    app.state.login_limiter = LoginLimiter()  # issue 12: failed log-ins per account and address
    app.add_middleware(LoginRateLimit)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if workflows is not None:
        install_workflows(app, workflows)

    @app.exception_handler(CentralError)
    async def central_error(request: Request, exc: CentralError) -> Response:
        status = next((code for kind, code in STATUS if isinstance(exc, kind)), 400)
        if status == 401 and _wants_html(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return _error(status, type(exc).__name__, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', 'invalid')}"
            for err in exc.errors()
        )
        return _error(422, "Invalid", f"the request is not valid: {problems}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        return _error(exc.status_code, "HTTPError", str(exc.detail), headers=getattr(exc, "headers", None))

    return app


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)
