"""Dependencies every endpoint uses: the central instance, the caller, and the role check."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from central.auth import Forbidden, Principal, csrf_ok, principal_for, require
from central.service import Central

SESSION_COOKIE = "central_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_central(request: Request) -> Central:
    central: Central = request.app.state.central
    return central


def caller(request: Request) -> Principal | None:
    """The principal of a bearer token (API, devices) or of the session cookie (dashboard)."""
    central = get_central(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return principal_for(central.store, header[7:].strip(), now=central.clock.now())
    return principal_for(central.store, request.cookies.get(SESSION_COOKIE, ""), now=central.clock.now())


def require_role(*roles: str) -> Callable[[Request], Awaitable[Principal]]:
    """``Depends(require_role(*ACTORS))``: 401 without login, 403 for another role or a missing CSRF token."""

    async def dependency(request: Request) -> Principal:
        principal = require(caller(request), roles)
        if request.method not in SAFE_METHODS:
            presented = request.headers.get(CSRF_HEADER)
            if presented is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")
            ):
                value = (await request.form()).get(CSRF_FIELD)
                presented = value if isinstance(value, str) else None
            if not csrf_ok(principal, presented):
                raise Forbidden("the form's CSRF token is missing or stale; reload the page and try again")
        return principal

    return dependency
