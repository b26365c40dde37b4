"""A lobby for the kiosk tests: a real central (uvicorn, SQLite, workflows, MQTT ingest) on the
``mosquitto`` fixture, the kiosk on the emulated board, and headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from central.server import free_port
from central.store import Store
from central.workflows.definitions import Catalogue
from central.workflows.engine import CekalHit, Workflows
from central.workflows.tariffs import Tariffs
from core.clock import SystemClock
from emulator.broker import MosquittoBroker
from hal.backend import reset_emulated
from kiosk.config import KioskConfig
from kiosk.runtime import Kiosk, build
from models.pipeline import FacePipeline
from tests.live_central import CentralUnderTest

REPO = Path(__file__).resolve().parents[2]
BOARD = REPO / "hal" / "boards" / "emulated-kiosk.toml"


class NameChecker:
    """A stand-in watch list (central's cekal step calls a ``CekalChecker``): names with CEKAL hit."""

    def check(self, applicant: Mapping[str, Any], today: date) -> list[CekalHit]:
        return [CekalHit("WL-1", "identik")] if "CEKAL" in str(applicant.get("name", "")).upper() else []


@pytest.fixture
def central_down(tmp_path: Path, mosquitto: MosquittoBroker) -> Iterator[CentralUnderTest]:
    """Central's store and port, not yet serving (call ``start()``)."""
    store = Store(f"sqlite:///{tmp_path / 'central.db'}")
    clock = SystemClock()
    workflows = Workflows(store, clock, Catalogue.load(), Tariffs.load(), cekal=NameChecker())
    token, _ = store.issue_token("device", now=clock.now(), device_id="kiosk-01")
    c = CentralUnderTest(store, workflows, token, free_port(), mosquitto.url)
    yield c
    c.stop()
    store.close()


@pytest.fixture
def central(central_down: CentralUnderTest) -> CentralUnderTest:
    central_down.start()
    return central_down


def make_kiosk(
    tmp_path: Path,
    central: CentralUnderTest,
    face_pipeline: FacePipeline,
    *,
    idle_timeout_s: float = 600,
    ack_wait_s: float = 20,
) -> Kiosk:
    """The kiosk on the emulated board; ``ack_wait_s`` is generous (a loaded machine), except where a
    test wants the "central is away" answer quickly."""
    reset_emulated()
    config = KioskConfig(
        site="jkt",
        device_id="kiosk-01",
        board=BOARD,
        data_dir=tmp_path / "kiosk-data",
        idle_timeout_s=idle_timeout_s,
        ack_wait_s=ack_wait_s,
        central_url=central.url,
        central_token=central.token,
        broker_url=central.broker_url,
    )
    return build(config, face_pipeline=face_pipeline)
