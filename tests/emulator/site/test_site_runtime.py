"""Whole-site runs with the real gate (``--engine runtime``): central, Mosquitto and gate processes
running ``edge.runtime.GateRuntime`` on the emulated board, passengers played by the driver, enrolments
fetched from central, the supervisor acting through central's command API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emulator.devices.board import FACES
from emulator.scenarios import load
from emulator.site import Site

pytestmark = pytest.mark.skipif(not (FACES / "person_a_1.jpg").exists(), reason="face fixtures missing")

MIX = "[mix]\nvalid = 4\nimpostor = 1\ncekal_identik = 1\ncekal_mirip = 1\nexpired = 1\nneeds_retry = 1\n"


def _run(tmp_path: Path, faults: str = "", *, passengers: int = 10) -> dict[str, Any]:
    path = tmp_path / "scenario.toml"
    path.write_text(f'name = "t"\narrivals_per_hour = 600\n{MIX}{faults}', encoding="utf-8")
    with Site(tmp_path / "site", load(path), gates=2, seed=3, passengers=passengers, factor=5.0,
              drain_timeout_s=45.0, engine="runtime", supervisor_delay_s=4.0) as site:  # fmt: skip
        site.start()
        site.wait(timeout_s=240)
        site.settle(timeout_s=20)
        return site.summary()


def test_real_gates_play_every_passenger_and_central_stores_every_event(tmp_path: Path) -> None:
    summary = _run(tmp_path)
    assert summary["engine"].startswith("runtime")
    assert summary["passengers_played"] == 10
    assert set(summary["gate_exit_codes"].values()) == {0}
    assert sum(summary["outcomes"].values()) == 10
    assert summary["outcomes"]["crossed"] >= 1
    assert summary["lost"] == 0, summary["lost_ids"]
    assert summary["duplicates_stored"] == 0
    assert summary["events_stored"] == summary["events_emitted"] > 0


@pytest.mark.slow
def test_a_real_gate_killed_mid_run_loses_nothing(tmp_path: Path) -> None:
    summary = _run(tmp_path, '[[faults]]\nat = 0.3\nkind = "gate_kill"\ngate = 1\ndown_s = 0.3\n')
    assert summary["gate_restarts"]["gate-02"] >= 1
    assert summary["lost"] == 0, summary["lost_ids"]
    assert summary["duplicates_stored"] == 0


@pytest.mark.slow
def test_a_device_fault_from_the_timeline_closes_one_lane_and_loses_nothing(tmp_path: Path) -> None:
    summary = _run(tmp_path, '[[faults]]\nat = 0.2\nkind = "camera_lost"\ngate = 0\ndown_s = 60.0\n')
    assert [f["kind"] for f in summary["faults"]] == ["camera_lost"]
    assert summary["outcomes"]["fault"] >= 1
    assert summary["passengers_played"] == 10
    assert summary["lost"] == 0, summary["lost_ids"]
    assert summary["duplicates_stored"] == 0
