"""Watch-list fixtures: the central fixtures on SQLite and PostgreSQL, a signing key, the service and an
app with the watch-list routes."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from central import auth
from central.app import create_app
from central.service import Central
from central.store import Store
from central.watchlist import WatchlistService
from central.watchlist import api as wl_api
from central.watchlist import pages as wl_pages
from core.clock import ManualClock
from tests.conftest import DEFAULT_PG_DSN

HEADER = (
    "entry_id,list,full_name,aliases,birth_date,nationality,sex,document_numbers,valid_from,valid_until,"
    "agency,reason,instructions\n"
)
GOOD_ROWS = (
    "c-001,pencegahan,BUDI SANTOSO,BUDI S,1980-05-17,IDN,M,B1234567,,,KPK,korupsi,tahan dan serahkan ke KPK\n"
    "c-002,penangkalan,JOHN SMITH,,1975,GBR,M,,2026-01-01,,Interpol,red notice,hubungi NCB\n"
    "c-003,pencegahan,SITI AMINAH,,1990-02-03,IDN,F,,,,Kejaksaan,pidana,tahan\n"
)


ROLES = ("officer", "supervisor", "head_of_office", "administrator")
PASSWORD = "a long enough password"


def _users(store: Store) -> dict[str, str]:
    now = ManualClock().now()
    out = {}
    for role in ROLES:
        name = role.replace("_", "-")
        auth.add_user(store, name, PASSWORD, role, now=now, language="en")
        out[role] = auth.issue_api_token(store, name, now=now)
    return out


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """One migrated SQLite file with a user per role, copied per test (migrating and argon2 are slow)."""
    path = tmp_path_factory.mktemp("wl-template") / "central.db"
    store = Store(f"sqlite:///{path}")
    tokens = _users(store)
    store.close()
    return path, tokens


@pytest.fixture(scope="session")
def pg_template() -> Iterator[tuple[str, str, dict[str, str]]]:
    """The same on PostgreSQL: a migrated database used as ``CREATE DATABASE ... TEMPLATE``."""
    dsn = os.environ.get("PG_DSN", DEFAULT_PG_DSN)
    name = f"imigrasi_wltpl_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL not reachable at {dsn} ({exc.__class__.__name__}); set PG_DSN to test it")
    base = dsn.rsplit("/", 1)[0].split("://", 1)[1]
    store = Store(f"postgresql+psycopg://{base}/{name}")
    tokens = _users(store)
    store.close()
    try:
        yield dsn, name, tokens
    finally:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A migrated database with users (URL, bearer token per role): SQLite, and PostgreSQL when reachable."""
    if request.param == "sqlite":
        path, tokens = request.getfixturevalue("sqlite_template")
        shutil.copy(path, tmp_path / "central.db")
        yield f"sqlite:///{tmp_path / 'central.db'}", tokens
        return
    dsn, template, tokens = request.getfixturevalue("pg_template")
    name = f"imigrasi_wl_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield f"postgresql+psycopg://{dsn.rsplit('/', 1)[0].split('://', 1)[1]}/{name}", tokens
    finally:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def store(database: tuple[str, dict[str, str]]) -> Iterator[Store]:
    s = Store(database[0], create=False)
    yield s
    s.close()


@pytest.fixture
def central(store: Store, clock: ManualClock) -> Central:
    return Central(store, clock=clock)


@pytest.fixture
def tokens(database: tuple[str, dict[str, str]]) -> dict[str, str]:
    return database[1]


def bearer(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def service(central: Central, key: Ed25519PrivateKey) -> WatchlistService:
    return WatchlistService(central.store, central.clock, key)


@pytest.fixture
def client(central: Central, service: WatchlistService) -> Iterator[TestClient]:
    app = create_app(central)
    app.include_router(wl_api.router)
    app.include_router(wl_pages.router)
    wl_api.install(app, service)
    with TestClient(app) as c:
        yield c
