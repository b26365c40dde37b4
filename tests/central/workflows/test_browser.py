"""The officers' screens in headless Chromium: an officer logs in, opens the counter queue, opens a
case, approves its step and sees the approval in the case history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from central.app import create_app
from central.auth import add_user
from central.server import BackgroundServer
from central.service import Central
from central.store import Store
from central.workflows.api import install
from central.workflows.definitions import Catalogue
from central.workflows.engine import Workflows
from central.workflows.tariffs import Tariffs
from core.clock import ManualClock
from tests.central.workflows.conftest import T0
from tests.conftest import browser_page

pytestmark = pytest.mark.browser
PASSWORD = "counter officer password"


@pytest.fixture
def office(sqlite_url: str) -> Iterator[tuple[Workflows, str]]:
    clock = ManualClock(T0)
    store = Store(sqlite_url)
    central = Central(store, clock=clock)
    add_user(store, "andi", PASSWORD, "officer", now=clock.now(), language="en")
    workflows = Workflows(store, clock, Catalogue.load(), Tariffs.load())
    app = create_app(central)
    install(app, workflows)
    server = BackgroundServer(app).start()
    try:
        yield workflows, server.url
    finally:
        server.stop()
        store.close()


@pytest.fixture
def page(browser: Any, artifacts_dir: Path) -> Iterator[object]:
    with browser_page(browser, artifacts_dir) as page:
        yield page


def test_an_officer_approves_a_step_from_the_queue_and_sees_it_in_the_history(
    office: tuple[Workflows, str], page: object, artifacts_dir: Path
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    workflows, url = office
    case = workflows.open_case(
        {"name": "Maria Schmidt", "passport_no": "C01X00T47"}, by="kiosk-01", sop_id="SOP-000"
    )
    page.goto(f"{url}/workflows/queue")
    page.fill("input[name=username]", "andi")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".lanes")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "1-queues.png"), full_page=True)

    page.click("a[href='/workflows/queue/counter']")
    row = page.locator("#queue tr.task", has_text="Maria Schmidt")
    expect(row.locator(".sla")).to_have_text("on time")
    page.screenshot(path=str(artifacts_dir / "2-counter-queue.png"), full_page=True)

    row.locator("a").click()
    expect(page.locator("h1")).to_contain_text(case["application_no"])
    page.click("button.approve")
    expect(page.locator("p.ok")).to_have_text("Action recorded.")
    history = page.locator("#history tr.transition", has_text="andi")
    expect(history).to_contain_text("SOP-000 step 1 → 2")
    expect(history).to_contain_text("approve")
    page.screenshot(path=str(artifacts_dir / "3-case-after-approval.png"), full_page=True)
    assert workflows.case(case["case_id"])["current_step"] == "2"
