"""The dashboard in headless Chromium, end to end through a real Mosquitto.

A supervisor logs in, sees an emulated gate come online, receives a cekal alert with the captured face,
releases the held passenger, and sees the gate act on it (SOP-003-A08 step 4 and SOP-003-A03).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from central import auth, devices
from central.app import create_app
from central.ingest import Ingest
from central.server import BackgroundServer
from central.service import Central
from central.store import Store
from emulator.broker import MosquittoBroker
from tests.central.peer_gate import PeerGate
from tests.conftest import browser_page

pytestmark = pytest.mark.browser
PASSWORD = "control room password"
FACE = (
    Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "faces" / "person_a_1.jpg"
)  # credits: fixtures/faces/CREDITS.md


@pytest.fixture
def site(sqlite_url: str, mosquitto: MosquittoBroker) -> Iterator[tuple[Central, str]]:
    store = Store(sqlite_url)
    central = Central(store)
    auth.add_user(store, "sari", PASSWORD, "supervisor", now=central.clock.now(), language="en")
    devices.add_device(
        store, "gate-01", kind="gate", site="cgk", lane="1", direction="departure", now=central.clock.now()
    )
    ingest = Ingest(central, mosquitto.url, max_delay=0.01).start()
    server = BackgroundServer(create_app(central)).start()
    try:
        yield central, server.url
    finally:
        server.stop()
        ingest.stop()
        store.close()


@pytest.fixture
def page(browser: Any, artifacts_dir: Path) -> Iterator[object]:
    with browser_page(browser, artifacts_dir, height=800) as page:
        yield page


def test_a_supervisor_releases_a_passenger_held_by_a_cekal_hit(
    site: tuple[Central, str], page: object, mosquitto: MosquittoBroker, artifacts_dir: Path
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    central, url = site
    page.goto(f"{url}/")
    page.fill("input[name=username]", "sari")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#tiles")).to_be_visible()
    page.wait_for_selector("#dashboard[data-live=yes]")

    gate = PeerGate(mosquitto.host, mosquitto.port)
    try:
        gate.status(lane_state="awaiting_document")
        tile = page.locator("#tile-gate-01")
        expect(tile.locator(".online-flag")).to_have_text("online")
        page.screenshot(path=str(artifacts_dir / "1-gate-online.png"))

        alarm = gate.cekal_alarm(snapshot=FACE.read_bytes())
        gate.publish(alarm)
        gate.status(lane_state="held_cekal", passenger_inside=True, entry_door=gate_locked())
        card = page.locator(".alert.cekal_identik")
        expect(card).to_contain_text("PCG-2026-0042")
        expect(card.locator(".instructions")).to_contain_text("KPK")
        expect(card.locator("img.face")).to_be_visible()
        page.wait_for_function("() => document.querySelector('.alert img.face').naturalWidth > 0")
        expect(tile.locator(".inside")).to_contain_text("passenger inside")
        page.screenshot(path=str(artifacts_dir / "2-cekal-alert.png"))

        card.locator("button.release_passenger").click()
        expect(page.locator("#commands .command").first).to_have_attribute("data-state", "acknowledged")
        expect(tile.locator(".doors")).to_contain_text("entry: opened")
        expect(tile.locator(".lane-state")).to_have_text("released")
        page.screenshot(path=str(artifacts_dir / "3-released.png"))
        # A tablet held upright: one column, nothing wider than the screen.
        page.set_viewport_size({"width": 800, "height": 1280})
        assert page.evaluate("document.documentElement.scrollWidth") <= 800
        page.screenshot(path=str(artifacts_dir / "4-tablet.png"), full_page=True)
    finally:
        gate.close()
    (command,) = central.store.commands()
    assert (command["action"], command["issued_by"], command["state"]) == (
        "release_passenger",
        "sari",
        "acknowledged",
    )
    assert gate.commands[0].in_reply_to == alarm.event_id


def gate_locked() -> object:
    from core.wire import DoorState

    return DoorState.LOCKED
