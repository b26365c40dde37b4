"""``python -m hal selftest`` against the emulated boards: a PASS table, JSON, and real failures."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hal.__main__ import main as hal_main
from hal.backend import reset_emulated, set_default_backend
from hal.board import Board, load_board_config
from hal.selftest import run_checks

ROOT = Path(__file__).resolve().parents[2]
GATE = ROOT / "hal" / "boards" / "emulated-gate.toml"
KIOSK = ROOT / "hal" / "boards" / "emulated-kiosk.toml"


@pytest.fixture(autouse=True)
def clean_backend() -> Iterator[None]:
    reset_emulated()
    yield
    set_default_backend(None)
    reset_emulated()


def test_the_emulated_gate_passes_every_check(capsys: pytest.CaptureFixture[str]) -> None:
    status = hal_main(["selftest", "--config", str(GATE)])
    out = capsys.readouterr().out
    assert status == 0 and "ALL PASS (10/10)" in out
    assert "door entry" in out and "limit 1.00 s" in out


def test_json_output_lists_every_device(capsys: pytest.CaptureFixture[str]) -> None:
    status = hal_main(["selftest", "--config", str(KIOSK), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0 and report["passed"] is True
    assert {r["device"] for r in report["results"]} == {"fingerprint", "camera", "mrz", "display", "printer"}


def test_a_jammed_door_fails_with_its_fault() -> None:
    with Board.open(load_board_config(GATE)) as board:
        board.far_end.leaves["exit"].jam()
        results = {r.device: r for r in run_checks(board, mrz_timeout=2, announce=lambda _: None)}
    assert not results["door exit"].passed and "open switch" in results["door exit"].measured
    assert results["door entry"].passed


def test_a_blocked_beam_fails_and_names_it() -> None:
    from emulator.devices.walkers import Walker

    with Board.open(load_board_config(GATE)) as board:
        board.far_end.lane.add(Walker(position=0.75, speed=0.0, length=0.1))
        results = {r.device: r for r in run_checks(board, mrz_timeout=2, announce=lambda _: None)}
    assert not results["beams"].passed and "[2]" in results["beams"].measured


def test_an_unplugged_fingerprint_module_fails() -> None:
    with Board.open(load_board_config(GATE)) as board:
        board.far_end.fingerprint.unplug()
        assert board.fingerprint is not None
        board.fingerprint.timeout = 0.2
        results = {r.device: r for r in run_checks(board, mrz_timeout=2, announce=lambda _: None)}
    assert not results["fingerprint"].passed and "did not answer" in results["fingerprint"].measured


def test_a_config_error_exits_2_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[board]\nbackend = "arduino"\n')
    assert hal_main(["selftest", "--config", str(bad)]) == 2
    assert "board.backend" in capsys.readouterr().err


def test_the_command_runs_as_a_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hal", "selftest", "--config", str(GATE), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0 and json.loads(done.stdout)["passed"] is True
