"""The officer's journeys in headless Chromium: the counter as ``python -m counter run`` builds it, on the
emulated board, against a real central (uvicorn, SQLite, workflows, MQTT ingest) and a real Mosquitto.

Each journey saves screenshots and the station's per-step time report (``/api/report``, the SOP
standards beside the measured times) under ``test-artifacts/<test>/``.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from playwright.sync_api import Browser, Page, expect

from central.server import BackgroundServer, free_port
from central.store import Store
from central.workflows.definitions import Catalogue
from central.workflows.engine import Workflows
from central.workflows.tariffs import Tariffs as CentralTariffs
from core.clock import SystemClock, local_date
from core.documents import TravelDocument
from core.watchlist import Snapshot, sign_snapshot
from counter.config import load_config
from counter.runtime import CounterRuntime, build
from emulator.broker import MosquittoBroker
from emulator.devices.board import FACES
from hal.backend import reset_emulated
from models.pipeline import FacePipeline
from tests.counter.conftest import ENTRIES, TARIFFS
from tests.live_central import CentralUnderTest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
BOARD = REPO / "hal" / "boards" / "emulated-kiosk.toml"
# The station runs on the system clock, as in an office, and counts days in the office's zone (WIB), as
# central does: between 17:00 and 24:00 UTC that is a day after the UTC date.
TODAY = local_date(SystemClock())
RESIDENT = TravelDocument(
    document_code="P",
    issuing_state="AUS",
    surname="CITIZEN",
    given_names="JANE",
    document_number="PA1234567",
    nationality="AUS",
    birth_date=date(1985, 6, 1),
    sex="F",
    expiry_date=date(2034, 4, 11),
)
LISTED = dataclasses.replace(
    RESIDENT,
    issuing_state="RUS",
    nationality="RUS",
    surname="PETROV",
    given_names="VIKTOR",
    document_number="RU7654321",
    birth_date=date(1975, 3, 14),
    sex="M",
)
T = TypeVar("T")


def eventually(what: str, probe: Callable[[], T | None], timeout: float = 20.0) -> T:
    """Poll real components (broker, ingest, HTTP) until ``probe`` answers; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        answer = probe()
        if answer:
            return answer
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout} s")
        time.sleep(0.1)


class Office(CentralUnderTest):
    """The live central of the counter journeys, with a look at the crossings it stored."""

    def crossings(self, document_number: str) -> list[dict[str, Any]]:
        return list(self.store.crossings(document_number=document_number))


@pytest.fixture
def office_down(
    tmp_path: Path, office_template: tuple[Path, str], mosquitto: MosquittoBroker
) -> Iterator[Office]:
    """Central's store (with an officer and the officer's token) and port, not yet serving."""
    template, token = office_template
    shutil.copy(template, tmp_path / "central.db")
    store = Store(f"sqlite:///{tmp_path / 'central.db'}", create=False)
    workflows = Workflows(store, SystemClock(), Catalogue.load(), CentralTariffs.load())
    office = Office(store, workflows, token, free_port(), mosquitto.url)
    yield office
    office.stop()
    store.close()


@pytest.fixture
def office(office_down: Office) -> Office:
    office_down.start()
    return office_down


def write_station(folder: Path, office: Office) -> Path:
    """A counter.toml as an office writes it: the emulated board, the broker, central, a signed list."""
    key = Ed25519PrivateKey.generate()
    (folder / "watchlist.wls").write_bytes(sign_snapshot(Snapshot(7, ENTRIES), key))
    (folder / "watchlist.pub").write_bytes(
        key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    (folder / "counter.token").write_text(office.token)
    path = folder / "counter.toml"
    path.write_text(
        f"""
[station]
device_id = "counter-01"
site = "cgk"
listen = "127.0.0.1:0"
data_dir = "{folder / "data"}"
tariffs = "{TARIFFS}"

[board]
config = "{BOARD}"

[link]
url = "{office.broker_url}"

[central]
url = "{office.url}"
token_file = "counter.token"

[watchlist]
snapshot = "watchlist.wls"
public_key = "watchlist.pub"
""",
        encoding="utf-8",
    )
    return path


class Desk:
    """The officer at the counter's screen, and the passenger at its devices (the emulated far end)."""

    def __init__(self, runtime: CounterRuntime, page: Page, shots: Path) -> None:
        self.runtime, self.page, self.shots = runtime, page, shots
        self.far = runtime.board.far_end
        self.n = 0

    def shot(self, name: str) -> None:
        self.n += 1
        self.page.screenshot(path=str(self.shots / f"{self.n:02d}-{name}.png"), full_page=True)

    def report(self) -> dict[str, Any]:
        """The per-step times against the SOP standards, saved beside the screenshots."""
        report: dict[str, Any] = self.page.request.get(self.page.url.split("?")[0] + "api/report").json()
        (self.shots / "step-times.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
        return report

    def new(self, direction: str) -> None:
        self.page.click(f"#new-{direction}")
        expect(self.page.locator("#heading")).to_be_visible()

    def scan(self, doc: TravelDocument, **damage: Any) -> None:
        # The passenger's passport goes on the reader first: the read counts even before the click.
        self.far.mrz.present(doc, **damage)
        self.page.click("#scan")

    def permit(self, kind: str, number: str, expiry: date) -> None:
        self.page.select_option("#permit-kind", kind)
        self.page.fill("#permit-number", number)
        self.page.fill("#permit-expiry", expiry.isoformat())
        self.page.click("#permit button[type=submit]")
        expect(self.page.locator("#permit-result")).to_be_visible()

    def biometrics(self, photo: str = "person_a_1", finger: str = "jane-right-index") -> None:
        self.far.camera.present(FACES / f"{photo}.jpg")
        self.far.fingerprint.place_finger(finger)
        self.page.click("#biometrics")
        expect(self.page.locator("#face-result")).to_be_visible(timeout=30_000)

    def flight(self, code: str) -> None:
        self.page.fill("#flight-code", code)
        self.page.click("#flight button[type=submit]")

    def refer(self, reason: str, note: str) -> None:
        self.page.select_option("#refer-reason", reason)
        self.page.fill("#refer-note", note)
        self.page.click("#refer button[type=submit]")
        expect(self.page.locator("#cases")).to_be_visible()


@pytest.fixture
def desk(
    tmp_path: Path,
    office_down: Office,
    face_pipeline: FacePipeline,
    browser: Browser,
    artifacts_dir: Path,
) -> Iterator[Desk]:
    reset_emulated()
    runtime = build(
        load_config(write_station(tmp_path, office_down)), clock=SystemClock(), face_pipeline=face_pipeline
    )
    runtime.start()
    server = BackgroundServer(runtime.app).start()
    context = browser.new_context(viewport={"width": 1200, "height": 1400})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(server.url + "/")
    yield Desk(runtime, page, artifacts_dir)
    context.close()
    server.stop()
    runtime.close()


def resident_through_biometrics(desk: Desk, direction: str, permit_expiry: date) -> None:
    desk.new(direction)
    desk.scan(RESIDENT)
    expect(desk.page.locator("#passport [data-field=document_number]")).to_have_text("PA1234567")
    expect(desk.page.locator("#watchlist")).to_have_class("ok")
    desk.shot("scanned")
    desk.permit("itas", "2C11AB0001", permit_expiry)


def test_a_foreign_resident_arriving_is_stamped_and_the_crossing_reaches_central(
    desk: Desk, office: Office
) -> None:
    resident_through_biometrics(desk, "arrival", TODAY + timedelta(days=160))
    desk.biometrics()
    desk.shot("face")
    desk.flight("GA871")
    desk.page.click("#stamp")
    expect(desk.page.locator("#outcome")).to_contain_text("stamped")
    expect(desk.page.locator("#steps tr")).to_have_count(9)  # the header and all eight SOP steps
    desk.shot("stamped")
    [crossing] = eventually("the crossing in central's store", lambda: office.crossings("PA1234567"))
    assert (crossing["outcome"], crossing["device_id"]) == ("crossed", "counter-01")
    [inspection] = desk.report()["inspections"]
    assert {s["step"] for s in inspection["steps"]} >= {"scan", "list_check", "biometrics", "stamp"}
    assert all(s["standard_s"] > 0 for s in inspection["steps"])


def test_the_face_is_taken_as_the_best_frame_with_its_quality(desk: Desk, office: Office) -> None:
    resident_through_biometrics(desk, "arrival", TODAY + timedelta(days=160))
    desk.biometrics()
    [inspection] = desk.runtime.station.inspections.values()
    assert inspection.face is not None and inspection.face["mode"] == "recorded"
    assert inspection.face["quality"]["measures"]["face_count"] == 1.0


def test_an_overstay_of_12_days_is_billed_in_an_a07_case_and_then_stamped(desk: Desk, office: Office) -> None:
    resident_through_biometrics(desk, "departure", TODAY - timedelta(days=12))
    expect(desk.page.locator("#overstay")).to_contain_text("12")
    desk.shot("overstay")
    desk.refer("overstay", "settled at the counter")
    fee = 12 * office.workflows.tariffs.overstay_per_day
    expect(desk.page.locator("#cases")).to_contain_text("SOP-003-A07")
    expect(desk.page.locator("#cases")).to_contain_text(f"{fee:,}".replace(",", "."))
    desk.shot("a07-case")
    desk.biometrics()
    desk.flight("GA870")
    desk.page.click("#stamp")
    expect(desk.page.locator("#outcome")).to_contain_text("stamped")
    desk.shot("stamped")
    [case] = office.workflows.search("PA1234567")
    assert case["sop_id"] == "SOP-003-A07"
    desk.report()


def test_a_cekal_hit_alerts_the_supervisor_in_central_and_the_referral_opens_the_a03_case(
    desk: Desk, office: Office
) -> None:
    desk.new("arrival")
    desk.scan(LISTED)
    expect(desk.page.locator("#watchlist")).to_have_class("hit")
    expect(desk.page.locator("#watchlist")).to_contain_text("penangkalan")
    desk.shot("hit")
    [alert] = eventually(
        "the supervisor's alert in central", lambda: office.store.alerts(device_id="counter-01")
    )
    assert alert["kind"] == "cekal_identik"
    desk.refer("cekal", "identical to the deterrence entry")
    expect(desk.page.locator("#outcome")).to_contain_text("referred:cekal")
    desk.shot("referred")
    [case] = office.workflows.search("RU7654321")
    assert case["sop_id"] == "SOP-003-A03"
    [held] = eventually("the held crossing in central", lambda: office.crossings("RU7654321"))
    assert held["outcome"] == "held_cekal"
    desk.report()


def test_a_damaged_passport_is_typed_in_by_hand_and_the_crossing_says_so(desk: Desk, office: Office) -> None:
    desk.new("arrival")
    desk.scan(RESIDENT, missing_line=1)
    expect(desk.page.locator("#error")).to_contain_text("nine fields")
    expect(desk.page.locator("#manual-box")).to_have_attribute("open", "")
    desk.shot("reader-failed")
    fields = {
        "document_number": "PA1234567",
        "document_type": "P",
        "issuing_state": "AUS",
        "expiry_date": "2034-04-11",
        "given_names": "JANE",
        "surname": "CITIZEN",
        "sex": "F",
        "birth_date": "1985-06-01",
        "nationality": "AUS",
    }
    for name, value in fields.items():
        desk.page.fill(f"#m-{name}", value)
    desk.page.click("#manual button[type=submit]")
    expect(desk.page.locator("#passport [data-field=surname]")).to_have_text("CITIZEN")
    desk.shot("typed")
    desk.permit("itap", "ITAP-1", TODAY + timedelta(days=900))
    desk.biometrics()
    desk.flight("QZ7510")
    desk.page.click("#stamp")
    expect(desk.page.locator("#outcome")).to_contain_text("stamped")
    [crossing] = eventually("the crossing in central's store", lambda: office.crossings("PA1234567"))
    assert "manual_entry" in crossing["reason"]
    desk.report()


def test_an_offline_counter_keeps_working_and_nothing_is_lost_when_central_comes_back(
    desk: Desk, office_down: Office, mosquitto: MosquittoBroker
) -> None:
    mosquitto.stop()
    expect(desk.page.locator("#status")).to_contain_text("luring", timeout=15_000)
    resident_through_biometrics(desk, "arrival", TODAY + timedelta(days=160))
    expect(desk.page.locator("#last-movement")).to_contain_text("luring")
    desk.biometrics()
    desk.flight("GA871")
    desk.page.click("#stamp")
    expect(desk.page.locator("#outcome")).to_contain_text("stamped")
    desk.new("arrival")
    desk.scan(dataclasses.replace(RESIDENT, document_number="PB1111111", given_names="JOHN"))
    desk.refer("refusal", "no return ticket")
    expect(desk.page.locator("#cases")).to_contain_text("queued")
    expect(desk.page.locator("#status")).to_contain_text("outbox 2")
    desk.shot("offline")
    assert len(desk.runtime.station.pending) == 1

    mosquitto.start()
    office_down.start()
    eventually(
        "both crossings in central",
        lambda: office_down.crossings("PA1234567") and office_down.crossings("PB1111111"),
        timeout=30,
    )
    eventually(
        "the queued A05 case in central", lambda: office_down.workflows.search("PB1111111"), timeout=30
    )
    eventually("an empty outbox", lambda: desk.runtime.outbox.depth() == 0 or None, timeout=30)
    expect(desk.page.locator("#status")).to_contain_text("daring", timeout=15_000)
    desk.shot("recovered")
    assert len(desk.runtime.station.pending) == 0
    desk.report()
