"""The kiosk's journeys in headless Chromium, against a real central, broker and the emulated board.

Every screen a journey passes is photographed into ``test-artifacts/<test>/`` (``Lobby.shot``);
``test_every_screen_of_the_kiosk_is_in_the_artifacts`` checks that together they cover every template.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

import edge.outbox
from central.auth import add_user, issue_api_token
from central.server import BackgroundServer
from core import wire
from core.documents import TravelDocument
from core.wire import KioskApplication
from emulator.devices.board import FACES
from emulator.devices.printer import render_text
from kiosk.app import HERE as KIOSK_DIR
from kiosk.runtime import Kiosk
from models.pipeline import FacePipeline, Frame, read_image
from tests.kiosk.conftest import make_kiosk
from tests.live_central import CentralUnderTest

pytestmark = pytest.mark.browser
T = TypeVar("T")
TAKEN: set[str] = set()  # the screens photographed in this run (the coverage check reads it)
API = "/api/v1/workflows"
# Which template each screenshot name shows (the coverage check below reads the artifacts).
SCREENS = {
    "start": "start.html",
    "ticket-services": "services.html",
    "ticket": "ticket.html",
    "queue-display": "display.html",
    "apply-services": "services.html",
    "scan": "scan.html",
    "mrz-damaged": "scan.html",
    "form-prefilled": "form.html",
    "form-error": "form.html",
    "documents": "documents.html",
    "face-guidance": "face.html",
    "face": "face.html",
    "finger": "finger.html",
    "review": "review.html",
    "done": "done.html",
    "status": "status.html",
    "status-result": "status.html",
    "info": "info.html",
    "info-service": "info_service.html",
}

PASSPORT = TravelDocument(
    document_code="P",
    issuing_state="AUS",
    surname="CITIZEN",
    given_names="JANE",
    document_number="PA1234567",
    nationality="AUS",
    birth_date=date(1988, 4, 12),
    sex="F",
    expiry_date=date(2034, 4, 11),
)


_PIPELINE = FacePipeline.load()


def closer(photo: Path) -> Frame:
    """The applicant stepping closer: the photo cropped to the face with a third of its size around it."""
    image = read_image(photo)
    x, y, w, h = (int(v) for v in _PIPELINE.detect(image)[0].box[:4])
    m = 0.35
    crop: Frame = image[
        max(0, int(y - m * h)) : int(y + h * (1 + m)), max(0, int(x - m * w)) : int(x + w * (1 + m))
    ]
    return crop


class Lobby:
    def __init__(self, kiosk: Kiosk, page: Page, shots: Path) -> None:
        self.kiosk, self.page, self.shots = kiosk, page, shots
        self.far = kiosk.board.far_end
        self.n = 0

    def shot(self, name: str) -> None:
        assert name.split(".")[0] in SCREENS, f"add {name!r} to SCREENS"
        self.n += 1
        TAKEN.add(name.split(".")[0])
        self.page.screenshot(path=str(self.shots / f"{self.n:02d}-{name}.png"), full_page=True)

    def apply_until_form(self, doc: TravelDocument = PASSPORT, service: str = "ITK-EXT") -> None:
        page = self.page
        self.shot("start")
        page.click("#go-apply")
        self.shot("apply-services")
        page.click(f"#service-{service}")
        expect(page.locator("h1")).to_be_visible()
        self.shot("scan")
        self.far.mrz.present(doc)
        page.wait_for_url("**/apply/form")
        self.shot("form-prefilled")

    def complete(self) -> None:
        page = self.page
        page.fill("#f-sponsor", "PT Maju Jaya")
        page.select_option("#f-purpose", "bisnis")
        page.fill("#f-duration_days", "30")
        page.click("#next")
        page.wait_for_url("**/apply/documents")
        self.complete_from_documents()

    def complete_from_documents(self) -> None:
        page = self.page
        self.far.camera.present(FACES / "person_b_1.jpg")
        page.click("#photo-sponsor_letter")
        expect(page.locator("#taken-sponsor_letter")).to_be_visible()
        self.shot("documents")
        page.click("#next")
        # Standing back, the applicant is told to come closer; closer, the photo meets enrolment quality.
        expect(page.locator("#guidance")).to_contain_text("Mendekat")
        self.shot("face-guidance")
        self.far.camera.present(closer(FACES / "person_b_1.jpg"))
        expect(page.locator("#face-ok")).to_be_visible(timeout=30_000)
        self.shot("face")
        page.click("#next")
        self.far.fingerprint.place_finger("jane-right-index")
        self.shot("finger")
        page.click("#capture")
        page.wait_for_url("**/apply/review")
        self.shot("review")
        page.click("#submit")
        expect(page.locator("#done")).to_be_visible(timeout=40_000)
        self.shot("done")

    def type_on_screen(self, text: str) -> None:
        """Type with the kiosk's on-screen keyboard (it must be open, under the touched field)."""
        for char in text:
            key = "#osk-space" if char == " " else f"#osk-key-{char}"
            self.page.click(key)

    def check_status(self, number: str) -> None:
        page = self.page
        page.goto(self.base + "/status")
        self.shot("status")
        page.click("#number")
        expect(page.locator("#osk")).to_be_visible()
        self.type_on_screen(number)
        page.click("#osk-done")
        page.click("#check")
        expect(page.locator("#status-result")).to_be_visible()
        self.shot("status-result")

    @property
    def base(self) -> str:
        return self.page.url.split("/", 3)[0] + "//" + self.page.url.split("/", 3)[2]


def eventually(check: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer:
            return answer
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout} s")
        time.sleep(0.1)


@pytest.fixture
def kiosk_options(request: pytest.FixtureRequest) -> dict[str, float]:
    """Per-test kiosk settings (``parametrize(..., indirect=True)``): a short idle timeout, a short
    wait for central's ack."""
    options: dict[str, float] = getattr(request, "param", {})
    return options


@pytest.fixture
def lobby(
    tmp_path: Path,
    central_down: CentralUnderTest,
    face_pipeline: FacePipeline,
    browser: Browser,
    artifacts_dir: Path,
    kiosk_options: dict[str, float],
) -> Iterator[Lobby]:
    kiosk = make_kiosk(tmp_path, central_down, face_pipeline, **kiosk_options)
    server = BackgroundServer(kiosk.app).start()
    # An emulated touch kiosk: portrait screen, touch events, no mouse hover.
    context = browser.new_context(viewport={"width": 1080, "height": 1400}, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(server.url + "/")
    yield Lobby(kiosk, page, artifacts_dir)
    context.close()
    server.stop()
    kiosk.close()


def staff(central: CentralUnderTest) -> httpx.Client:
    """An officer's API client on the live central (the officers' workflow API)."""
    now = central.workflows.clock.now()
    add_user(central.store, "u-officer", "correct horse battery", "officer", now=now)
    token = issue_api_token(central.store, "u-officer", now=now)
    return httpx.Client(base_url=central.url, headers={"authorization": f"Bearer {token}"}, timeout=10)


def kiosk_files(kiosk: Kiosk) -> bytes:
    """Every byte the kiosk keeps on its disk (the outbox database, its WAL and anything else)."""
    root = kiosk.config.data_dir
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def windows(blob: bytes, size: int = 48) -> list[bytes]:
    """Slices of ``blob`` to look for in raw storage (a long blob spans SQLite overflow pages)."""
    return [blob[i : i + size] for i in range(0, max(len(blob) - size, 1), 256)]


# -- ticket and lobby display (SOP-004 step 1: the queue machine) ---------------------------------------


def test_a_ticket_is_printed_and_its_number_is_called_on_the_lobby_display(
    lobby: Lobby, central: CentralUnderTest
) -> None:
    page = lobby.page
    lobby.shot("start")
    page.click("#go-ticket")
    lobby.shot("ticket-services")
    page.click("#service-FASKIM")
    number = page.locator("#ticket-number").inner_text()
    lobby.shot("ticket")
    assert number in render_text(lobby.far.printer.receipts[-1])
    answer = page.request.post(lobby.base + "/api/queue/call-next", form={"counter": "3"}).json()
    assert answer["called"] == number
    page.goto(lobby.base + "/queue")
    expect(page.locator("#called")).to_contain_text(number)
    lobby.shot("queue-display")


# -- a complete application, and its status --------------------------------------------------------------


def test_a_complete_application_opens_a_case_over_mqtt_only_and_its_status_shows_what_is_needed(
    lobby: Lobby, central: CentralUnderTest
) -> None:
    lobby.apply_until_form()
    expect(lobby.page.locator("#f-name")).to_have_value("JANE CITIZEN")
    lobby.complete()
    page = lobby.page
    number = page.locator("#application-no").inner_text()
    expect(page.locator("#queued")).to_have_count(0)
    found = central.workflows.search(number)
    assert [c["application_no"] for c in found] == [number]
    assert found[0]["passport_no"] == "PA1234567"
    # SOP-003-B02 makes the billing code when the counter finishes step 1: not yet at the kiosk.
    expect(page.locator("#payment-code")).to_have_text("Kode pembayaran diberikan petugas setelah verifikasi")
    receipt = render_text(lobby.far.printer.receipts[-1])
    assert number in receipt and "ITK-EXT" in receipt and "Received by central" in receipt
    # One path: the case came from the MQTT application message; the kiosk only read its status.
    assert f"POST {API}/cases" not in central.requests
    assert central.requests, "the kiosk reads the application number from the status endpoint"
    assert all(r.startswith(f"GET {API}/cases/by-number/") for r in central.requests), central.requests
    assert not (lobby.kiosk.config.data_dir / "cases.db").exists()

    page.click("#finish")
    lobby.check_status(number)
    expect(page.locator("#status-number")).to_have_text(number)
    expect(page.locator("#status-state")).to_have_text("Sedang diproses")
    expect(page.locator("#status-step")).to_have_text("1")
    expect(page.locator("#still-needed")).to_contain_text("Tidak ada")
    # The counter (step 1, which makes the billing code) and data entry (step 2) are done; step 3
    # needs the payment: that is what the applicant is now told, with the code to pay with.
    officer = staff(central)
    for _ in range(2):
        done = officer.post(f"{API}/cases/{found[0]['case_id']}/actions", json={"action": "approve"})
        assert done.status_code == 200, done.text
    code = next(p["billing_code"] for p in done.json()["payments"] if p["paid_at"] is None)
    page.click("#check")
    expect(page.locator("#status-step")).to_have_text("3")
    expect(page.locator("#needed-payment")).to_contain_text("Pembayaran biaya layanan")
    expect(page.locator("#status-billing-code")).to_have_text(code)
    lobby.shot("status-result.payment")
    page.click("#lang")
    expect(page.locator("#status-state")).to_have_count(0)  # a new page: the answer is not kept
    page.fill("#number", number)
    page.click("#check")
    expect(page.locator("#status-state")).to_have_text("In progress")
    expect(page.locator("#needed-payment")).to_contain_text("Payment of the service fee")
    lobby.shot("status-result.en")
    # the staff search stays staff-only: the kiosk used the device-allowed status read
    kiosk_reads = [r for r in central.requests if r.startswith("GET ")]
    assert kiosk_reads and all(r.startswith(f"GET {API}/cases/by-number/") for r in kiosk_reads)


def test_an_unknown_number_gets_a_plain_answer(lobby: Lobby, central: CentralUnderTest) -> None:
    page = lobby.page
    page.goto(lobby.base + "/status")
    page.fill("#number", "20261122-99999")
    page.click("#check")
    expect(page.locator("#status-problem")).to_contain_text("tidak ditemukan")
    lobby.shot("status.unknown")


def test_a_status_check_while_central_is_away_says_so_plainly(
    lobby: Lobby, central_down: CentralUnderTest
) -> None:
    page = lobby.page
    page.goto(lobby.base + "/status")
    page.fill("#number", "20261122-00001")
    page.click("#check")
    expect(page.locator("#status-problem")).to_contain_text("tidak dapat diperiksa")
    lobby.shot("status.unavailable")


# -- central away ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kiosk_options", [{"ack_wait_s": 2}], indirect=True)
def test_an_application_made_while_central_is_down_arrives_when_it_is_back(
    lobby: Lobby, central_down: CentralUnderTest
) -> None:
    lobby.apply_until_form()
    lobby.complete()
    page = lobby.page
    expect(page.locator("#queued")).to_be_visible()
    expect(page.locator("#queued")).to_contain_text("tersimpan dengan aman di kiosk ini")
    kiosk_id = page.locator("#application-no").inner_text()
    assert kiosk_id.startswith("K-KIOSK-01-")
    assert kiosk_id in render_text(lobby.far.printer.receipts[-1])
    submitter = lobby.kiosk.submitter
    assert submitter is not None and submitter.pending() == 2  # the application and its enrolment
    central_down.start()
    submitter.retry_now()  # what the periodic replay does
    case_id = eventually(lambda: central_down.workflows.case_of_source(kiosk_id), "the case opening")
    eventually(lambda: submitter.pending() == 0, "central's ack")
    assert central_down.workflows.case(case_id)["passport_no"] == "PA1234567"
    assert f"POST {API}/cases" not in central_down.requests
    # The receipt's kiosk number is enough to ask for the status later.
    page.click("#finish")
    lobby.check_status(kiosk_id)
    expect(page.locator("#status-state")).to_have_text("Sedang diproses")
    expect(page.locator("#status-number")).to_have_text(
        central_down.workflows.case(case_id)["application_no"]
    )


@pytest.mark.xfail(
    not hasattr(edge.outbox.Outbox, "secure_delete_on"),
    reason="edge/outbox.py has no SQLite secure_delete yet: acked rows linger in free pages",
    strict=True,
)
@pytest.mark.parametrize("kiosk_options", [{"ack_wait_s": 2}], indirect=True)
def test_biometrics_and_document_images_are_gone_from_the_kiosk_once_central_acks(
    lobby: Lobby, central_down: CentralUnderTest
) -> None:
    lobby.apply_until_form()
    lobby.complete()
    submitter = lobby.kiosk.submitter
    assert submitter is not None
    # Held until central acknowledges: the outbox (public API) has the whole application.
    [message] = [
        m
        for m in (wire.decode(e.payload) for e in submitter.events.pending())
        if isinstance(m, KioskApplication)
    ]
    secrets: dict[str, bytes] = {d.name: d.data for d in message.documents}
    assert message.face_template and message.fingerprint_template
    secrets["face_template"] = message.face_template
    secrets["fingerprint_template"] = message.fingerprint_template
    assert {"sponsor_letter", "face"} <= set(secrets)
    central_down.start()
    submitter.retry_now()
    eventually(lambda: submitter.pending() == 0, "central's ack")
    assert submitter.events.secure_delete_on()
    # The raw files: found neither deleted rows (secure_delete) nor plain copies (sealed at rest).
    stored = kiosk_files(lobby.kiosk)
    left = [name for name, blob in secrets.items() if any(w in stored for w in windows(blob))]
    assert left == [], f"still on the kiosk's disk after central's ack: {left}"
    # ... nor in the session: the station wiped it at submit.
    session = lobby.kiosk.station.session
    assert (session.photos, session.face_template, session.fingerprint, session.face_photo) == (
        {},
        None,
        None,
        None,
    )


# -- cekal: flagged for officers, neutral for the applicant ------------------------------------------------


def test_a_cekal_applicant_sees_neutral_screens_while_officers_see_the_case_flagged(
    lobby: Lobby, central: CentralUnderTest
) -> None:
    doc = dataclasses.replace(PASSPORT, surname="CEKAL", document_number="PB7654321")
    lobby.apply_until_form(doc)
    lobby.complete()
    page = lobby.page
    number = page.locator("#application-no").inner_text()

    def neutral() -> None:
        text = page.locator("main").inner_text().lower()
        assert "cekal" not in text and "watch" not in text and "daftar" not in text

    neutral()
    # The officers work the case (SOP-003-B02 steps 1-5) through their API; step 6 is the automatic
    # cekal check, which holds the application and opens the linked SOP Cekal case (SOP-003-A03 @4).
    officer = staff(central)
    [found] = officer.get(f"{API}/search", params={"q": "PB7654321"}).json()
    case: dict[str, Any] = officer.get(f"{API}/cases/{found['case_id']}").json()
    assert case["applicant_name"] == "JANE CEKAL"
    while case["status"] == "open":
        if "payment" in case["step"]["requires"] and not case["paid"]:
            bill = next(p for p in case["payments"] if p["paid_at"] is None)
            paid = officer.post(
                f"{API}/cases/{case['case_id']}/payments",
                json={"amount": bill["amount"], "reference": "BANK-0001"},
            )
            assert paid.status_code == 200, paid.text
        answer = officer.post(f"{API}/cases/{case['case_id']}/actions", json={"action": "approve"})
        assert answer.status_code == 200, answer.text
        case = answer.json()
    assert (case["status"], case["current_step"]) == ("held", "6")
    assert case["data"]["cekal_hits"] == [{"entry_id": "WL-1", "verdict": "identik"}]
    [linked] = case["linked"]
    assert linked["sop_id"] == "SOP-003-A03"
    # ... and it waits in the cekal officers' work queue.
    child = officer.get(f"{API}/cases/{linked['case_id']}").json()
    queue = officer.get(f"{API}/queues/{child['step']['role']}").json()
    assert linked["application_no"] in [t["application_no"] for t in queue]
    # The applicant checking the status sees the same neutral "in progress" as anyone else.
    page.click("#finish")
    lobby.check_status(number)
    expect(page.locator("#status-state")).to_have_text("Sedang diproses")
    neutral()


# -- a damaged passport ------------------------------------------------------------------------------------


def test_a_damaged_mrz_gets_clear_guidance_and_no_form(lobby: Lobby, central: CentralUnderTest) -> None:
    page = lobby.page
    lobby.shot("start")
    page.click("#go-apply")
    lobby.shot("apply-services")
    page.click("#service-ITK-EXT")
    expect(page.locator("h1")).to_be_visible()
    lobby.shot("scan")
    lobby.far.mrz.present(PASSPORT, ocr_errors=8)
    expect(page.locator("#scan-problem")).to_be_visible()
    expect(page.locator("#scan-problem")).to_contain_text("loket")
    lobby.shot("mrz-damaged")
    assert "/apply/scan" in page.url
    page.click("#lang")
    expect(page.locator("#scan-problem")).to_contain_text("counter")
    lobby.shot("mrz-damaged.en")
    assert "/apply/scan" in page.url


# -- idle timeout, on-screen keyboard, form errors --------------------------------------------------------


@pytest.mark.parametrize("kiosk_options", [{"idle_timeout_s": 6}], indirect=True)
def test_an_idle_half_filled_application_returns_to_the_start_and_is_wiped(
    lobby: Lobby, central: CentralUnderTest
) -> None:
    page = lobby.page
    lobby.apply_until_form()
    # The applicant types the sponsor on the on-screen keyboard, then walks away.
    page.click("#f-sponsor")
    expect(page.locator("#osk")).to_be_visible()
    lobby.type_on_screen("PT MAJU")
    expect(page.locator("#f-sponsor")).to_have_value("PT MAJU")
    page.click("#osk-delete")
    page.click("#osk-delete")
    lobby.type_on_screen("AJU")
    expect(page.locator("#f-sponsor")).to_have_value("PT MAAJU")
    # The numeric field gets the digit pad.
    page.click("#f-duration_days")
    expect(page.locator("#osk")).to_have_attribute("data-mode", "numeric")
    lobby.type_on_screen("30")
    expect(page.locator("#f-duration_days")).to_have_value("30")
    lobby.shot("form-prefilled.osk")
    station = lobby.kiosk.station
    assert station.session.scan is not None and station.session.service_code == "ITK-EXT"
    # No sleeping here: the browser's own countdown (6 s of no touch) sends it home.
    page.wait_for_url(lobby.base + "/", timeout=30_000)
    lobby.shot("start.after-idle")
    html = page.content()
    for entered in ("JANE", "CITIZEN", "PA1234567", "MAAJU", "1988"):
        assert entered not in html
    s = station.session
    assert (s.service_code, s.scan, s.scan_check, s.fields, s.values) == ("", None, None, {}, {})
    # Going back does not bring the form back either.
    page.go_back()
    page.goto(lobby.base + "/apply/form")
    page.wait_for_url("**/apply")
    assert "MAAJU" not in page.content() and "JANE" not in page.content()


def test_the_server_wipes_a_session_idle_longer_than_the_timeout(
    lobby: Lobby, central: CentralUnderTest
) -> None:
    station = lobby.kiosk.station
    lobby.apply_until_form()
    assert station.session.scan is not None
    # The browser may be gone (closed tab, crashed): the server's own check wipes on the next touch.
    station.session.last_seen -= station.idle_timeout_s + 1
    s = station.touch()
    assert (s.service_code, s.scan, s.fields) == ("", None, {})


def test_a_wrong_field_is_explained_and_keeps_what_was_typed(lobby: Lobby, central: CentralUnderTest) -> None:
    page = lobby.page
    lobby.apply_until_form()
    page.fill("#f-sponsor", "PT Maju Jaya")
    page.select_option("#f-purpose", "bisnis")
    page.fill("#f-duration_days", "abc")
    page.click("#next")
    expect(page.locator("#error-duration_days")).to_be_visible()
    lobby.shot("form-error")
    expect(page.locator("#f-sponsor")).to_have_value("PT Maju Jaya")


# -- the digital receptionist ------------------------------------------------------------------------------


def test_the_receptionist_answers_in_both_languages(lobby: Lobby) -> None:
    page = lobby.page
    lobby.shot("start")
    page.click("#go-info")
    lobby.shot("info")
    expect(page.locator("main")).to_contain_text("Jam layanan")
    page.goto(lobby.base + "/info/FASKIM")
    lobby.shot("info-service")
    expect(page.locator("main")).to_contain_text("500.000")
    page.click("#lang")
    expect(page.locator("main")).to_contain_text("Requirements")
    lobby.shot("info-service.en")


# -- artifacts ---------------------------------------------------------------------------------------------


def test_every_screen_of_the_kiosk_is_in_the_artifacts() -> None:
    """Runs last in this module: the journeys above photographed every template at least once."""
    if not TAKEN:
        pytest.skip("checks the screenshots of the journeys in this module: run the whole module")
    templates = {p.name for p in (KIOSK_DIR / "templates").glob("*.html")} - {"base.html"}
    shown = {SCREENS[s] for s in TAKEN}
    assert templates - shown == set(), f"screens with no screenshot: {sorted(templates - shown)}"
