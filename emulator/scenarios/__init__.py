"""Scenarios as TOML: passenger mix, arrival rate, passenger count and a fault timeline.

>>> scenario = load("outage")
>>> [f.kind for f in scenario.faults]
['broker_restart', 'central_kill', 'gate_kill']
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.population import Population, PopulationError, normalise_mix

HERE = Path(__file__).parent

# Process faults the site runner plays itself; device faults are handed to the gate process, which
# applies them to its emulated board between passengers (real gates only, docs/emulator.md). A full
# outbox is tested on one gate (tests/emulator/site/test_runtime_faults.py), not played in a site run.
# ``gate_cut``: one gate's link to the broker silently cut for ``down_s`` real seconds (emulator.netcut).
PROCESS_FAULTS = ("broker_restart", "broker_kill", "central_kill", "gate_kill", "gate_cut")
DEVICE_FAULTS = (
    "fire_alarm", "door_jam", "beam_stuck", "camera_lost", "fingerprint_unplugged", "serial_garbage",
)  # fmt: skip
NOT_PLAYABLE = ("outbox_disk_full",)


class ScenarioError(ValueError):
    """A scenario file is missing, unreadable or has a bad key; the message names the key."""


@dataclass(frozen=True)
class Fault:
    """One fault on the timeline: when (share of passengers played), what, which gate, for how long."""

    at: float
    kind: str
    down_s: float = 1.0
    gate: int = 0


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    mix: dict[str, float]
    passengers: int = 40
    arrivals_per_hour: float = 150.0
    faults: tuple[Fault, ...] = field(default_factory=tuple)
    source: str | None = None  # the TOML file it came from (gate processes load the same file)

    def population(self, *, seed: int, gates: int) -> Population:
        return Population(self.mix, seed=seed, arrivals_per_hour=self.arrivals_per_hour, gates=gates)


def builtin_names() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.toml"))


def load(name_or_path: str | Path) -> Scenario:
    """A built-in scenario by name (``normal``, ``mixed``, ``peak``, ``outage``) or a TOML file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = HERE / f"{name_or_path}.toml"
        if not path.is_file():
            raise ScenarioError(
                f"no built-in scenario {str(name_or_path)!r}; use one of {', '.join(builtin_names())} "
                "or give the path of a .toml file"
            )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"scenario {path} is not valid TOML: {exc}") from exc
    return parse(data, source=str(path))


_KEYS = {"name", "description", "passengers", "arrivals_per_hour", "mix", "faults"}
_FAULT_KEYS = {"at", "kind", "down_s", "gate"}


def parse(data: dict[str, Any], *, source: str = "<scenario>") -> Scenario:
    """A Scenario from parsed TOML; every error names the key and says what to write instead."""
    unknown = set(data) - _KEYS
    if unknown:
        raise ScenarioError(f"{source}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    mix = data.get("mix")
    if not isinstance(mix, dict) or not mix:
        raise ScenarioError(f"{source}: [mix] is required: a table of passenger kind = weight")
    try:
        normalise_mix(mix)
    except PopulationError as exc:
        raise ScenarioError(f"{source}: mix: {exc}") from exc
    passengers = data.get("passengers", 40)
    if not isinstance(passengers, int) or isinstance(passengers, bool) or passengers < 1:
        raise ScenarioError(f"{source}: passengers must be a whole number >= 1, got {passengers!r}")
    rate = data.get("arrivals_per_hour", 150.0)
    if not isinstance(rate, int | float) or isinstance(rate, bool) or rate <= 0:
        raise ScenarioError(f"{source}: arrivals_per_hour must be a number > 0, got {rate!r}")
    faults = tuple(_fault(f, i, source) for i, f in enumerate(data.get("faults", [])))
    return Scenario(
        name=str(data.get("name", Path(source).stem)),
        description=str(data.get("description", "")),
        mix={str(k): float(v) for k, v in mix.items()},
        passengers=passengers,
        arrivals_per_hour=float(rate),
        faults=tuple(sorted(faults, key=lambda f: f.at)),
        source=source if source.endswith(".toml") else None,
    )


def _fault(raw: Any, i: int, source: str) -> Fault:
    where = f"{source}: faults[{i}]"
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where} must be a table ([[faults]] with at, kind, down_s, gate)")
    unknown = set(raw) - _FAULT_KEYS
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_FAULT_KEYS)}")
    kind = raw.get("kind")
    known = (*PROCESS_FAULTS, *DEVICE_FAULTS)
    if kind in NOT_PLAYABLE:
        raise ScenarioError(
            f"{where}: kind {kind!r} is not played in a site run (the gate-level test fills a small "
            f"outbox instead); use one of {', '.join(known)}"
        )
    if kind not in known:
        raise ScenarioError(f"{where}: kind must be one of {', '.join(known)}, got {kind!r}")
    at = raw.get("at")
    if not isinstance(at, int | float) or isinstance(at, bool) or not 0 <= at <= 1:
        raise ScenarioError(f"{where}: at must be the share of passengers played, 0..1, got {at!r}")
    down = raw.get("down_s", 1.0)
    if not isinstance(down, int | float) or isinstance(down, bool) or down < 0:
        raise ScenarioError(f"{where}: down_s must be seconds >= 0, got {down!r}")
    gate = raw.get("gate", 0)
    if not isinstance(gate, int) or isinstance(gate, bool) or gate < 0:
        raise ScenarioError(f"{where}: gate must be a gate index >= 0, got {gate!r}")
    return Fault(at=float(at), kind=str(kind), down_s=float(down), gate=gate)
