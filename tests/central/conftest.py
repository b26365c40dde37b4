"""Fixtures for the central service: a store, an app in-process, and users of every role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from central import auth
from central.app import create_app
from central.service import Central
from central.store import Store
from core.clock import ManualClock

PASSWORD = "a long enough password"


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with its production cost takes ~0.1 s per hash; tests hash a few per test. The scheme,
    salt and verification stay the same, only the work factor drops."""
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    s = Store(sqlite_url)
    yield s
    s.close()


@pytest.fixture
def central(store: Store, clock: ManualClock) -> Central:
    c = Central(store, clock=clock)
    for role in auth.ROLES:
        auth.add_user(store, role.replace("_", "-"), PASSWORD, role, now=clock.now(), language="en")
    return c


@pytest.fixture
def client(central: Central) -> Iterator[TestClient]:
    with TestClient(create_app(central)) as c:
        yield c


def token_for(central: Central, role: str) -> dict[str, str]:
    secret = auth.issue_api_token(central.store, role.replace("_", "-"), now=central.clock.now())
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def supervisor(central: Central) -> dict[str, str]:
    return token_for(central, "supervisor")


@pytest.fixture
def officer(central: Central) -> dict[str, str]:
    return token_for(central, "officer")


@pytest.fixture
def admin(central: Central) -> dict[str, str]:
    return token_for(central, "administrator")
