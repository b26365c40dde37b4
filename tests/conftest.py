"""Shared fixtures: a real Mosquitto, a temporary SQLite database, PostgreSQL when reachable.

Real parts, not mocks: the broker fixture starts Debian's ``mosquitto`` on a free loopback port with a
generated config; tests never depend on a broker or database that happens to run on the machine, except
PostgreSQL, which is used when reachable (``PG_DSN`` or ``postgresql://postgres@127.0.0.1/``) and
skipped with a visible reason otherwise.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from emulator.broker import BrokerConfig, BrokerError, MosquittoBroker

# CI runs the same examples every time: a property that fails shows up on every run, not one run in five.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

DEFAULT_PG_DSN = "postgresql://postgres@127.0.0.1/postgres"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(autouse=True)
def _no_stream_handler_left() -> Iterator[None]:
    """A CLI under test (``central.logs.configure``, ``logging.basicConfig``) puts a StreamHandler on
    the root logger, writing to that test's captured stderr, which pytest closes afterwards; later
    tests' logs then fail with "I/O operation on closed file". Take off the stream handlers a test added
    (pytest's own capture handlers are left to pytest) and put the root level back."""
    root = logging.getLogger()
    before, level = set(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in before and type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A fresh Mosquitto on a free loopback port (anonymous, persistent); stopped after the test."""
    try:
        broker = MosquittoBroker(tmp_path / "broker", BrokerConfig()).start()
    except BrokerError as exc:
        pytest.fail(str(exc))
    try:
        yield broker
    finally:
        broker.kill()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An SQLAlchemy URL of an empty SQLite file in the test's temporary folder."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """An SQLAlchemy URL of a fresh, empty PostgreSQL database; skipped when no server is reachable."""
    dsn = os.environ.get("PG_DSN", DEFAULT_PG_DSN)
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        pytest.skip("psycopg is not installed")
    name = f"imigrasi_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL not reachable at {dsn} ({exc.__class__.__name__}); set PG_DSN to test it")
    base = dsn.rsplit("/", 1)[0]
    try:
        yield f"postgresql+psycopg://{base.split('://', 1)[1]}/{name}"
    finally:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test on SQLite and on PostgreSQL (the latter skipped when unreachable)."""
    if request.param == "sqlite":
        url: str = request.getfixturevalue("sqlite_url")
    else:
        url = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def artifacts_dir(request: pytest.FixtureRequest) -> Path:
    """``test-artifacts/<test name>/``: screenshots and reports a person can look at after a run."""
    folder: Path = ARTIFACTS / str(request.node.name).replace("/", "_")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium as root in a sandbox with no network: these flags keep it from phoning home (which this
# machine refuses, many times a second) and from needing a GPU or a user namespace.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium (Playwright driving Debian's ``chromium``) per test module.

    Not per session: Playwright's sync API keeps an asyncio loop running in this thread while it is open,
    and later tests that call ``asyncio.run`` would fail."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/ensure-system-packages does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def browser_page(browser: Any, artifacts_dir: Path, *, width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A fresh page in its own browser context; a full-page screenshot of its end goes to the artifacts."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        page.screenshot(path=str(artifacts_dir / "last.png"), full_page=True)
        context.close()


@pytest.fixture(scope="session")
def face_pipeline() -> Any:
    """The real face pipeline (prepared, checksummed ONNX models), loaded once per test session."""
    from models import FacePipeline

    return FacePipeline.load()
