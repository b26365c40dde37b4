"""``python -m hal selftest --config board.toml [--json]``: exercise every configured device of a board.

For a hardware test rig (or the emulated board in CI): cycle each door and time it against its travel
limit, read every beam (the lane must be empty), talk to the fingerprint module and capture, grab and
check a camera frame, wait for the test passport on the MRZ reader, blink the lights, beep, read the
fire-alarm contact, show a display message, print a test receipt. Prints a PASS/FAIL table with the
measured values; the exit status is 0 only when everything passed.

On an emulated board the clock is hand-advanced here, and the far end plays the operator's part
(``selftest_assist``); on real hardware the operator presents the test passport and finger when asked.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from core.clock import Clock, ManualClock
from hal.board import Board, load_board_config
from hal.codecs.escpos import Receipt
from hal.display import DisplayMessage
from hal.door import DoorState, GateDoor
from hal.errors import HalError
from hal.signals import COLOURS

STEP = 0.02  # seconds between looks at a moving door


@dataclass(frozen=True, slots=True)
class CheckResult:
    device: str
    check: str
    passed: bool
    measured: str


def let_time_pass(clock: Clock, seconds: float) -> None:
    """Advance an emulated clock, or wait on a real one (the self-test is a rig tool, not flow logic)."""
    if isinstance(clock, ManualClock):
        clock.advance(seconds)
    else:
        time.sleep(seconds)


def _move(door: GateDoor, command: Callable[[], None], moving: DoorState) -> float | None:
    command()
    waited = 0.0
    while door.state is moving and waited <= door.travel_time * 1.5:
        let_time_pass(door.clock, STEP)
        waited += STEP
    return door.last_travel_time if door.state in (DoorState.OPEN, DoorState.CLOSED) else None


def check_door(name: str, door: GateDoor) -> CheckResult:
    try:
        opened = _move(door, door.open, DoorState.OPENING)
        open_ok = opened is not None and door.is_open
        closed = _move(door, door.close, DoorState.CLOSING) if open_ok else None
        ok = open_ok and closed is not None and door.is_closed
        measured = (
            f"open {opened:.2f} s, close {closed:.2f} s (limit {door.travel_time:.2f} s)"
            if ok and opened is not None and closed is not None
            else f"{door.state.value}: {door.fault or 'end switch not reached'}"
        )
    except HalError as exc:
        ok, measured = False, str(exc)
    return CheckResult(f"door {name}", "open/close cycle, end switches, travel time", ok, measured)


def run_checks(
    board: Board, *, mrz_timeout: float = 10.0, announce: Callable[[str], None] = print
) -> list[CheckResult]:
    results: list[CheckResult] = []
    assist: Callable[[str], None] = getattr(board.far_end, "selftest_assist", lambda step: None)

    for name, door in board.doors.items():
        results.append(check_door(name, door))

    if board.beams is not None:
        broken = [i for i, b in enumerate(board.beams.broken) if b]
        results.append(
            CheckResult(
                "beams",
                "every beam clear with the lane empty",
                not broken,
                f"{len(board.beams.broken)} beams clear"
                if not broken
                else f"beams {broken} broken (lane not empty, blocked or misaligned)",
            )
        )

    if board.fingerprint is not None:
        module = board.fingerprint
        try:
            params = module.read_system_parameters()
            announce("fingerprint: place the test finger on the sensor")
            assist("fingerprint")
            module.wait_for_finger()
            module.image_to_template(1)
            results.append(
                CheckResult(
                    "fingerprint",
                    "parameters, capture, features",
                    True,
                    f"{params.capacity} slots, {module.template_count()} stored, "
                    f"packet {params.packet_size} B, {params.baudrate} baud",
                )
            )
        except HalError as exc:
            results.append(CheckResult("fingerprint", "parameters, capture, features", False, str(exc)))

    if board.camera is not None:
        from hal.camera import check_frame

        assist("camera")
        try:
            frame_check = check_frame(board.camera.capture())
            results.append(
                CheckResult(
                    "camera",
                    "grab a frame; not dark, blown out or flat",
                    frame_check.looks_alive,
                    f"{frame_check.width}×{frame_check.height}, mean {frame_check.mean:.0f}, "
                    f"contrast {frame_check.contrast:.0f}",
                )
            )
        except HalError as exc:
            results.append(CheckResult("camera", "grab a frame", False, str(exc)))

    if board.mrz is not None:
        announce(f"MRZ reader: present the test passport (waiting {mrz_timeout:.0f} s)")
        assist("mrz")
        reading = board.mrz.wait_for_document(mrz_timeout)
        if reading is None:
            results.append(
                CheckResult("mrz", "read the test passport", False, f"no document within {mrz_timeout:.0f} s")
            )
        else:
            number = reading.result.document_number if reading.result else "?"
            results.append(
                CheckResult(
                    "mrz",
                    "read the test passport",
                    reading.valid,
                    f"{reading.framing.value}, document {number}, "
                    + ("check digits hold" if reading.valid else f"invalid: {reading.error}"),
                )
            )

    if board.lights is not None:
        seen = []
        for colour in COLOURS:
            board.lights.show(colour)
            seen.append(board.lights.lit == (colour,))
        board.lights.show(None)
        results.append(CheckResult("lights", "each colour alone", all(seen), ", ".join(COLOURS)))

    if board.buzzer is not None:
        board.buzzer.beep(1, on_time=0.1)
        sounding = board.buzzer.is_sounding
        let_time_pass(board.clock, 0.15)
        results.append(
            CheckResult("buzzer", "one beep", sounding and not board.buzzer.is_sounding, "0.1 s beep")
        )

    if board.fire_alarm is not None:
        on = board.fire_alarm.is_alarm_on
        results.append(
            CheckResult(
                "fire alarm",
                "contact reads 'no alarm'",
                not on,
                "alarm ACTIVE (check the panel and wiring)" if on else "no alarm",
            )
        )

    if board.display is not None:
        board.display.show(DisplayMessage("selftest", "Uji perangkat", "Device self-test", "wait"))
        results.append(
            CheckResult("display", "show a message", board.display.current is not None, board.display.backend)
        )

    if board.printer is not None:
        try:
            board.printer.print_receipt(
                Receipt().align("centre").line("SELF-TEST / UJI").line(board.config.name).cut()
            )
            results.append(CheckResult("printer", "print a test receipt", True, "sent; check the paper"))
        except (HalError, OSError) as exc:
            results.append(CheckResult("printer", "print a test receipt", False, str(exc)))
    return results


def format_table(results: list[CheckResult]) -> str:
    rows = [("DEVICE", "CHECK", "RESULT", "MEASURED")] + [
        (r.device, r.check, "PASS" if r.passed else "FAIL", r.measured) for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3] for row in rows
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m hal selftest", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--config", required=True, help="board config (TOML), e.g. hal/boards/emulated-gate.toml"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--mrz-timeout", type=float, default=10.0, help="seconds to wait for the test passport"
    )
    args = parser.parse_args(argv)
    try:
        config = load_board_config(args.config)
        board = Board.open(config)
    except (HalError, OSError) as exc:  # OSError: a serial port or camera that is not there
        print(f"selftest: {exc}", file=sys.stderr)
        return 2
    with board:
        announce: Callable[[str], None] = (lambda text: None) if args.json else print
        results = run_checks(board, mrz_timeout=args.mrz_timeout, announce=announce)
    passed = all(r.passed for r in results)
    if args.json:
        print(
            json.dumps(
                {
                    "board": config.name,
                    "backend": config.backend,
                    "passed": passed,
                    "results": [asdict(r) for r in results],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print(format_table(results))
        verdict = "ALL PASS" if passed else "FAILED"
        print(f"\n{config.name}: {verdict} ({sum(r.passed for r in results)}/{len(results)})")
    return 0 if passed else 1
