"""The CCTV alarm page (``/cctv``) in headless Chromium: the queue with the snapshot beside the reference,
the SOP-003-D05 step timers, the officer's dismissal recorded with who did it, and the roles."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central import auth
from central.app import create_app
from central.cctv.desk import CctvDesk
from central.server import BackgroundServer
from central.service import Central
from central.store import Store
from core.clock import ManualClock
from core.wire.cctv import CctvFaceAlarm
from tests.cctv.video import FACES
from tests.conftest import browser_page

pytestmark = pytest.mark.browser
PASSWORD = "monitoring station password"
# Credited fixture photos (fixtures/faces/CREDITS.md): the gallery holds one, the camera saw the other.
REFERENCE = FACES / "person_a_1.jpg"
SNAPSHOT = FACES / "person_a_2.jpg"


@dataclass
class Site:
    central: Central
    desk: CctvDesk
    clock: ManualClock
    url: str
    entry_id: str

    def alarm(self, track_id: int = 1) -> str:
        """A watcher's alarm arriving at the desk, as the ingest and the API record it."""
        alarm = CctvFaceAlarm(
            device_id="cctv-t2-01",
            ts=self.clock.now(),
            entry_id=self.entry_id,
            watchlist_id="W-0001",
            label="listed person A",
            score=0.712,
            threshold=0.363,
            track_id=track_id,
            snapshot_jpeg=SNAPSHOT.read_bytes(),
        )
        row, is_new = self.desk.record_alarm(alarm)
        assert is_new
        return str(row["alarm_id"])


@pytest.fixture
def site(sqlite_url: str) -> Iterator[Site]:
    clock = ManualClock()
    store = Store(sqlite_url)
    central = Central(store, clock=clock)
    for name, role in (("budi", "officer"), ("sari", "supervisor"), ("adi", "administrator")):
        auth.add_user(store, name, PASSWORD, role, now=clock.now(), language="en")
    desk = CctvDesk(store, clock, Ed25519PrivateKey.generate())
    entry = desk.add_entry(
        "listed person A", [b"template"], by="sari", watchlist_id="W-0001", photos=[REFERENCE.read_bytes()]
    )
    app = create_app(central)
    app.state.cctv = desk
    server = BackgroundServer(app).start()
    try:
        yield Site(central, desk, clock, server.url, str(entry["entry_id"]))
    finally:
        server.stop()
        store.close()


@pytest.fixture
def page(browser: Any, artifacts_dir: Path) -> Iterator[Any]:
    with browser_page(browser, artifacts_dir) as page:
        yield page


def log_in(page: Any, url: str, name: str, target: str = "/cctv") -> None:
    page.goto(f"{url}/login?next={target}")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def loaded(page: Any, selector: str) -> bool:
    width = page.eval_on_selector(selector, "img => img.complete ? img.naturalWidth : 0")
    return isinstance(width, int) and width > 0


def test_an_officer_sees_the_snapshot_beside_the_reference_and_dismisses_the_alarm(
    site: Site, page: Any, artifacts_dir: Path
) -> None:
    from playwright.sync_api import expect

    log_in(page, site.url, "budi")
    expect(page.locator("h1")).to_have_text("CCTV face-recognition alarms")
    expect(page.locator(".cctv-none")).to_be_visible()
    assert page.locator("header a[href='/cctv']").count() == 1

    alarm_id = site.alarm()
    page.reload()
    card = page.locator(f"#alarm-{alarm_id}")
    expect(card).to_be_visible()
    page.wait_for_function(
        f"""() => ['snapshot', 'reference'].every(c => {{
              const img = document.querySelector('#alarm-{alarm_id} img.' + c);
              return img && img.complete && img.naturalWidth > 0; }})"""
    )
    assert loaded(page, f"#alarm-{alarm_id} img.snapshot") and loaded(
        page, f"#alarm-{alarm_id} img.reference"
    )
    # Side by side: the same row, the snapshot first.
    snap = card.locator("img.snapshot").bounding_box()
    ref = card.locator("img.reference").bounding_box()
    assert snap is not None and ref is not None
    assert snap["x"] + snap["width"] <= ref["x"] and abs(snap["y"] - ref["y"]) < 5
    expect(card.locator(".score")).to_contain_text("0.712")
    expect(card.locator(".camera")).to_have_text("cctv-t2-01")
    expect(card.locator(".time")).to_have_text(f"{site.clock.now():%Y-%m-%d %H:%M:%S} UTC")
    # SOP-003-D05 step 3: the officer examines the passenger within 5 min.
    expect(card.locator(".step")).to_contain_text("Step 3: examine the passenger")
    expect(card.locator(".step")).to_contain_text("SOP standard 5 min")
    expect(card.locator(".overdue-flag")).to_have_count(0)
    page.screenshot(path=str(artifacts_dir / "1-alarm-queue.png"), full_page=True)

    site.clock.advance(6 * 60)  # past the 5 minutes of step 3
    page.reload()
    expect(card.locator(".overdue-flag")).to_have_text("OVERDUE")
    expect(card.locator(".timer b")).to_have_text("6:00")
    page.screenshot(path=str(artifacts_dir / "2-overdue.png"), full_page=True)

    card.locator("input[name=reason]").fill("a different man altogether")
    card.locator("button.dismiss").click()
    expect(page.locator(f"#alarm-{alarm_id}")).to_have_count(0)
    closed = page.locator(f"#closed-{alarm_id}")
    expect(closed.locator(".status")).to_have_text("dismissed")
    expect(closed.locator(".by")).to_have_text("budi")
    page.screenshot(path=str(artifacts_dir / "3-dismissed.png"), full_page=True)

    stored = site.desk.alarm(alarm_id)
    assert stored["status"] == "dismissed"
    assert (stored["steps"]["dismissed"]["by"], stored["steps"]["dismissed"]["notes"]) == (
        "budi",
        "a different man altogether",
    )
    assert any(
        (a["actor"], a["action"], a["target"]) == ("budi", "cctv.alarm.dismissed", alarm_id)
        for a in site.central.store.audit_trail()
    )


def test_a_supervisor_takes_an_alarm_through_every_sop_step_to_the_incident_report(
    site: Site, page: Any, artifacts_dir: Path
) -> None:
    from playwright.sync_api import expect

    alarm_id = site.alarm()
    log_in(page, site.url, "sari")
    card = page.locator(f"#alarm-{alarm_id}")
    card.locator("button.examine").click()
    expect(card.locator(".step")).to_contain_text("Step 4: report to the supervisor")
    card.locator("button.report").click()
    expect(card.locator(".step")).to_contain_text("Step 5: confirm the identity")
    expect(card.locator(".step")).to_contain_text("10–15 min")
    site.clock.advance(11 * 60)  # SOP-003-D05 step 5: warning after 10 min, overdue after 15
    page.reload()
    expect(card.locator(".warning-flag")).to_have_text("almost due")
    card.locator("button.identical").click()
    expect(card.locator(".step")).to_contain_text("Step 6: hold and incident report")
    card.locator("textarea[name=summary]").fill("passenger held at T2, passport retained")
    card.locator("button.incident").click()
    expect(page.locator(f"#closed-{alarm_id} .status")).to_have_text("closed")
    page.screenshot(path=str(artifacts_dir / "incident.png"), full_page=True)

    stored = site.desk.alarm(alarm_id)
    assert [stored["steps"][s]["by"] for s in ("examined", "reported", "decided", "incident")] == ["sari"] * 4
    assert stored["steps"]["decided"]["identical"] is True
    report = next(r for r in site.central.store.incident_reports() if r["report_id"] == stored["report_id"])
    assert (report["kind"], report["fields"]["cctv_alarm_id"]) == ("cctv", alarm_id)
    expect(page.locator(f"#closed-{alarm_id} a[href='/incidents']")).to_have_text(f"#{stored['report_id']}")


def test_an_officer_may_not_decide_identity(site: Site, page: Any) -> None:
    from playwright.sync_api import expect

    alarm_id = site.alarm()
    site.desk.examine(alarm_id, by="budi")
    site.desk.report(alarm_id, by="budi")
    log_in(page, site.url, "budi")
    card = page.locator(f"#alarm-{alarm_id}")
    expect(card.locator(".actions")).to_contain_text("Identity decision by a supervisor / section head")
    assert card.locator("button.identical").count() == 0
    csrf = page.get_attribute("meta[name=csrf-token]", "content")
    response = page.request.post(
        f"{site.url}/cctv/alarms/{alarm_id}/decide", form={"csrf_token": csrf, "identical": "no"}
    )
    assert response.status == 403
    assert site.desk.alarm(alarm_id)["status"] == "reported"


def test_an_account_without_a_monitoring_role_can_neither_see_nor_act(
    site: Site, page: Any, artifacts_dir: Path
) -> None:
    alarm_id = site.alarm()
    log_in(page, site.url, "adi", target="/")
    page.wait_for_url(f"{site.url}/")
    assert page.locator("header a[href='/cctv']").count() == 0
    csrf = page.get_attribute("meta[name=csrf-token]", "content")
    assert csrf
    response = page.goto(f"{site.url}/cctv")
    assert response is not None and response.status == 403
    assert "listed person A" not in page.content()
    page.screenshot(path=str(artifacts_dir / "refused.png"))
    for image in ("snapshot", "reference"):
        assert page.request.get(f"{site.url}/cctv/alarms/{alarm_id}/{image}.jpg").status == 403
    response = page.request.post(
        f"{site.url}/cctv/alarms/{alarm_id}/dismiss", form={"csrf_token": csrf, "reason": "not mine"}
    )
    assert response.status == 403
    assert site.desk.alarm(alarm_id)["status"] == "raised"


def test_a_form_without_its_csrf_token_is_refused(site: Site, page: Any) -> None:
    alarm_id = site.alarm()
    log_in(page, site.url, "budi")
    response = page.request.post(f"{site.url}/cctv/alarms/{alarm_id}/dismiss", form={"reason": "forged"})
    assert response.status == 403
    assert site.desk.alarm(alarm_id)["status"] == "raised"


def test_the_page_is_in_bahasa_indonesia_by_choice(site: Site, page: Any) -> None:
    from playwright.sync_api import expect

    site.alarm()
    log_in(page, site.url, "budi")
    page.click("a[href='/lang/id']")
    expect(page.locator("h1")).to_have_text("Alarm CCTV pengenalan wajah")
    expect(page.locator(".cctv-alarm .step")).to_contain_text("Langkah 3: periksa penumpang")
