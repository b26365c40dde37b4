"""Board configs: validation that names the key, and opening a whole emulated board."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.clock import ManualClock
from emulator.devices.board import EmulatedBoard
from hal.backend import reset_emulated, set_default_backend
from hal.board import Board, load_board_config, parse_board_config
from hal.door import DoorState, FailMode
from hal.errors import BoardConfigError

BOARDS = Path(__file__).resolve().parents[2] / "hal" / "boards"


def gate() -> dict[str, Any]:
    return tomllib.loads((BOARDS / "emulated-gate.toml").read_text())


@pytest.fixture(autouse=True)
def clean_backend() -> Iterator[None]:
    reset_emulated()
    yield
    set_default_backend(None)
    reset_emulated()


@pytest.mark.parametrize("name", ["emulated-gate.toml", "emulated-kiosk.toml", "pi-gate.toml"])
def test_every_example_board_config_is_valid(name: str) -> None:
    config = load_board_config(BOARDS / name)
    assert config.name and config.backend in ("emulated", "pi")


def test_door_settings_are_read_per_door() -> None:
    config = parse_board_config(gate())
    assert (
        config.doors["entry"].fail_mode is FailMode.SAFE and config.doors["exit"].fail_mode is FailMode.SECURE
    )


def test_a_bad_pin_names_its_key() -> None:
    data = gate()
    data["doors"]["entry"]["motor_open"] = "five"
    with pytest.raises(BoardConfigError, match=r"doors\.entry\.motor_open: expected a GPIO number"):
        parse_board_config(data)


def test_a_pin_used_twice_names_both_keys() -> None:
    data = gate()
    data["buzzer"]["pin"] = 5
    with pytest.raises(
        BoardConfigError, match=r"buzzer\.pin: GPIO 5 is already used by doors\.entry\.motor_open"
    ):
        parse_board_config(data)


def test_an_unknown_key_is_refused_with_the_known_ones() -> None:
    data = gate()
    data["mrz"]["baud"] = 9600
    with pytest.raises(BoardConfigError, match=r"mrz\.baud: unknown key"):
        parse_board_config(data)


def test_a_missing_required_key_says_so() -> None:
    data = gate()
    del data["fingerprint"]["url"]
    with pytest.raises(BoardConfigError, match=r"fingerprint\.url: missing"):
        parse_board_config(data)


def test_an_unknown_fail_mode_lists_the_choices() -> None:
    data = gate()
    data["doors"]["exit"]["fail_mode"] = "fail-open"
    with pytest.raises(
        BoardConfigError, match=r"doors\.exit\.fail_mode: expected 'fail-safe' or 'fail-secure'"
    ):
        parse_board_config(data)


def test_an_unknown_backend_is_refused() -> None:
    data = gate()
    data["board"]["backend"] = "arduino"
    with pytest.raises(BoardConfigError, match=r"board\.backend: expected one of emulated, pi"):
        parse_board_config(data)


def test_a_missing_file_points_to_the_examples(tmp_path: Path) -> None:
    with pytest.raises(BoardConfigError, match="hal/boards"):
        load_board_config(tmp_path / "nope.toml")


def test_broken_toml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[board\nname=")
    with pytest.raises(BoardConfigError, match="not valid TOML"):
        load_board_config(path)


def test_an_emulated_board_opens_every_device_with_its_far_end() -> None:
    with Board.open(load_board_config(BOARDS / "emulated-gate.toml")) as board:
        assert isinstance(board.far_end, EmulatedBoard)
        assert set(board.doors) == {"entry", "exit"}
        assert all(door.state is DoorState.CLOSED for door in board.doors.values())
        assert board.beams is not None and board.beams.occupancy.is_clear
        assert None not in (board.mrz, board.fingerprint, board.camera, board.lights, board.buzzer)


def doorctl_gate() -> dict[str, Any]:
    data = gate()
    data["doors"] = {
        "entry": {"backend": "doorctl", "url": "emu://doorctl/lane1", "leaf": "entrance", "travel_time": 1.0},
        "exit": {
            "backend": "doorctl",
            "url": "emu://doorctl/lane1",
            "leaf": "exit",
            "fail_mode": "fail-secure",
            "travel_time": 1.0,
        },
    }
    return data


def test_doors_on_the_door_controller_are_configured_by_url_and_leaf() -> None:
    config = parse_board_config(doorctl_gate(), "doorctl.toml")
    assert config.doors["entry"].backend == "doorctl"
    assert config.doors["entry"].pins is None
    assert (config.doors["exit"].url, config.doors["exit"].leaf) == ("emu://doorctl/lane1", "exit")


def test_a_door_controller_leaf_must_be_entrance_or_exit() -> None:
    data = doorctl_gate()
    data["doors"]["exit"]["leaf"] = "side"
    with pytest.raises(BoardConfigError, match=r"doors\.exit\.leaf"):
        parse_board_config(data, "doorctl.toml")


def test_an_emulated_board_drives_its_doors_through_the_controller_firmware() -> None:
    board = Board.open(parse_board_config(doorctl_gate(), "doorctl.toml"))
    try:
        clock = board.clock
        entry = board.doors["entry"]
        assert isinstance(clock, ManualClock)
        clock.advance(0.5)  # the firmware reports its first state
        entry.open()
        for _ in range(40):
            clock.advance(0.05)
        assert entry.is_open
        assert board.doors["exit"].is_closed  # the interlock: never both open outside fire mode
    finally:
        board.close()


def test_the_emulated_backend_can_run_on_a_faster_than_life_clock() -> None:
    from core.clock import ScaledClock
    from hal.backend import backend_clock, use_emulated_clock

    fast = ScaledClock(50.0)
    use_emulated_clock(fast)
    try:
        assert backend_clock("emulated") is fast
    finally:
        use_emulated_clock(None)
    assert isinstance(backend_clock("emulated"), ManualClock)
