"""The layering of ARCHITECTURE.md: imports only point downwards.

Parses every module of every package (no import is executed) and fails naming the file, the line and
the forbidden import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "hal", "models", "edge", "kiosk", "counter", "central", "emulator")
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "hal": {"core"},
    "models": {"core"},
    "edge": {"core", "hal", "models"},
    "kiosk": {"core", "hal", "models", "edge"},
    "counter": {"core", "hal", "models", "edge"},
    "central": {"core"},
    "emulator": {"core", "hal", "models", "edge", "kiosk", "counter", "central"},
}
# Firmware runs on the door controller under MicroPython: it may import nothing of ours but itself.
FIRMWARE = ROOT / "hal" / "firmware"


def imported_top_levels(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def violations(package: str) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        in_firmware = FIRMWARE in path.parents
        allowed = set() if in_firmware else ALLOWED[package] | {package}
        for lineno, top in imported_top_levels(path):
            if top in PACKAGES and top not in allowed:
                bad.append(f"{path.relative_to(ROOT)}:{lineno} imports {top!r}")
    return bad


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_only_lower_layers(package: str) -> None:
    assert violations(package) == []


def test_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom edge.flow import GateFlow\nimport hal.door\n", encoding="utf-8")
    assert imported_top_levels(bad) == [(1, "os"), (2, "edge"), (3, "hal")]
