"""Issue 12: every route of the full central app x every role, against one declared policy table.

The app is built as ``python -m central serve`` builds it (API, dashboard, incident reports, watch lists,
permit workflows, CCTV desk). The table below is the policy, written from the roles in docs/central.md
and the SOPs, not read back from the code: a route missing from the table, or a table entry without a
route, fails ``test_every_route_has_a_policy``. Each cell sends one request with that principal's bearer
token (none for anonymous) and expects: allowed -> neither 401 nor 403 (nor a 5xx); a role that may not
-> 403; anonymous -> 401 on the API, a 303 to /login on dashboard pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from central import devices
from central.app import create_app
from central.cctv.desk import CctvDesk
from central.server import BackgroundServer
from central.service import Central
from central.store import Store
from central.watchlist import api as watchlist_api
from central.watchlist.service import WatchlistService
from central.workflows.definitions import Catalogue
from central.workflows.engine import Workflows
from central.workflows.tariffs import Tariffs
from core.clock import ManualClock

OFC, SUP, HOO, ADM, DEV = "officer", "supervisor", "head_of_office", "administrator", "device"
PRINCIPALS = (OFC, SUP, HOO, ADM, DEV, "anonymous")
PUBLIC = frozenset(PRINCIPALS)
STAFF = frozenset({OFC, SUP, HOO, ADM})
ACTORS = frozenset({SUP, HOO})  # act on gates, alerts, CCTV decisions (SOP-003-A08)
MANAGERS = frozenset({SUP, HOO, ADM})  # reports, audit, watch-list and gallery changes
COUNTER = frozenset({OFC, SUP, HOO})  # permit case work (SOP-003-B*)
ADMIN = frozenset({ADM})


@dataclass(frozen=True)
class Policy:
    allowed: frozenset[str]
    stream: bool = False  # server-sent events: checked over a real socket
    form: tuple[tuple[str, str], ...] = ()  # a valid form, for pages that check the role after validation


P = Policy
POLICY: dict[tuple[str, str], Policy] = {
    # FastAPI's own pages and the static files
    ("GET", "/openapi.json"): P(PUBLIC),
    ("GET", "/docs"): P(PUBLIC),
    ("GET", "/docs/oauth2-redirect"): P(PUBLIC),
    ("GET", "/redoc"): P(PUBLIC),
    ("GET", "/static"): P(PUBLIC),
    ("GET", "/workflows/static"): P(PUBLIC),
    # operations (the Prometheus scrape and the load balancer's probe carry no credentials)
    ("GET", "/healthz"): P(PUBLIC),
    ("GET", "/metrics"): P(PUBLIC),
    ("POST", "/api/v1/tokens"): P(PUBLIC),
    # devices, events, crossings
    ("GET", "/api/v1/devices"): P(STAFF),
    ("GET", "/api/v1/devices/{device_id}"): P(STAFF),
    ("POST", "/api/v1/devices"): P(ADMIN),
    ("GET", "/api/v1/events"): P(STAFF),
    ("GET", "/api/v1/events/{event_id}"): P(STAFF),
    ("GET", "/api/v1/crossings"): P(STAFF),
    # alerts and commands
    ("GET", "/api/v1/alerts"): P(STAFF),
    ("GET", "/api/v1/alerts/{alert_id}"): P(STAFF),
    ("GET", "/api/v1/alerts/{alert_id}/face"): P(STAFF),
    ("POST", "/api/v1/alerts/{alert_id}/{status}"): P(ACTORS),
    ("POST", "/api/v1/commands"): P(ACTORS),
    ("GET", "/api/v1/commands"): P(STAFF),
    ("GET", "/api/v1/commands/{command_id}"): P(STAFF),
    # enrolments: gates fetch, kiosks and administrators write
    ("GET", "/api/v1/enrolments/{issuing_state}/{document_number}"): P(STAFF | {DEV}),
    ("POST", "/api/v1/enrolments"): P(frozenset({DEV, ADM})),
    # reports, incident reports, audit, quarantine
    ("GET", "/api/v1/reports/{name}"): P(MANAGERS),
    ("GET", "/api/v1/incident-reports/fields/{kind}"): P(STAFF),
    ("POST", "/api/v1/incident-reports"): P(ACTORS),
    ("GET", "/api/v1/incident-reports"): P(MANAGERS),
    ("GET", "/api/v1/incident-reports/{report_id}"): P(MANAGERS),
    ("GET", "/api/v1/audit"): P(MANAGERS),
    ("GET", "/api/v1/quarantine"): P(MANAGERS),
    # log in and out, language
    ("GET", "/login"): P(PUBLIC),
    ("POST", "/login"): P(PUBLIC),
    ("POST", "/logout"): P(PUBLIC),
    ("GET", "/lang/{code}"): P(PUBLIC),
    # dashboard pages
    ("GET", "/"): P(STAFF),
    ("GET", "/live"): P(STAFF, stream=True),
    ("GET", "/reports"): P(MANAGERS),
    ("GET", "/reports/chart/{name}.png"): P(MANAGERS),
    ("GET", "/incidents"): P(MANAGERS),
    ("GET", "/incidents/new"): P(ACTORS),
    ("POST", "/incidents"): P(ACTORS),
    # watch lists: devices fetch the signed lists, managers change them
    ("GET", "/api/v1/watchlist"): P(STAFF | {DEV}),
    ("GET", "/api/v1/watchlist/entries"): P(STAFF),
    ("GET", "/api/v1/watchlist/entries/{entry_id}"): P(STAFF),
    ("POST", "/api/v1/watchlist/entries"): P(MANAGERS),
    ("PATCH", "/api/v1/watchlist/entries/{entry_id}"): P(MANAGERS),
    ("POST", "/api/v1/watchlist/entries/{entry_id}/end"): P(MANAGERS),
    ("POST", "/api/v1/watchlist/import"): P(MANAGERS),
    ("GET", "/api/v1/watchlist/export"): P(MANAGERS),
    ("GET", "/api/v1/watchlist/versions"): P(STAFF),
    ("GET", "/api/v1/watchlist/devices"): P(STAFF),
    ("GET", "/api/v1/watchlist/public-key"): P(STAFF | {DEV}),
    ("GET", "/api/v1/watchlist/snapshots/{version}"): P(STAFF | {DEV}),
    ("GET", "/api/v1/watchlist/prepared/{version}"): P(STAFF | {DEV}),
    ("GET", "/api/v1/watchlist/deltas/{span}"): P(STAFF | {DEV}),
    ("GET", "/api/v1/watchlist/deltas"): P(STAFF | {DEV}),
    ("GET", "/watchlist"): P(STAFF),
    ("POST", "/watchlist"): P(MANAGERS),
    ("GET", "/watchlist/entries/{entry_id}"): P(STAFF),
    ("POST", "/watchlist/entries/{entry_id}"): P(MANAGERS),
    ("POST", "/watchlist/entries/{entry_id}/end"): P(MANAGERS),
    ("GET", "/watchlist/devices"): P(STAFF),
    # CCTV desk (SOP-003-D05): cameras post alarms, officers examine, supervisors decide
    ("GET", "/api/v1/cctv/gallery"): P(STAFF),
    ("POST", "/api/v1/cctv/gallery"): P(MANAGERS),
    ("POST", "/api/v1/cctv/gallery/{entry_id}/end"): P(MANAGERS),
    ("GET", "/api/v1/cctv/gallery/{entry_id}/photo"): P(STAFF),
    ("POST", "/api/v1/cctv/gallery/publish"): P(MANAGERS),
    ("GET", "/api/v1/cctv/gallery/snapshot"): P(STAFF | {DEV}),
    ("GET", "/api/v1/cctv/gallery/public-key"): P(MANAGERS),
    ("POST", "/api/v1/cctv/alarms"): P(frozenset({DEV})),
    ("GET", "/api/v1/cctv/alarms"): P(STAFF),
    ("GET", "/api/v1/cctv/alarms/{alarm_id}"): P(STAFF),
    ("GET", "/api/v1/cctv/alarms/{alarm_id}/snapshot"): P(STAFF),
    ("POST", "/api/v1/cctv/alarms/{alarm_id}/examine"): P(STAFF),
    ("POST", "/api/v1/cctv/alarms/{alarm_id}/dismiss"): P(STAFF),
    ("POST", "/api/v1/cctv/alarms/{alarm_id}/report"): P(STAFF),
    ("POST", "/api/v1/cctv/alarms/{alarm_id}/decide"): P(ACTORS),
    ("POST", "/api/v1/cctv/alarms/{alarm_id}/incident"): P(ACTORS),
    # the CCTV desk's pages (SOP-003-D05): the monitoring officers and those they report to
    ("GET", "/cctv"): P(COUNTER),
    ("GET", "/cctv/alarms/{alarm_id}/reference.jpg"): P(COUNTER),
    ("GET", "/cctv/alarms/{alarm_id}/snapshot.jpg"): P(COUNTER),
    ("POST", "/cctv/alarms/{alarm_id}/examine"): P(COUNTER),
    ("POST", "/cctv/alarms/{alarm_id}/dismiss"): P(COUNTER),
    ("POST", "/cctv/alarms/{alarm_id}/report"): P(COUNTER),
    ("POST", "/cctv/alarms/{alarm_id}/decide"): P(ACTORS, form=(("identical", "yes"),)),
    ("POST", "/cctv/alarms/{alarm_id}/incident"): P(ACTORS, form=(("summary", "held at the gate"),)),
    # permit workflows (SOP-003-B*): kiosks open cases, counter staff work them
    ("GET", "/api/v1/workflows/services"): P(STAFF),
    ("GET", "/api/v1/workflows/sops/{sop_id}"): P(STAFF),
    ("POST", "/api/v1/workflows/cases"): P(COUNTER | {DEV}),
    ("GET", "/api/v1/workflows/cases/by-number/{number}/status"): P(STAFF | {DEV}),
    ("GET", "/api/v1/workflows/cases/{case_id}"): P(STAFF),
    ("POST", "/api/v1/workflows/cases/{case_id}/actions"): P(COUNTER),
    ("POST", "/api/v1/workflows/cases/{case_id}/payments"): P(COUNTER),
    ("GET", "/api/v1/workflows/documents/{number}.pdf"): P(STAFF),
    ("GET", "/api/v1/workflows/roles"): P(STAFF),
    ("GET", "/api/v1/workflows/queues/{role}"): P(STAFF),
    ("GET", "/api/v1/workflows/search"): P(STAFF),
    # the same reports as the managers-only /workflows/reports page
    ("GET", "/api/v1/workflows/reports/{name}"): P(MANAGERS),
    ("GET", "/workflows"): P(COUNTER),
    ("GET", "/workflows/queue"): P(COUNTER),
    ("GET", "/workflows/queue/{lane}"): P(COUNTER),
    ("GET", "/workflows/search"): P(COUNTER),
    ("GET", "/workflows/cases/{case_id}"): P(COUNTER),
    ("POST", "/workflows/cases/{case_id}/actions"): P(COUNTER),
    ("POST", "/workflows/cases/{case_id}/payments"): P(COUNTER),
    ("GET", "/workflows/reports"): P(MANAGERS),
    ("GET", "/workflows/reports.pdf"): P(MANAGERS),
}

# Cells the matrix shows open, to be fixed outside this test's files; strict: a fix makes them fail
# until they are removed here.
KNOWN_OPEN: dict[tuple[str, str, str], str] = {}


def routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, through included routers and mounts; HEAD left out."""
    found: set[tuple[str, str]] = set()

    def walk(items: list[Any], prefix: str) -> None:
        for route in items:
            original = getattr(route, "original_router", None)  # FastAPI >= 0.16x keeps routers included
            if original is not None:
                walk(original.routes, prefix + route.include_context.prefix)
            elif isinstance(route, Mount):
                found.add(("GET", prefix + route.path))
            elif isinstance(route, (APIRoute, Route)):
                found.update((m, prefix + route.path) for m in route.methods or () if m != "HEAD")
            else:
                raise AssertionError(f"a route of an unknown kind: {route!r}; teach routes() about it")

    walk(list(app.routes), "")
    return found


@dataclass
class Site:
    app: FastAPI
    client: TestClient
    tokens: dict[str, str]
    url: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder: Path = tmp_path_factory.mktemp("matrix")
    store = Store(f"sqlite:///{folder / 'central.db'}")
    clock = ManualClock()
    central = Central(store, clock=clock)
    now = clock.now()
    tokens: dict[str, str] = {}
    for role in (OFC, SUP, HOO, ADM):
        # A stored hash that is never checked: the cells use bearer tokens, not passwords.
        store.add_user(role, "$argon2id$unused", role, now=now, language="en")
        tokens[role] = store.issue_token("api", now=now, username=role)[0]
    tokens[DEV] = devices.add_device(store, "gate-01", kind="gate", site="cgk", now=now).api_token
    # As cli_serve builds it: workflows, the watch-list service and the CCTV desk.
    workflows = Workflows(store, clock, Catalogue.load(), Tariffs.load())
    app = create_app(central, workflows=workflows)
    watchlist_api.install(app, WatchlistService(store, clock, Ed25519PrivateKey.generate()))
    app.state.cctv = CctvDesk(store, clock, Ed25519PrivateKey.generate())
    server = BackgroundServer(app).start()
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Site(app, client, tokens, server.url)
    finally:
        server.stop()
        store.close()


def test_every_route_has_a_policy(site: Site) -> None:
    served = routes(site.app)
    assert not served - POLICY.keys(), f"routes without a policy entry: {sorted(served - POLICY.keys())}"
    assert not POLICY.keys() - served, f"policy entries without a route: {sorted(POLICY.keys() - served)}"
    assert len(served) > 90  # the whole app, not one router


def cells() -> Iterator[Any]:
    for method, path in POLICY:
        for who in PRINCIPALS:
            reason = KNOWN_OPEN.get((method, path, who))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(method, path, who, id=f"{method} {path} {who}", marks=marks)


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def is_page(path: str) -> bool:
    return not path.startswith("/api/") and path not in ("/healthz", "/metrics", "/openapi.json")


@pytest.mark.parametrize(("method", "path", "who"), list(cells()))
def test_route_answers_each_role_as_the_policy_says(site: Site, method: str, path: str, who: str) -> None:
    policy = POLICY[(method, path)]
    headers = {"accept": "text/html" if is_page(path) else "application/json"}
    if who in site.tokens:
        headers["authorization"] = f"Bearer {site.tokens[who]}"
    url = concrete(path) + ("/" if path.endswith("static") else "")
    kwargs: dict[str, Any] = {}
    if method in ("POST", "PATCH"):
        kwargs = {"data": dict(policy.form)} if is_page(path) else {"json": {}}
    if policy.stream and who in policy.allowed:
        # The stream never ends: read its status line over a real socket, then hang up.
        with (
            httpx.Client(base_url=site.url, timeout=10) as http,
            http.stream(method, url, headers=headers) as r,
        ):
            status = r.status_code
    else:
        response = site.client.request(method, url, headers=headers, follow_redirects=False, **kwargs)
        status = response.status_code
    if who in policy.allowed:
        assert status not in (401, 403), f"{who} may use {method} {path} but got {status}"
        assert status < 500, f"{method} {path} as {who}: {status}"
    elif who == "anonymous":
        if is_page(path):
            assert status == 303 and response.headers["location"].startswith("/login"), status
        else:
            assert status == 401, f"anonymous {method} {path}: {status}, expected 401"
    else:
        assert status == 403, f"{who} may not use {method} {path} but got {status}"
