"""The live dashboard (``/``), its server-sent-event stream (``/live``) and the reports page."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from central import reports
from central.api.deps import get_central, require_role
from central.auth import MANAGERS, STAFF, Principal
from central.service import Central
from central.web.i18n import translator
from central.web.render import language, page

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, who: Annotated[Principal, Depends(require_role(*STAFF))]) -> Response:
    return page(
        request, "dashboard.html", principal=who, can_act=who.role in ("supervisor", "head_of_office")
    )


@router.get("/live")
async def live(
    central: Annotated[Central, Depends(get_central)], _: Annotated[Principal, Depends(require_role(*STAFF))]
) -> StreamingResponse:
    """Server-sent events: ``device``, ``event``, ``alert`` and ``command`` messages as they happen."""

    async def stream() -> AsyncIterator[str]:
        yield "retry: 2000\n\n"
        async for message in central.bus.stream():
            yield ": keep-alive\n\n" if message is None else message.sse()

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    central: Annotated[Central, Depends(get_central)],
    who: Annotated[Principal, Depends(require_role(*MANAGERS))],
    days: int = 1,
) -> Response:
    since = central.clock.now() - timedelta(days=max(1, min(days, 366)))
    tables = {name: reports.run(central.store, name, since, None) for name in reports.REPORTS}
    return page(request, "reports.html", principal=who, tables=tables, since=since, days=days)


@router.get("/reports/chart/{name}.png")
def report_chart(
    name: Literal["crossings-per-hour", "outcomes", "alarms", "step-times"],
    request: Request,
    central: Annotated[Central, Depends(get_central)],
    who: Annotated[Principal, Depends(require_role(*MANAGERS))],
    days: int = 1,
) -> Response:
    since = central.clock.now() - timedelta(days=max(1, min(days, 366)))
    png = chart_png(name, reports.run(central.store, name, since, None), language(request, who))
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


def chart_png(name: str, rows: list[dict[str, object]], lang: str) -> bytes:
    """A small bar chart of one report (matplotlib, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = translator(lang)
    fig, ax = plt.subplots(figsize=(7, 3), dpi=100)
    values: list[float]
    if name == "crossings-per-hour":
        totals: dict[str, int] = {}
        for r in rows:
            hour = datetime.fromisoformat(str(r["hour"])).strftime("%d %H:00")
            totals[hour] = totals.get(hour, 0) + int(str(r["crossings"]))
        labels, values = list(totals), [float(v) for v in totals.values()]
        title = t["crossings_per_hour"]
    elif name == "outcomes":
        labels = [f"{r['outcome']} {r['reason']}".strip() for r in rows]
        values = [int(str(r["count"])) for r in rows]
        title = t["outcomes"]
    elif name == "alarms":
        labels = [str(r["kind"]) for r in rows]
        values = [int(str(r["count"])) for r in rows]
        title = t["alarms"]
    else:
        labels = [f"{r['device_id']} {r['step']}" for r in rows]
        values = [float(str(r["p95_s"])) for r in rows]
        title = t["step_times"] + " (p95, s)"
    ax.bar(range(len(values)), values, color="#1f5fa8")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=7)
    ax.set_title(title)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
