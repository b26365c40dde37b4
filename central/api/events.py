"""``/api/v1/events`` and ``/api/v1/crossings``: what devices reported, searchable."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from central.api.deps import get_central, require_role
from central.auth import STAFF, Principal
from central.service import Central

router = APIRouter(prefix="/api/v1", tags=["events"])
Limit = Annotated[int, Query(ge=1, le=1000)]


@router.get("/events")
def list_events(
    central: Annotated[Central, Depends(get_central)],
    _: Annotated[Principal, Depends(require_role(*STAFF))],
    device_id: str | None = None,
    type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = 100,
) -> list[dict[str, Any]]:
    return central.store.events(device_id=device_id, type=type, since=since, until=until, limit=limit)


@router.get("/events/{event_id}")
def get_event(
    event_id: str,
    central: Annotated[Central, Depends(get_central)],
    _: Annotated[Principal, Depends(require_role(*STAFF))],
) -> dict[str, Any]:
    return central.store.event(event_id)


@router.get("/crossings")
def search_crossings(
    central: Annotated[Central, Depends(get_central)],
    _: Annotated[Principal, Depends(require_role(*STAFF))],
    since: datetime | None = None,
    until: datetime | None = None,
    device_id: str | None = None,
    direction: Literal["departure", "arrival"] | None = None,
    document_number: str | None = None,
    outcome: str | None = None,
    limit: Limit = 100,
) -> list[dict[str, Any]]:
    """Crossings by date window, gate, direction and document number (newest first)."""
    return central.store.crossings(
        since=since,
        until=until,
        device_id=device_id,
        direction=direction,
        document_number=document_number,
        outcome=outcome,
        limit=limit,
    )
