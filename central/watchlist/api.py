"""``/api/v1/watchlist``: entries (officers read; supervisors, heads of office and administrators change),
CSV import/export, versions, and the signed files gates download (resumable with HTTP Range)."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response, StreamingResponse

from central.api.deps import get_central, require_role
from central.auth import DEVICE, MANAGERS, STAFF, Principal
from central.errors import Invalid, NotFound
from central.watchlist.keys import load_or_create_key, public_pem
from central.watchlist.service import ImportRejected, WatchlistService

router = APIRouter(prefix="/api/v1/watchlist", tags=["watchlist"])

READERS = require_role(*STAFF)
CHANGERS = require_role(*MANAGERS)  # SOP: the list is changed by supervisors and above, never officers
DOWNLOADERS = require_role(*STAFF, DEVICE)
SIGNED = "application/octet-stream"
MAX_DB_INT = 2**31 - 1  # larger numbers cannot name a row, and SQLite refuses them as parameters
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def install(app: FastAPI, service: WatchlistService) -> None:
    """Give the app its watch-list service (call before serving; otherwise one is made on first use
    with the key from ``$CENTRAL_WATCHLIST_KEY`` and no MQTT publisher)."""
    app.state.watchlist = service


def get_watchlist(request: Request) -> WatchlistService:
    service: WatchlistService | None = getattr(request.app.state, "watchlist", None)
    if service is None:
        central = get_central(request)
        service = WatchlistService(central.store, central.clock, load_or_create_key())
        request.app.state.watchlist = service
    return service


Service = Annotated[WatchlistService, Depends(get_watchlist)]


@router.get("")
def status(service: Service, _who: Annotated[Principal, Depends(DOWNLOADERS)]) -> dict[str, Any]:
    """The current version, entry count and the public key gates verify with."""
    version = service.current_version()
    row = service.version_row(version) if version else None
    return {
        "version": version,
        "entries": row["entries"] if row else 0,
        "published_at": row["created_at"].isoformat() if row else None,
        "key_id": service.key_id,
        "public_key_pem": public_pem(service.public_key),
    }


@router.get("/entries")
def list_entries(
    service: Service,
    _who: Annotated[Principal, Depends(READERS)],
    q: Annotated[str, Query(max_length=128)] = "",
    list_: Annotated[str, Query(alias="list", max_length=32)] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_DB_INT)] = 0,
) -> list[dict[str, Any]]:
    found = service.entries(search=q, lists=[list_] if list_ else (), limit=limit, offset=offset)
    return [e.to_dict() for e in found]


@router.get("/entries/{entry_id}")
def get_entry(
    entry_id: str, service: Service, _who: Annotated[Principal, Depends(READERS)]
) -> dict[str, Any]:
    return {**service.entry(entry_id).to_dict(), "history": _jsonable(service.history(entry_id))}


@router.post("/entries", status_code=201)
def add_entry(
    service: Service, who: Annotated[Principal, Depends(CHANGERS)], body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    entry, version = service.add(body, by=who.name)
    return {"entry": entry.to_dict(), "version": version}


@router.patch("/entries/{entry_id}")
def change_entry(
    entry_id: str,
    service: Service,
    who: Annotated[Principal, Depends(CHANGERS)],
    body: Annotated[dict[str, Any], Body()],
) -> dict[str, Any]:
    entry, version = service.change(entry_id, body, by=who.name)
    return {"entry": entry.to_dict(), "version": version}


@router.post("/entries/{entry_id}/end")
def end_entry(
    entry_id: str,
    service: Service,
    who: Annotated[Principal, Depends(CHANGERS)],
    on: Annotated[date | None, Query(description="last valid day; default yesterday (WIB)")] = None,
) -> dict[str, Any]:
    entry, version = service.end(entry_id, by=who.name, on=on)
    return {"entry": entry.to_dict(), "version": version}


@router.post("/import")
async def import_csv(
    request: Request,
    service: Service,
    who: Annotated[Principal, Depends(CHANGERS)],
    replace: bool = False,
) -> Response:
    """The request body is the list CSV. Any bad row: 422 with every row error, nothing applied."""
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid("the CSV is not UTF-8; save it as UTF-8 and send it again") from exc
    try:
        result = service.import_csv(io.StringIO(text), by=who.name, replace=replace)
    except ImportRejected as exc:
        return JSONResponse(
            {
                "error": {"code": "ImportRejected", "message": str(exc)},
                "row_errors": [
                    {"line": e.line, "column": e.column, "message": e.message} for e in exc.errors
                ],
            },
            status_code=422,
        )
    return JSONResponse(result.__dict__)


@router.get("/export")
def export_csv(service: Service, _who: Annotated[Principal, Depends(CHANGERS)]) -> Response:
    out = io.StringIO()
    service.export_csv(out)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="watchlist.csv"'},
    )


@router.get("/versions")
def versions(
    service: Service,
    _who: Annotated[Principal, Depends(READERS)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = _jsonable(service.versions(limit))
    return rows


@router.get("/devices")
def devices(service: Service, _who: Annotated[Principal, Depends(READERS)]) -> list[dict[str, Any]]:
    """Each device's reported list version, its age, how far behind, and the stale flag."""
    return [_jsonable(s.__dict__) for s in service.device_states()]


@router.get("/public-key")
def public_key(service: Service, _who: Annotated[Principal, Depends(DOWNLOADERS)]) -> Response:
    return Response(public_pem(service.public_key), media_type="application/x-pem-file")


@router.get("/snapshots/{version}")
def snapshot(
    version: Annotated[int, PathParam(ge=0, le=MAX_DB_INT)],
    request: Request,
    service: Service,
    _who: Annotated[Principal, Depends(DOWNLOADERS)],
) -> Response:
    """The signed snapshot of one version (``core.watchlist.verify_snapshot``); Range resumes it."""
    return _ranged(request, service.snapshot_bytes(version), f"watchlist-{version}.wls")


@router.get("/prepared/{version}")
def prepared(
    version: Annotated[int, PathParam(ge=0, le=MAX_DB_INT)],
    request: Request,
    service: Service,
    _who: Annotated[Principal, Depends(DOWNLOADERS)],
) -> Response:
    """The signed prepared snapshot of one version (``core.watchlist.load_prepared_snapshot``): the
    built index, hundreds of MiB for a million entries, streamed from central's file; Range resumes."""
    info = service.prepared_file(version)
    return _ranged_file(request, info.path, info.sha256, info.size, f"watchlist-{version}.wlp")


@router.get("/deltas/{span}")
def delta_span(
    span: str, request: Request, service: Service, _who: Annotated[Principal, Depends(DOWNLOADERS)]
) -> Response:
    """``/deltas/BASE-TARGET``: the signed delta named in the announcement."""
    base, _, target = span.partition("-")
    if not (base.isdigit() and target.isdigit()) or max(len(base), len(target)) > 9:
        raise NotFound(f"{span!r} is not BASE-TARGET (e.g. 41-42)")
    return _ranged(request, service.delta_bytes(int(base), int(target)), f"watchlist-{span}.wld")


@router.get("/deltas")
def delta_from(
    request: Request,
    service: Service,
    _who: Annotated[Principal, Depends(DOWNLOADERS)],
    from_: Annotated[int, Query(alias="from", ge=1, le=MAX_DB_INT, description="the version the gate runs")],
) -> Response:
    """One signed delta from the caller's version to the current one (a gate that missed several)."""
    current = service.current_version()
    return _ranged(request, service.delta_bytes(from_, current), f"watchlist-{from_}-{current}.wld")


def _ranged(request: Request, data: bytes, filename: str) -> Response:
    """Whole file, or the one byte range asked for (206), so an interrupted download resumes."""
    etag = '"' + hashlib.sha256(data).hexdigest() + '"'
    status, start, end, headers = _range_of(request, len(data), etag, filename)
    if status == 416:
        return Response(b"", status_code=416, headers=headers, media_type=SIGNED)
    return Response(data[start : end + 1], status_code=status, media_type=SIGNED, headers=headers)


def _ranged_file(request: Request, path: Path, sha256: str, size: int, filename: str) -> Response:
    """``_ranged`` for a large file: read and sent a chunk at a time, never held whole."""
    status, start, end, headers = _range_of(request, size, f'"{sha256}"', filename)
    if status == 416:
        return Response(b"", status_code=416, headers=headers, media_type=SIGNED)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise NotFound(
            f"the prepared snapshot {path.name} is gone ({exc}); fetch the one announced now"
        ) from exc

    def body() -> Iterator[bytes]:
        with handle:
            handle.seek(start)
            left = end + 1 - start
            while left > 0:
                chunk = handle.read(min(left, 1 << 20))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk

    headers["Content-Length"] = str(end + 1 - start)
    return StreamingResponse(body(), status_code=status, media_type=SIGNED, headers=headers)


def _range_of(request: Request, size: int, etag: str, filename: str) -> tuple[int, int, int, dict[str, str]]:
    """(status, first byte, last byte, headers) for a download of ``size`` bytes: 200 for the whole
    file (no Range, or an If-Range for another version of it), 206 for ``bytes=N-M`` / ``bytes=N-`` /
    ``bytes=-N``, 416 for a range past the end."""
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    wanted = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if not wanted or (if_range is not None and if_range != etag):
        return 200, 0, size - 1, headers
    match = _RANGE.match(wanted.strip())
    start: int | None = None
    end = size - 1
    if match and (match.group(1) or match.group(2)):
        first, last = match.group(1), match.group(2)
        if first:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
        else:
            start = max(0, size - int(last))
    if start is None or start >= size or start > end:
        return 416, 0, -1, {**headers, "Content-Range": f"bytes */{size}"}
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return 206, start, end, headers


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if k != "snapshot"}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
