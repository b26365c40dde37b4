"""``/api/v1/alerts`` and ``/api/v1/commands``: the supervisors' queue and what they tell devices to do."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from central.alerts import public_alert
from central.api.deps import get_central, require_role
from central.auth import ACTORS, STAFF, Principal
from central.commands import ACTIONS
from central.errors import NotFound
from central.service import Central

router = APIRouter(prefix="/api/v1", tags=["alerts", "commands"])
AlertId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class NewCommand(BaseModel):
    device_id: str = Field(max_length=64, examples=["gate-01"])
    action: Literal[
        "release_passenger",
        "grant_retry",
        "refuse_retry",
        "out_of_service",
        "in_service",
        "clear_alarm",
        "resync_watchlist",
    ] = Field(description="; ".join(f"{k}: {v}" for k, v in ACTIONS.items()))
    alert_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


@router.get("/alerts")
def list_alerts(
    central: Annotated[Central, Depends(get_central)],
    _: Annotated[Principal, Depends(require_role(*STAFF))],
    status: Literal["open", "acknowledged", "closed"] | None = None,
    device_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    return [public_alert(a) for a in central.store.alerts(status=status, device_id=device_id, limit=limit)]


@router.get("/alerts/{alert_id}")
def get_alert(
    alert_id: AlertId,
    central: Annotated[Central, Depends(get_central)],
    _: Annotated[Principal, Depends(require_role(*STAFF))],
) -> dict[str, Any]:
    return public_alert(central.store.alert(alert_id))


@router.get(
    "/alerts/{alert_id}/face", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}}
)
def alert_face(
    alert_id: AlertId,
    central: Annotated[Central, Depends(get_central)],
    _: Annotated[Principal, Depends(require_role(*STAFF))],
) -> Response:
    """The face the gate captured with the alarm (SOP-003-A03 step 4: confirm a true match)."""
    face = central.store.alert(alert_id)["face_jpeg"]
    if face is None:
        raise NotFound(f"alert {alert_id} came without a face image")
    return Response(face, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@router.post("/alerts/{alert_id}/{status}")
def set_alert_status(
    alert_id: AlertId,
    status: Literal["acknowledged", "closed"],
    central: Annotated[Central, Depends(get_central)],
    who: Annotated[Principal, Depends(require_role(*ACTORS))],
) -> dict[str, Any]:
    now = central.clock.now()
    alert = central.store.set_alert_status(alert_id, status, by=who.name, now=now)
    central.store.audit(who.name, f"alert.{status}", now=now, target=str(alert_id))
    central.bus.publish("alert", public_alert(alert))
    return public_alert(alert)


@router.post("/commands", status_code=202)
def issue_command(
    body: NewCommand,
    central: Annotated[Central, Depends(get_central)],
    who: Annotated[Principal, Depends(require_role(*ACTORS))],
) -> dict[str, Any]:
    """Send a command to a device; it stays ``pending`` until the device acknowledges or refuses it."""
    return central.commands.issue(body.device_id, body.action, by=who.name, alert_id=body.alert_id)


@router.get("/commands")
def list_commands(
    central: Annotated[Central, Depends(get_central)],
    _: Annotated[Principal, Depends(require_role(*STAFF))],
    device_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    return central.store.commands(device_id=device_id, limit=limit)


@router.get("/commands/{command_id}")
def get_command(
    command_id: str,
    central: Annotated[Central, Depends(get_central)],
    _: Annotated[Principal, Depends(require_role(*STAFF))],
) -> dict[str, Any]:
    return central.store.command(command_id)
