"""``/cctv``: the supervisors' dashboard page for CCTV face-recognition alarms (SOP-003-D05).

The alarm queue, oldest open alarm first: the camera's snapshot beside the alert gallery's reference
photo, the score, the camera, the time, the SOP step that is due with its timer against the SOP time
(step 3 examine 5 min, step 4 report 5 min, step 5 identity decision 10–15 min, step 6 hold and
incident report), and the step's buttons as CSRF-protected form posts (the officer is the session's
user). The page refreshes itself (``/static/cctv.js``) unless someone is typing in a form.

Roles as in the API (central/cctv/router.py) with one narrowing: administrators manage users and
devices, not alarms (as on the workflow screens), so the page is for officers, supervisors and the head
of office; deciding identity and writing the incident report (steps 5–6) is for supervisors and the
head of office.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from central.api.deps import CSRF_FIELD, require_role
from central.auth import ACTORS, Principal
from central.cctv.desk import FINAL_STATUSES, CctvDesk
from central.cctv.router import AlarmId, get_desk
from central.errors import Conflict, Invalid, NotFound
from central.store import Row, utc
from central.web.i18n import translator
from central.web.render import language

WEB = Path(__file__).resolve().parent.parent / "web"
templates = Jinja2Templates(directory=str(WEB / "templates"))
router = APIRouter(include_in_schema=False)

# Who watches the alarm queue: the officers at the monitoring station and those they report to.
WATCHERS = ("officer", "supervisor", "head_of_office")
watcher = Depends(require_role(*WATCHERS))
# The caller comes before the desk in every signature: FastAPI resolves dependencies in that order, and
# an anonymous request must get the login redirect, not the desk's configuration error (issue 12).
Caller = Annotated[Principal, watcher]
Desk = Annotated[CctvDesk, Depends(get_desk)]
REFRESH_S = 10  # the page reloads this often when nobody is typing (cctv.js)
RECENT = 20  # closed alarms shown below the queue

# The SOP-003-D05 time standard shown beside each timer, by the step that is due.
SOP_TIME = {"examine": "5 min", "report": "5 min", "decide": "10–15 min", "incident": "10–60 min"}

TEXT: dict[str, tuple[str, str]] = {
    "cctv_title": ("Alarm CCTV pengenalan wajah", "CCTV face-recognition alarms"),
    "cctv_queue": ("Antrean alarm", "Alarm queue"),
    "cctv_none": ("Tidak ada alarm terbuka.", "No open alarms."),
    "cctv_recent": ("Alarm selesai terakhir", "Recently closed alarms"),
    "cctv_snapshot": ("Tangkapan kamera", "Camera snapshot"),
    "cctv_reference": ("Foto rujukan", "Reference photo"),
    "cctv_no_reference": ("Tidak ada foto rujukan", "No reference photo"),
    "cctv_score": ("Skor", "Score"),
    "cctv_threshold": ("ambang", "threshold"),
    "cctv_camera": ("Kamera", "Camera"),
    "cctv_time": ("Waktu", "Time"),
    "cctv_entry": ("Entri sistem peringatan", "Alert-system entry"),
    "cctv_watchlist": ("Entri cekal", "Watch-list entry"),
    "cctv_status": ("Status", "Status"),
    "cctv_step": ("Langkah", "Step"),
    "cctv_waited": ("menunggu", "waited"),
    "cctv_standard": ("standar SOP", "SOP standard"),
    "cctv_overdue": ("LEWAT WAKTU", "OVERDUE"),
    "cctv_warning": ("hampir habis", "almost due"),
    "cctv_notes": ("Catatan", "Notes"),
    "cctv_reason": ("Alasan penolakan", "Reason for dismissal"),
    "cctv_examine": ("Penumpang sudah diperiksa", "Passenger examined"),
    "cctv_report": ("Dilaporkan ke supervisor", "Reported to supervisor"),
    "cctv_identical": ("Identik: tahan", "Identical: hold"),
    "cctv_not_identical": ("Tidak identik: lepaskan", "Not identical: release"),
    "cctv_dismiss": ("Tolak alarm (salah kenali)", "Dismiss alarm (false match)"),
    "cctv_incident": ("Buat laporan kejadian", "Write incident report"),
    "cctv_summary": ("Ringkasan kejadian", "Incident summary"),
    "cctv_report_link": ("Laporan kejadian", "Incident report"),
    "cctv_by": ("oleh", "by"),
    "cctv_decide_lane": (
        "Keputusan identitas oleh supervisor / kepala seksi",
        "Identity decision by a supervisor / section head",
    ),
    "cctv_problem": ("Tidak dapat dilakukan", "Could not be done"),
    "cctv_not_yours": (
        "Langkah ini untuk supervisor atau kepala kantor.",
        "This step is for a supervisor or the head of office.",
    ),
    "step_examine": ("Langkah 3: periksa penumpang", "Step 3: examine the passenger"),
    "step_report": ("Langkah 4: laporkan ke supervisor", "Step 4: report to the supervisor"),
    "step_decide": ("Langkah 5: konfirmasi identitas", "Step 5: confirm the identity"),
    "step_incident": ("Langkah 6: tahan dan laporan kejadian", "Step 6: hold and incident report"),
    "status_raised": ("alarm baru", "raised"),
    "status_examined": ("diperiksa", "examined"),
    "status_reported": ("dilaporkan", "reported"),
    "status_held": ("ditahan", "held"),
    "status_released": ("dilepaskan", "released"),
    "status_dismissed": ("ditolak", "dismissed"),
    "status_closed": ("selesai", "closed"),
}


def texts(lang: str) -> dict[str, str]:
    """The dashboard's texts plus this page's, in ``lang``."""
    return {**translator(lang), **{k: pair[1 if lang == "en" else 0] for k, pair in TEXT.items()}}


def _clock(seconds: float) -> str:
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def _local(at: datetime) -> str:
    return f"{utc(at):%Y-%m-%d %H:%M:%S} UTC"


def _has_reference(desk: CctvDesk, entry_id: str) -> bool:
    try:
        desk.reference_photo(entry_id)
    except NotFound:
        return False
    return True


def _shown(desk: CctvDesk, alarm: Row) -> dict[str, Any]:
    timing = desk.timing(alarm)
    due = timing["due"]
    closing = next(
        (alarm["steps"][s] for s in ("dismissed", "incident", "decided") if s in alarm["steps"]), None
    )
    return {
        **{k: v for k, v in alarm.items() if k != "snapshot_jpeg"},
        "time": _local(alarm["occurred_at"]),
        "due": due,
        "waited": "" if due is None else _clock(due["waited_s"]),
        "sop_time": "" if due is None else SOP_TIME[due["step"]],
        "has_reference": _has_reference(desk, alarm["entry_id"]),
        "closed_by": closing,
    }


def _render(
    request: Request, desk: CctvDesk, who: Principal, *, problem: str = "", status_code: int = 200
) -> HTMLResponse:
    lang = language(request, who)
    queue = [_shown(desk, a) for a in desk.alarms(open_only=True)]
    recent = [_shown(desk, a) for a in desk.alarms(limit=200) if a["status"] in FINAL_STATUSES][:RECENT]
    return templates.TemplateResponse(
        request,
        "cctv.html",
        {
            "t": texts(lang),
            "lang": lang,
            "principal": who,
            "csrf_field": CSRF_FIELD,
            "queue": queue,
            "recent": recent,
            "may_decide": who.role in ACTORS,
            "problem": problem,
            "refresh_s": REFRESH_S,
        },
        status_code=status_code,
    )


@router.get("/cctv", response_class=HTMLResponse)
def alarm_page(request: Request, who: Caller, desk: Desk) -> Response:
    return _render(request, desk, who)


@router.get("/cctv/alarms/{alarm_id}/snapshot.jpg", response_class=Response)
def snapshot(_who: Caller, alarm_id: AlarmId, desk: Desk) -> Response:
    """The face crop the camera sent with the alarm (the only frame data central ever holds)."""
    jpeg = desk.alarm(alarm_id)["snapshot_jpeg"]
    return Response(bytes(jpeg), media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/cctv/alarms/{alarm_id}/reference.jpg", response_class=Response)
def reference(_who: Caller, alarm_id: AlarmId, desk: Desk) -> Response:
    """The alert gallery's reference photo of the entry the alarm matched."""
    jpeg = desk.reference_photo(desk.alarm(alarm_id)["entry_id"])
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


def _attempt(request: Request, desk: CctvDesk, who: Principal, run: Callable[[], Row]) -> Response:
    """Run one desk step; on success back to the queue (post/redirect/get), else the page with why."""
    try:
        run()
    except Conflict as exc:
        return _render(request, desk, who, problem=str(exc), status_code=409)
    except Invalid as exc:
        return _render(request, desk, who, problem=str(exc), status_code=422)
    return RedirectResponse("/cctv", status_code=303)


def _only_actors(request: Request, desk: CctvDesk, who: Principal) -> Response | None:
    if who.role in ACTORS:
        return None
    lang = language(request, who)
    return _render(request, desk, who, problem=texts(lang)["cctv_not_yours"], status_code=403)


Notes = Annotated[str, Form(max_length=2000)]


@router.post("/cctv/alarms/{alarm_id}/examine", response_class=HTMLResponse)
def examine(request: Request, who: Caller, alarm_id: AlarmId, desk: Desk, notes: Notes = "") -> Response:
    """SOP-003-D05 step 3: the officer has examined the passenger and the travel document."""
    return _attempt(request, desk, who, lambda: desk.examine(alarm_id, by=who.name, notes=notes))


@router.post("/cctv/alarms/{alarm_id}/report", response_class=HTMLResponse)
def report(request: Request, who: Caller, alarm_id: AlarmId, desk: Desk, notes: Notes = "") -> Response:
    """SOP-003-D05 step 4: reported to the supervisor and the unit section head."""
    return _attempt(request, desk, who, lambda: desk.report(alarm_id, by=who.name, notes=notes))


@router.post("/cctv/alarms/{alarm_id}/dismiss", response_class=HTMLResponse)
def dismiss(request: Request, who: Caller, alarm_id: AlarmId, desk: Desk, reason: Notes = "") -> Response:
    """A false match, closed with who and why (the desk refuses an empty reason)."""
    return _attempt(request, desk, who, lambda: desk.dismiss(alarm_id, by=who.name, reason=reason))


@router.post("/cctv/alarms/{alarm_id}/decide", response_class=HTMLResponse)
def decide(
    request: Request,
    who: Caller,
    alarm_id: AlarmId,
    desk: Desk,
    identical: Annotated[str, Form(pattern="^(yes|no)$")],
    notes: Notes = "",
) -> Response:
    """SOP-003-D05 step 5: identical → hold (step 6), else the passenger may pass."""
    refused = _only_actors(request, desk, who)
    if refused is not None:
        return refused
    return _attempt(
        request,
        desk,
        who,
        lambda: desk.decide(alarm_id, by=who.name, identical=identical == "yes", notes=notes),
    )


@router.post("/cctv/alarms/{alarm_id}/incident", response_class=HTMLResponse)
def incident(
    request: Request,
    who: Caller,
    alarm_id: AlarmId,
    desk: Desk,
    summary: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Response:
    """SOP-003-D05 step 6: the incident report of the held passenger; closes the alarm."""
    refused = _only_actors(request, desk, who)
    if refused is not None:
        return refused
    return _attempt(
        request,
        desk,
        who,
        lambda: desk.write_incident(
            alarm_id,
            by=who.name,
            fields={"summary": summary.strip(), "subject_name": desk.alarm(alarm_id)["label"]},
        ),
    )
