"""Dashboard pages for the cekal lists: search and add, one entry (change, end, history), and the
devices' list versions with their age and the stale flag."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader

from central.api.deps import CSRF_FIELD, require_role
from central.auth import MANAGERS, STAFF, Principal
from central.errors import Invalid
from central.watchlist.api import Service
from central.web.i18n import translator
from central.web.render import language

HERE = Path(__file__).resolve().parent
WEB_TEMPLATES = HERE.parent / "web" / "templates"
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.loader = ChoiceLoader(
    [FileSystemLoader(str(HERE / "templates")), FileSystemLoader(str(WEB_TEMPLATES))]
)

router = APIRouter(include_in_schema=False)
READERS = require_role(*STAFF)
CHANGERS = require_role(*MANAGERS)
FIELDS = (
    "entry_id", "list", "full_name", "aliases", "birth_date", "nationality", "sex", "document_numbers",
    "valid_from", "valid_until", "agency", "reason", "instructions",
)  # fmt: skip

TEXT: dict[str, tuple[str, str]] = {
    "watchlist": ("Daftar cekal", "Watch lists"),
    "wl_search": ("Cari", "Search"),
    "wl_add": ("Tambah entri", "Add entry"),
    "wl_save": ("Simpan perubahan", "Save changes"),
    "wl_end": ("Akhiri entri", "End entry"),
    "wl_version": ("Versi daftar", "List version"),
    "wl_devices": ("Versi daftar di perangkat", "List versions on devices"),
    "wl_history": ("Riwayat perubahan", "Change history"),
    "wl_stale": ("USANG", "STALE"),
    "wl_current": ("terkini", "current"),
    "wl_age": ("Umur versi", "Version age"),
    "wl_behind": ("Tertinggal", "Behind"),
    "wl_none": ("tidak ada", "none"),
    "wl_error": ("Kesalahan", "Error"),
}


def _render(
    request: Request, name: str, principal: Principal, status_code: int = 200, **context: Any
) -> Response:
    lang = language(request, principal)
    t = {**translator(lang), **{k: pair[1 if lang == "en" else 0] for k, pair in TEXT.items()}}
    return templates.TemplateResponse(
        request,
        name,
        {"t": t, "lang": lang, "principal": principal, "csrf_field": CSRF_FIELD, "fields": FIELDS, **context},
        status_code=status_code,
    )


def _can_change(principal: Principal) -> bool:
    return principal.role in MANAGERS


@router.get("/watchlist", response_class=HTMLResponse)
def list_page(
    request: Request, service: Service, who: Annotated[Principal, Depends(READERS)], q: str = ""
) -> Response:
    return _render(
        request,
        "watchlist.html",
        who,
        entries=service.entries(search=q[:128], limit=200),
        q=q,
        version=service.current_version(),
        can_change=_can_change(who),
        error="",
    )


@router.post("/watchlist", response_class=HTMLResponse)
async def add_page(
    request: Request, service: Service, who: Annotated[Principal, Depends(CHANGERS)]
) -> Response:
    form = await request.form()
    fields = {k: str(form.get(k) or "") for k in FIELDS}
    try:
        entry, _ = service.add(fields, by=who.name)
    except Invalid as exc:
        return _render(
            request, "watchlist.html", who, status_code=422, entries=service.entries(limit=200), q="",
            version=service.current_version(), can_change=True, error=str(exc),
        )  # fmt: skip
    return RedirectResponse(f"/watchlist/entries/{entry.entry_id}", status_code=303)


@router.get("/watchlist/entries/{entry_id}", response_class=HTMLResponse)
def entry_page(
    entry_id: str, request: Request, service: Service, who: Annotated[Principal, Depends(READERS)]
) -> Response:
    return _entry(request, service, who, entry_id)


def _entry(request: Request, service: Service, who: Principal, entry_id: str, error: str = "") -> Response:
    entry = service.entry(entry_id)
    values = entry.to_dict()
    values["aliases"] = "|".join(entry.aliases)
    values["document_numbers"] = "|".join(entry.document_numbers)
    return _render(
        request, "watchlist_entry.html", who, status_code=422 if error else 200, entry=entry, values=values,
        history=service.history(entry_id), can_change=_can_change(who), error=error,
    )  # fmt: skip


@router.post("/watchlist/entries/{entry_id}", response_class=HTMLResponse)
async def change_page(
    entry_id: str, request: Request, service: Service, who: Annotated[Principal, Depends(CHANGERS)]
) -> Response:
    form = await request.form()
    fields = {k: str(form.get(k) or "") for k in FIELDS if k != "entry_id"}
    try:
        service.change(entry_id, fields, by=who.name)
    except Invalid as exc:
        return _entry(request, service, who, entry_id, str(exc))
    return RedirectResponse(f"/watchlist/entries/{entry_id}", status_code=303)


@router.post("/watchlist/entries/{entry_id}/end", response_class=HTMLResponse)
def end_page(
    entry_id: str, request: Request, service: Service, who: Annotated[Principal, Depends(CHANGERS)]
) -> Response:
    try:
        service.end(entry_id, by=who.name)
    except Invalid as exc:
        return _entry(request, service, who, entry_id, str(exc))
    return RedirectResponse(f"/watchlist/entries/{entry_id}", status_code=303)


@router.get("/watchlist/devices", response_class=HTMLResponse)
def devices_page(request: Request, service: Service, who: Annotated[Principal, Depends(READERS)]) -> Response:
    return _render(
        request, "watchlist_devices.html", who, states=service.device_states(),
        version=service.current_version(), stale_after_min=int(service.stale_after.total_seconds() // 60),
    )  # fmt: skip
