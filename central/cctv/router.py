"""``/api/v1/cctv``: the alert gallery, its signed snapshot for the watchers, and the alarm desk.

Roles (central/auth.py): officers examine, report or dismiss alarms (SOP-003-D05 steps 3–4);
supervisors and the head of office (the unit section head's lane) decide identity and write the
incident report (steps 5–6); managers keep the gallery; cameras (device tokens) fetch the snapshot and
post alarms.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from central.api.deps import get_central, require_role
from central.auth import ACTORS, DEVICE, MANAGERS, STAFF, Principal
from central.cctv.desk import CctvDesk, load_or_create_key, public_alarm
from central.errors import Invalid
from central.service import Central
from core.wire.cctv import CctvFaceAlarm, CctvWireError

router = APIRouter(prefix="/api/v1/cctv", tags=["cctv"])
EntryId = Annotated[str, PathParam(max_length=36)]
AlarmId = Annotated[str, PathParam(max_length=36)]
KEY_ENV = "IMIGRASI_CCTV_KEY"


def get_desk(request: Request) -> CctvDesk:
    """``app.state.cctv`` when the app was built with one, else one made from ``$IMIGRASI_CCTV_KEY``."""
    desk: CctvDesk | None = getattr(request.app.state, "cctv", None)
    if desk is None:
        central: Central = get_central(request)
        key_path = os.environ.get(KEY_ENV)
        if not key_path:
            raise Invalid(
                f"the CCTV desk has no signing key; set {KEY_ENV} to a PEM path (made on first use)"
            )
        desk = CctvDesk(central.store, central.clock, load_or_create_key(Path(key_path)))
        request.app.state.cctv = desk
    return desk


# Every endpoint names its role check before ``Desk``: FastAPI resolves dependencies in signature order,
# so an anonymous caller gets 401 and another role 403, never the desk's configuration error (issue 12).
Desk = Annotated[CctvDesk, Depends(get_desk)]


def _b64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid(f"{what} is not valid base64") from exc


class NewEntry(BaseModel):
    label: str = Field(min_length=1, max_length=128, examples=["case 2026/114"])
    watchlist_id: str | None = Field(default=None, max_length=64)
    templates: list[str] = Field(
        min_length=1, max_length=10, description="base64 face templates from `python -m edge.cctv enrol`"
    )
    photos: list[str] | None = Field(default=None, max_length=10, description="base64 JPEG reference photos")


class EndEntry(BaseModel):
    reason: str = Field(min_length=1, max_length=256)


class StepNotes(BaseModel):
    notes: str = Field(default="", max_length=2000)


class Dismissal(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class Decision(BaseModel):
    identical: bool
    notes: str = Field(default="", max_length=2000)


class Incident(BaseModel):
    fields: dict[str, str] = Field(default_factory=dict, max_length=50)


@router.get("/gallery")
def list_entries(
    _: Annotated[Principal, Depends(require_role(*STAFF))], desk: Desk, include_ended: bool = False
) -> list[dict[str, Any]]:
    return desk.entries(include_ended=include_ended)


@router.post("/gallery", status_code=201)
def add_entry(
    who: Annotated[Principal, Depends(require_role(*MANAGERS))], body: NewEntry, desk: Desk
) -> dict[str, Any]:
    templates = [_b64(t, "a template") for t in body.templates]
    photos: list[bytes | None] | None = [_b64(p, "a photo") for p in body.photos] if body.photos else None
    return desk.add_entry(body.label, templates, by=who.name, watchlist_id=body.watchlist_id, photos=photos)


@router.post("/gallery/{entry_id}/end")
def end_entry(
    who: Annotated[Principal, Depends(require_role(*MANAGERS))], entry_id: EntryId, body: EndEntry, desk: Desk
) -> dict[str, Any]:
    return desk.end_entry(entry_id, by=who.name, reason=body.reason)


@router.get(
    "/gallery/{entry_id}/photo", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}}
)
def entry_photo(
    _: Annotated[Principal, Depends(require_role(*STAFF))], entry_id: EntryId, desk: Desk
) -> Response:
    return Response(
        desk.reference_photo(entry_id), media_type="image/jpeg", headers={"Cache-Control": "private"}
    )


@router.post("/gallery/publish", status_code=201)
def publish(who: Annotated[Principal, Depends(require_role(*MANAGERS))], desk: Desk) -> dict[str, Any]:
    return desk.publish(by=who.name)


@router.get(
    "/gallery/snapshot",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def snapshot(_: Annotated[Principal, Depends(require_role(DEVICE, *STAFF))], desk: Desk) -> Response:
    """The latest signed snapshot (msgpack envelope, Ed25519); watchers verify it with the public key."""
    return Response(desk.latest_snapshot(), media_type="application/octet-stream")


@router.get("/gallery/public-key", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def public_key(_: Annotated[Principal, Depends(require_role(*MANAGERS))], desk: Desk) -> Response:
    return Response(desk.public_key_pem(), media_type="text/plain")


@router.post("/alarms", status_code=201)
def post_alarm(
    _: Annotated[Principal, Depends(require_role(DEVICE))], body: dict[str, Any], request: Request, desk: Desk
) -> dict[str, Any]:
    """A watcher's alarm (``CctvFaceAlarm.to_dict()``); sending one twice stores it once."""
    try:
        alarm = CctvFaceAlarm.from_dict(body)
    except CctvWireError as exc:
        raise Invalid(str(exc)) from exc
    row, is_new = desk.record_alarm(alarm)
    shown = public_alarm(row, desk.timing(row))
    if is_new:
        # SOP-003-D05 step 2: the monitoring station's notification and alarm sound come from here.
        get_central(request).bus.publish("cctv_alarm", shown)
    return shown


@router.get("/alarms")
def list_alarms(
    _: Annotated[Principal, Depends(require_role(*STAFF))], desk: Desk, open_only: bool = False
) -> list[dict[str, Any]]:
    return [public_alarm(a, desk.timing(a)) for a in desk.alarms(open_only=open_only)]


@router.get("/alarms/{alarm_id}")
def get_alarm(
    _: Annotated[Principal, Depends(require_role(*STAFF))], alarm_id: AlarmId, desk: Desk
) -> dict[str, Any]:
    alarm = desk.alarm(alarm_id)
    return public_alarm(alarm, desk.timing(alarm))


@router.get(
    "/alarms/{alarm_id}/snapshot", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}}
)
def alarm_snapshot(
    _: Annotated[Principal, Depends(require_role(*STAFF))], alarm_id: AlarmId, desk: Desk
) -> Response:
    return Response(
        desk.alarm(alarm_id)["snapshot_jpeg"], media_type="image/jpeg", headers={"Cache-Control": "private"}
    )


@router.post("/alarms/{alarm_id}/examine")
def examine(
    who: Annotated[Principal, Depends(require_role(*STAFF))], alarm_id: AlarmId, body: StepNotes, desk: Desk
) -> dict[str, Any]:
    return _shown(desk, desk.examine(alarm_id, by=who.name, notes=body.notes))


@router.post("/alarms/{alarm_id}/dismiss")
def dismiss(
    who: Annotated[Principal, Depends(require_role(*STAFF))], alarm_id: AlarmId, body: Dismissal, desk: Desk
) -> dict[str, Any]:
    return _shown(desk, desk.dismiss(alarm_id, by=who.name, reason=body.reason))


@router.post("/alarms/{alarm_id}/report")
def report(
    who: Annotated[Principal, Depends(require_role(*STAFF))], alarm_id: AlarmId, body: StepNotes, desk: Desk
) -> dict[str, Any]:
    return _shown(desk, desk.report(alarm_id, by=who.name, notes=body.notes))


@router.post("/alarms/{alarm_id}/decide")
def decide(
    who: Annotated[Principal, Depends(require_role(*ACTORS))], alarm_id: AlarmId, body: Decision, desk: Desk
) -> dict[str, Any]:
    return _shown(desk, desk.decide(alarm_id, by=who.name, identical=body.identical, notes=body.notes))


@router.post("/alarms/{alarm_id}/incident")
def incident(
    who: Annotated[Principal, Depends(require_role(*ACTORS))], alarm_id: AlarmId, body: Incident, desk: Desk
) -> dict[str, Any]:
    return _shown(desk, desk.write_incident(alarm_id, by=who.name, fields=dict(body.fields)))


def _shown(desk: CctvDesk, alarm: dict[str, Any]) -> dict[str, Any]:
    return public_alarm(alarm, desk.timing(alarm))
