"""``/api/v1/devices``: the registry, each device's live state, and adding a device with credentials."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from central import devices as registry
from central.api.deps import get_central, require_role
from central.auth import ADMINS, STAFF, Principal
from central.service import Central

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])


class NewDevice(BaseModel):
    device_id: str = Field(pattern=registry.DEVICE_ID.pattern, examples=["gate-01"])
    kind: str = Field(default="gate", examples=list(registry.KINDS))
    site: str = Field(default="", max_length=64)
    lane: str = Field(default="", max_length=32)
    direction: str = Field(default="", examples=["departure"])


@router.get("")
def list_devices(
    central: Annotated[Central, Depends(get_central)], _: Annotated[Principal, Depends(require_role(*STAFF))]
) -> list[dict[str, Any]]:
    return [registry.tile(d) for d in central.store.devices()]


@router.get("/{device_id}")
def get_device(
    device_id: str,
    central: Annotated[Central, Depends(get_central)],
    _: Annotated[Principal, Depends(require_role(*STAFF))],
) -> dict[str, Any]:
    return registry.tile(central.store.device(device_id))


@router.post("", status_code=201)
def add_device(
    body: NewDevice,
    central: Annotated[Central, Depends(get_central)],
    who: Annotated[Principal, Depends(require_role(*ADMINS))],
) -> dict[str, Any]:
    """Register a device; its MQTT password and bearer token are in this answer and nowhere else."""
    creds = registry.add_device(
        central.store,
        body.device_id,
        kind=body.kind,
        site=body.site,
        lane=body.lane,
        direction=body.direction,
        now=central.clock.now(),
        broker=central.settings.broker_files,
    )
    central.store.audit(who.name, "device.add", now=central.clock.now(), target=body.device_id)
    return {
        "device": registry.tile(central.store.device(body.device_id)),
        "mqtt_username": creds.mqtt_username,
        "mqtt_password": creds.mqtt_password,
        "api_token": creds.api_token,
    }
