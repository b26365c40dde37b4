"""Shared parts of the real-gate tests: one Mosquitto and one face model per session, a gate builder.

The helpers (``make_rig``, ``play``, ``assert_nothing_lost``) are in ``runtime_support``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from emulator.broker import BrokerConfig, MosquittoBroker
from emulator.population import Kind, Passenger, Population
from emulator.rungate import RuntimeRig
from tests.emulator.site.runtime_support import make_rig

KINDS = [k.value for k in Kind]


@pytest.fixture(scope="session")
def face() -> Any:
    from models import FacePipeline

    return FacePipeline.load()


@pytest.fixture(scope="session")
def passengers() -> dict[Kind, Passenger]:
    """The first passenger of every kind from one seeded population."""
    found: dict[Kind, Passenger] = {}
    for p in Population({k: 1 for k in KINDS}, seed=11).passengers(200):
        found.setdefault(p.kind, p)
    return found


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MosquittoBroker]:
    broker = MosquittoBroker(tmp_path_factory.mktemp("broker"), BrokerConfig()).start()
    try:
        yield broker
    finally:
        broker.kill()


@pytest.fixture(scope="module")
def gate(
    tmp_path_factory: pytest.TempPathFactory,
    broker: MosquittoBroker,
    face: Any,
    passengers: dict[Kind, Passenger],
) -> Iterator[RuntimeRig]:
    rig = make_rig(tmp_path_factory.mktemp("gate"), broker, face, passengers)
    try:
        yield rig
    finally:
        rig.stop()
