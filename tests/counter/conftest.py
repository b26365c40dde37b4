"""A counter station on a manual clock, a real outbox, and a real central (workflows) in-process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from central.app import create_app
from central.auth import add_user, issue_api_token
from central.service import Central
from central.store import Store
from central.workflows.api import install
from central.workflows.definitions import Catalogue
from central.workflows.engine import Workflows
from central.workflows.tariffs import Tariffs as CentralTariffs
from core.clock import ManualClock
from core.documents import TravelDocument
from core.watchlist import PartialDate, WatchlistEntry, WatchlistIndex
from counter.central_client import CentralClient, PendingCases
from counter.permits import Tariffs
from counter.station import CounterStation
from edge.codec import decode_ack
from edge.outbox import Outbox
from edge.publisher import EventPublisher

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 08:00 WIB
TODAY = date(2026, 11, 23)
TARIFFS = Path(__file__).resolve().parents[2] / "central" / "workflows" / "tariffs.example.toml"

ENTRIES = (
    WatchlistEntry(
        entry_id="WL-TANGKAL-1",
        list="penangkalan",
        full_name="VIKTOR PETROV",
        birth_date=PartialDate(1975, 3, 14),
        nationality="RUS",
        sex="M",
        document_numbers=("RU7654321",),
        agency="Direktorat Jenderal Imigrasi",
        reason="deterrence",
        instructions="Secure the person; contact Inteldakim",
    ),
    WatchlistEntry(
        entry_id="SLTD-1",
        list="interpol",
        full_name="ANNA MUELLER",
        birth_date=PartialDate(1990, 1, 2),
        nationality="D",
        sex="F",
        document_numbers=("C01X00T47",),
        agency="NCB Interpol Jakarta",
        reason="stolen document",
        instructions="Retain the document; call NCB",
    ),
)


class OfflineLink:
    """A link that never connects: the station must keep everything in its outbox."""

    is_connected = False

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> bool:
        return False

    def subscribe(self, topic: str, handler: Callable[[str, bytes], None], *, qos: int = 1) -> None:
        return None


def passport(
    *,
    number: str = "PA1234567",
    nationality: str = "AUS",
    surname: str = "CITIZEN",
    given: str = "JANE",
    birth: date = date(1985, 6, 1),
    sex: str = "F",
    expiry: date = date(2030, 1, 1),
) -> TravelDocument:
    return TravelDocument(
        document_code="P",
        issuing_state=nationality,
        surname=surname,
        given_names=given,
        document_number=number,
        nationality=nationality,
        birth_date=birth,
        sex=sex,
        expiry_date=expiry,
    )


@dataclass
class Office:
    app: TestClient
    workflows: Workflows
    central: Central
    token: str


@pytest.fixture(scope="session")
def office_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One migrated central database with an officer, copied per test (argon2 is slow on purpose)."""
    path = tmp_path_factory.mktemp("central") / "central.db"
    store = Store(f"sqlite:///{path}")
    add_user(store, "officer-1", "correct horse battery", "officer", now=T0)
    add_user(store, "supervisor-1", "correct horse battery", "supervisor", now=T0)
    token = issue_api_token(store, "officer-1", now=T0)
    store.close()
    return path, token


@pytest.fixture
def office(tmp_path: Path, office_template: tuple[Path, str]) -> Iterator[Office]:
    import shutil

    path, token = office_template
    copy = tmp_path / "central.db"
    shutil.copy(path, copy)
    clock = ManualClock(T0)
    store = Store(f"sqlite:///{copy}", create=False)
    central = Central(store, clock=clock)
    workflows = Workflows(store, clock, Catalogue.load(), CentralTariffs.load())
    app = create_app(central)
    install(app, workflows)
    with TestClient(app) as client:
        yield Office(client, workflows, central, token)
    store.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.db")
    yield box
    box.close()


@pytest.fixture
def station(tmp_path: Path, clock: ManualClock, outbox: Outbox, office: Office) -> CounterStation:
    publisher = EventPublisher(outbox, OfflineLink(), ack_topic="ack", decode_ack=decode_ack, clock=clock)
    return CounterStation(
        device_id="counter-01",
        site="cgk",
        clock=clock,
        index=WatchlistIndex.build(ENTRIES),
        list_version=7,
        publisher=publisher,
        central=CentralClient("http://central", office.token, http=office.app),
        pending=PendingCases(tmp_path / "pending.jsonl"),
        tariffs=Tariffs.load(TARIFFS),
        today=lambda: TODAY,
    )


FORM_TODAY_PERMIT = {
    "document_number": "PA1234567",
    "document_type": "P",
    "issuing_state": "AUS",
    "expiry_date": "2030-01-01",
    "given_names": "JANE",
    "surname": "CITIZEN",
    "sex": "F",
    "birth_date": "1985-06-01",
    "nationality": "AUS",
}
