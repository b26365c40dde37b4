"""Scenario files: the built-ins load, and every mistake is named by its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.scenarios import ScenarioError, builtin_names, load, parse


def test_the_four_builtins_exist() -> None:
    assert set(builtin_names()) >= {"normal", "mixed", "peak", "outage"}


@pytest.mark.parametrize("name", ["normal", "mixed", "peak", "outage"])
def test_each_builtin_loads(name: str) -> None:
    assert load(name).name == name


def test_the_outage_scenario_has_the_three_priority_faults_in_order() -> None:
    faults = load("outage").faults
    assert [f.kind for f in faults] == ["broker_restart", "central_kill", "gate_kill"]
    assert [f.at for f in faults] == sorted(f.at for f in faults)


def test_a_scenario_file_by_path_remembers_its_source(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text("[mix]\nvalid = 1\n", encoding="utf-8")
    scenario = load(path)
    assert scenario.name == "mine" and scenario.source == str(path)


def test_an_unknown_builtin_lists_the_known_ones() -> None:
    with pytest.raises(ScenarioError, match="normal"):
        load("nope")


def test_an_unknown_key_is_named() -> None:
    with pytest.raises(ScenarioError, match="speed"):
        parse({"mix": {"valid": 1}, "speed": 3})


def test_a_missing_mix_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"\[mix\]"):
        parse({"passengers": 3})


def test_a_device_fault_is_accepted_for_the_gate_to_play() -> None:
    scenario = parse({"mix": {"valid": 1}, "faults": [{"at": 0.5, "kind": "door_jam", "gate": 1}]})
    assert [(f.kind, f.gate) for f in scenario.faults] == [("door_jam", 1)]


def test_a_full_outbox_is_refused_in_a_site_run_with_the_reason() -> None:
    with pytest.raises(ScenarioError, match="small outbox"):
        parse({"mix": {"valid": 1}, "faults": [{"at": 0.5, "kind": "outbox_disk_full"}]})


def test_a_fault_time_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"faults\[0\]: at"):
        parse({"mix": {"valid": 1}, "faults": [{"at": 3, "kind": "broker_restart"}]})


def test_a_negative_passenger_count_is_refused() -> None:
    with pytest.raises(ScenarioError, match="passengers"):
        parse({"mix": {"valid": 1}, "passengers": -1})
