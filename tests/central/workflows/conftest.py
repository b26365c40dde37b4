"""A central app with the workflow router, on a manual clock, and an API client per role."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from central.app import create_app
from central.auth import add_user, issue_api_token
from central.service import Central
from central.store import Store
from central.workflows.api import install
from central.workflows.definitions import Catalogue
from central.workflows.engine import CekalHit, Workflows
from central.workflows.tariffs import Tariffs
from core.clock import ManualClock

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 08:00 WIB on a Monday
ROLES = ("officer", "supervisor", "head_of_office", "administrator")


class NameChecker:
    """A stand-in watch list: applicants whose name contains CEKAL are 'identik' hits."""

    def check(self, applicant: Mapping[str, Any], today: date) -> list[CekalHit]:
        return [CekalHit("WL-1", "identik")] if "CEKAL" in str(applicant.get("name", "")).upper() else []


@dataclass
class Office:
    clock: ManualClock
    workflows: Workflows
    clients: dict[str, TestClient] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def as_(self, role: str) -> TestClient:
        return self.clients[role]


def build_office(
    url: str, choices: Mapping[str, str] | None = None, tokens: Mapping[str, str] | None = None
) -> Office:
    """An office on ``url``; users are added unless ``tokens`` says they already exist there."""
    clock = ManualClock(T0)
    store = Store(url, create=tokens is None)  # a copied template is already migrated
    central = Central(store, clock=clock)
    workflows = Workflows(store, clock, Catalogue.load(choices=choices), Tariffs.load(), cekal=NameChecker())
    app = create_app(central)
    install(app, workflows)
    office = Office(clock, workflows)
    for role in ROLES:
        if tokens is None:
            add_user(store, f"u-{role}", "correct horse battery", role, now=clock.now())
            token = issue_api_token(store, f"u-{role}", now=clock.now())
        else:
            token = tokens[role]
        office.tokens[role] = token
        office.clients[role] = TestClient(app, headers={"authorization": f"Bearer {token}"})
    return office


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """One migrated SQLite file with the users, copied per test (argon2 hashing is slow on purpose)."""
    path = tmp_path_factory.mktemp("template") / "central.db"
    office = build_office(f"sqlite:///{path}")
    office.workflows.store.close()
    return path, office.tokens


@pytest.fixture
def office(tmp_path: Path, template: tuple[Path, dict[str, str]]) -> Iterator[Office]:
    path, tokens = template
    shutil.copy(path, tmp_path / "central.db")
    o = build_office(f"sqlite:///{tmp_path / 'central.db'}", tokens=tokens)
    yield o
    o.workflows.store.close()
