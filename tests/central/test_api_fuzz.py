"""Fuzzing the API from its own OpenAPI document: whatever the input, no endpoint answers 500, and
without credentials every operation but the few public ones refuses (401/403; issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import hypothesis_jsonschema._from_schema as jsonschema_strategies
import pytest
import schemathesis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, settings
from hypothesis.internal.conjecture import utils as conjecture_utils
from schemathesis.checks import not_a_server_error

from central import devices
from central.app import create_app
from central.cctv.desk import CctvDesk
from central.service import Central
from central.store import AlertRecord, CrossingRecord, EventRecord
from tests.central.conftest import token_for

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
# FastAPI writes OpenAPI 3.1; schemathesis 3 reads it behind this switch.
schemathesis.experimental.OPEN_API_3_1.enable()


class _LegacyMany(conjecture_utils.many):
    """hypothesis-jsonschema 0.23.1 (schemathesis 3's generator) drives Hypothesis' ``many`` with the
    ``more()`` call that newer Hypothesis releases replaced by iteration; this adds it back, for this
    module only, so object-valued parameters can be generated. Remove once the two agree again."""

    def more(self) -> bool:
        if self._depth is None:
            self.__enter__()
        self._finish_element()
        if not self._decide():
            self._closed = True
            return False
        self.count += 1
        self._in_element = True
        self._rejected = False
        return True


if not hasattr(conjecture_utils.many, "more"):
    jsonschema_strategies.cu = SimpleNamespace(many=_LegacyMany)  # type: ignore[assignment,attr-defined]


@pytest.fixture
def fuzz_target(central: Central) -> Any:
    devices.add_device(central.store, "gate-01", kind="gate", now=T0)
    central.store.store_events(
        [
            EventRecord(
                "00000000-0000-7000-8000-000000000001",
                "gate-01",
                "crossing",
                T0,
                {},
                crossing=CrossingRecord("crossed", "departure", step_seconds={"scan": 2.5}),
            ),
            EventRecord(
                "00000000-0000-7000-8000-000000000002",
                "gate-01",
                "alarm",
                T0,
                {},
                alert=AlertRecord("cekal", "high"),
            ),
        ],
        received_at=T0,
    )
    app = create_app(central)
    # As `central serve` wires it: without a desk the CCTV routes answer 422 (no key) before any role check.
    app.state.cctv = CctvDesk(central.store, central.clock, Ed25519PrivateKey.generate())
    return schemathesis.from_asgi("/openapi.json", app)


@pytest.fixture
def fuzz_headers(central: Central) -> dict[str, str]:
    return token_for(central, "head_of_office")


schema = schemathesis.from_pytest_fixture("fuzz_target")


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_endpoint_answers_with_a_server_error(case: Any, fuzz_headers: dict[str, str]) -> None:
    response = case.call_asgi(headers=fuzz_headers)
    case.validate_response(response, checks=(not_a_server_error,))


# Reachable without credentials: the probe, the Prometheus scrape and the password-for-token exchange.
PUBLIC_OPERATIONS = frozenset({("GET", "/healthz"), ("GET", "/metrics"), ("POST", "/api/v1/tokens")})


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_operation_but_the_public_ones_answers_without_credentials(case: Any) -> None:
    response = case.call_asgi()  # no Authorization header, no session cookie
    case.validate_response(response, checks=(not_a_server_error,))
    if (case.method.upper(), case.path) not in PUBLIC_OPERATIONS:
        assert response.status_code in (401, 403), (
            f"{case.method} {case.formatted_path} answered {response.status_code} without credentials"
        )
