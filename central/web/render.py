"""Template rendering shared by the page modules: language, the caller, and the CSRF token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from central.api.deps import caller, get_central
from central.auth import Principal
from central.web.i18n import LANGUAGES, translator

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
LANG_COOKIE = "lang"


def language(request: Request, principal: Principal | None) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    if principal is not None:
        return principal.language
    return get_central(request).settings.default_language


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    principal = context.pop("principal", None) or caller(request)
    lang = language(request, principal)
    return templates.TemplateResponse(
        request,
        name,
        {"t": translator(lang), "lang": lang, "principal": principal, **context},
        status_code=status_code,
    )
