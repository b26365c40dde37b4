"""Operations: ``/healthz``, ``/metrics`` (Prometheus) and ``/api/v1/tokens`` (a bearer token by password)."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field

from central import auth
from central.api.deps import get_central
from central.service import Central

router = APIRouter(tags=["operations"])


class Credentials(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


@router.get("/healthz")
def health(central: Annotated[Central, Depends(get_central)], response: Response) -> dict[str, Any]:
    """200 when the database answers; 503 (with the reason) when it does not."""
    try:
        with central.store.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        response.status_code = 503
        return {"status": "unhealthy", "database": f"unreachable: {exc.__class__.__name__}"}
    sender = central.commands.sender
    broker = getattr(sender, "is_connected", None)
    return {"status": "ok", "database": "ok", "broker": "connected" if broker else "not connected"}


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def metrics(central: Annotated[Central, Depends(get_central)]) -> Response:
    return Response(central.metrics.render(), media_type=CONTENT_TYPE_LATEST)


@router.post("/api/v1/tokens", status_code=201)
def issue_token(body: Credentials, central: Annotated[Central, Depends(get_central)]) -> dict[str, str]:
    """Exchange a user name and password for a bearer token (for scripts and the API)."""
    now = central.clock.now()
    auth.check_password(central.store, body.username, body.password, now=now)
    return {"token": auth.issue_api_token(central.store, body.username, now=now), "token_type": "bearer"}
