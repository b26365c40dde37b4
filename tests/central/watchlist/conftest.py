"""Watch-list fixtures: the central fixtures on SQLite and PostgreSQL, a signing key, the service and an
app with the watch-list routes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from central.app import create_app
from central.service import Central
from central.store import Store
from central.watchlist import WatchlistService
from central.watchlist import api as wl_api
from central.watchlist import pages as wl_pages

HEADER = (
    "entry_id,list,full_name,aliases,birth_date,nationality,sex,document_numbers,valid_from,valid_until,"
    "agency,reason,instructions\n"
)
GOOD_ROWS = (
    "c-001,pencegahan,BUDI SANTOSO,BUDI S,1980-05-17,IDN,M,B1234567,,,KPK,korupsi,tahan dan serahkan ke KPK\n"
    "c-002,penangkalan,JOHN SMITH,,1975,GBR,M,,2026-01-01,,Interpol,red notice,hubungi NCB\n"
    "c-003,pencegahan,SITI AMINAH,,1990-02-03,IDN,F,,,,Kejaksaan,pidana,tahan\n"
)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    yield s
    s.close()


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

