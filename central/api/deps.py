"""Dependencies every endpoint uses: the central instance, the caller, and the role check."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from html import escape
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central.auth import (
    Forbidden,
    LoginLimiter,
    Principal,
    csrf_ok,
    principal_for,
    require,
    throttled_message,
)
from central.service import Central

SESSION_COOKIE = "central_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Where a password is checked: the dashboard's form and the API's token exchange (issue 12).
LOGIN_PATHS = frozenset({"/login", "/api/v1/tokens"})


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


class LoginRateLimit:
    """ASGI middleware limiting failed log-ins on ``LOGIN_PATHS`` with ``app.state.login_limiter``.

    A locked account or address gets 429 with ``Retry-After`` and a bilingual message, and the refusal
    is audited (``login.throttled``); a failure (the endpoint answered 401) is counted, and one that
    starts a lockout is audited (``login.locked``). The client address is the socket's peer: behind a
    reverse proxy run uvicorn with ``--proxy-headers`` and a trusted ``--forwarded-allow-ips``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in LOGIN_PATHS:
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        state = scope["app"].state
        central: Central = state.central
        limiter: LoginLimiter = state.login_limiter
        username = _username(body)
        client = scope.get("client")
        address = str(client[0]) if client else "unknown"
        now = central.clock.now()
        wait = limiter.retry_after(username, address, now=now)
        if wait:
            await run_in_threadpool(
                central.store.audit,
                username[:64] or "?",
                "login.throttled",
                now=now,
                target=address,
                retry_after_s=wait,
            )
            await _throttled(scope, wait)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, replay, watch)
        if status == 401:
            lock = limiter.failed(username, address, now=now)
            if lock:
                await run_in_threadpool(
                    central.store.audit,
                    username[:64] or "?",
                    "login.locked",
                    now=now,
                    target=address,
                    lock_s=lock,
                )
        elif 200 <= status < 400:
            limiter.succeeded(username, address)


def _username(body: bytes) -> str:
    text = body[:4096].decode("utf-8", "replace")
    if text.lstrip().startswith("{"):
        try:
            value = json.loads(text).get("username")
        except (ValueError, AttributeError):
            return ""
        return value if isinstance(value, str) else ""
    return parse_qs(text).get("username", [""])[0]


def _throttled(scope: Scope, seconds: int) -> Response:
    message = throttled_message(seconds)
    headers = {"Retry-After": str(seconds)}
    accept = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"accept"), "")
    if not str(scope["path"]).startswith("/api/") and "text/html" in accept:
        page = (
            f'<!doctype html><html lang="id"><meta charset="utf-8"><title>429</title>'
            f'<p>{escape(message)}</p><p><a href="/login">Masuk / Log in</a></p></html>'
        )
        return HTMLResponse(page, status_code=429, headers=headers)
    return JSONResponse(
        {"error": {"code": "TooManyAttempts", "message": message}}, status_code=429, headers=headers
    )
