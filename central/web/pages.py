"""Log in, log out, choose the language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from central import auth
from central.api.deps import SESSION_COOKIE, get_central
from central.auth import SESSION_HOURS
from central.service import Central
from central.web.i18n import LANGUAGES
from central.web.render import LANG_COOKIE, page

router = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    # Only local paths: a crafted link must not bounce a fresh session to another site.
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    return page(request, "login.html", next=_safe_next(next), failed=False)


@router.post("/login")
def login(
    request: Request,
    central: Annotated[Central, Depends(get_central)],
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        secret, _principal = auth.login(central.store, username, password, now=central.clock.now())
    except auth.AuthError:
        return page(request, "login.html", status_code=401, next=_safe_next(next), failed=True)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="strict",
        secure=central.settings.secure_cookies,
    )
    return response


@router.post("/logout")
def logout(request: Request, central: Annotated[Central, Depends(get_central)]) -> Response:
    secret = request.cookies.get(SESSION_COOKIE, "")
    if secret:
        central.store.revoke_token(secret)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{code}")
def choose_language(code: str, request: Request) -> Response:
    referer = request.headers.get("referer", "/")
    path = "/" + referer.split("//", 1)[-1].split("/", 1)[-1] if "//" in referer else "/"
    response = RedirectResponse(_safe_next(path), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax")
    return response
