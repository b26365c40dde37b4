"""``/api/v1/enrolments``: the holder's enrolment record by document, for gates (cached there) and kiosks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path

from central import enrolments
from central.api.deps import get_central, require_role
from central.auth import ADMINS, DEVICE, STAFF, Principal
from central.service import Central

router = APIRouter(prefix="/api/v1/enrolments", tags=["enrolments"])
State = Annotated[str, Path(pattern=r"^[A-Za-z<]{3}$", examples=["IDN"])]
Number = Annotated[str, Path(pattern=r"^[A-Za-z0-9<]{1,32}$", examples=["B1234567"])]


@router.get("/{issuing_state}/{document_number}")
def get_enrolment(
    issuing_state: State,
    document_number: Number,
    central: Annotated[Central, Depends(get_central)],
    _: Annotated[Principal, Depends(require_role(DEVICE, *STAFF))],
) -> dict[str, Any]:
    return enrolments.fetch(central.store, issuing_state, document_number)


@router.post("", status_code=201)
def put_enrolment(
    record: Annotated[dict[str, Any], Body(description="the wire's enrolment record, as JSON")],
    central: Annotated[Central, Depends(get_central)],
    who: Annotated[Principal, Depends(require_role(DEVICE, *ADMINS))],
) -> dict[str, Any]:
    return enrolments.register(central.store, record, by=who.name, now=central.clock.now())
