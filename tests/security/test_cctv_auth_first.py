"""Issue 12: the CCTV routes check the caller before they need the desk.

A central built without a CCTV desk (no ``app.state.cctv``, no ``$IMIGRASI_CCTV_KEY``) cannot serve the
CCTV routes, but it must still answer an anonymous caller 401 (a 303 to /login on the pages) and another
role 403, as the role matrix says, and only an allowed caller the desk's configuration error (422). (The
decide and incident pages let every watcher in and refuse an officer inside the handler, where the desk
renders the queue beside the refusal: without a desk an officer gets the 422 there.) Before
the fix the desk was resolved first, so an anonymous request got 422: the route's existence and the
server's configuration leaked without credentials. Every CCTV route of the matrix's policy table is
walked, so a new route that lists the desk first fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from central import devices
from central.app import create_app
from central.cctv.page import WATCHERS
from central.cctv.router import KEY_ENV
from central.service import Central
from tests.security.test_role_matrix import POLICY, PRINCIPALS, concrete, is_page

CCTV = sorted((m, p) for m, p in POLICY if p.startswith(("/api/v1/cctv", "/cctv")))


@pytest.fixture
def bare(central: Central, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app without a CCTV desk, and a bearer token per role (users from the central fixture)."""
    monkeypatch.delenv(KEY_ENV, raising=False)
    now = central.clock.now()
    tokens = {
        role: central.store.issue_token("api", now=now, username=role.replace("_", "-"))[0]
        for role in ("officer", "supervisor", "head_of_office", "administrator")
    }
    camera = devices.add_device(central.store, "cctv-01", kind="cctv", site="cgk", now=now)
    tokens["device"] = camera.api_token
    with TestClient(create_app(central), raise_server_exceptions=False) as client:
        yield client, tokens


def test_the_walk_covers_the_cctv_api_and_pages() -> None:
    assert len(CCTV) >= 20
    assert any(p.startswith("/cctv") for _, p in CCTV) and any(p.startswith("/api/") for _, p in CCTV)


@pytest.mark.parametrize(("method", "path"), CCTV, ids=[f"{m} {p}" for m, p in CCTV])
def test_without_a_desk_the_caller_is_still_checked_first(
    bare: tuple[TestClient, dict[str, str]], method: str, path: str
) -> None:
    client, tokens = bare
    policy = POLICY[(method, path)]
    for who in PRINCIPALS:
        headers = {"accept": "text/html" if is_page(path) else "application/json"}
        if who in tokens:
            headers["authorization"] = f"Bearer {tokens[who]}"
        kwargs: dict[str, Any] = {}
        if method == "POST":
            kwargs = {"data": dict(policy.form)} if is_page(path) else {"json": {}}
        response = client.request(method, concrete(path), headers=headers, follow_redirects=False, **kwargs)
        status = response.status_code
        if who == "anonymous":
            if is_page(path):
                assert status == 303 and response.headers["location"].startswith("/login"), (who, status)
            else:
                assert status == 401, f"anonymous {method} {path}: {status}, expected 401"
        elif who not in policy.allowed and not (policy.form and who in WATCHERS):
            assert status == 403, f"{who} {method} {path}: {status}, expected 403"
        else:
            # Allowed (or, on the two pages that refuse an officer inside the handler with the queue
            # rendered beside the refusal, let in as a watcher): the desk's missing key answers.
            assert status == 422, f"{who} {method} {path}: {status}"
            assert KEY_ENV in response.text
