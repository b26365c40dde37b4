"""Board configs: one TOML file maps every device of a gate or kiosk to its pins and addresses.

``load_board_config(path)`` validates the whole file before anything is opened; an error names the key
and the reason (``doors.entry.motor_open: expected a GPIO number 0…27, got 'five'``). ``Board.open``
then opens every configured device on the config's backend. A config for the emulated backend may name
a ``far_end`` module (the emulator's ``emulator.devices.board``): ``Board.open`` imports it by name —
``hal`` never imports the emulator — and calls its ``prepare(config)`` before opening devices and its
``attach(board)`` after, so the far end of every wire exists. See ``hal/boards/`` for examples.
"""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hal.backend import BACKENDS, backend_clock, set_default_backend
from hal.beams import BeamArray
from hal.camera import Camera
from hal.display import PassengerDisplay
from hal.door import DEFAULT_TRAVEL_TIME, DoorPins, FailMode, GateDoor
from hal.errors import BoardConfigError
from hal.fingerprint import FingerprintModule
from hal.mrz import MrzReader
from hal.printer import ReceiptPrinter
from hal.signals import Buzzer, FireAlarmInput, Lights

DOOR_BACKENDS = ("gpio", "doorctl")
MAX_GPIO = 27  # BCM GPIO 0…27 on the 40-pin header
_SECTIONS = {
    "board",
    "doors",
    "beams",
    "mrz",
    "fingerprint",
    "camera",
    "lights",
    "buzzer",
    "fire_alarm",
    "display",
    "printer",
}


@dataclass(frozen=True)
class DoorConfig:
    """One leaf: on GPIO pins (``backend = "gpio"``, the default) or on the door controller's UART
    (``backend = "doorctl"`` with ``url`` and ``leaf``; see docs/door-firmware.md)."""

    pins: DoorPins | None
    travel_time: float = DEFAULT_TRAVEL_TIME
    fail_mode: FailMode = FailMode.SAFE
    backend: str = "gpio"
    url: str | None = None
    leaf: str | None = None


@dataclass(frozen=True)
class BeamsConfig:
    pins: tuple[int, ...]
    positions: tuple[float, ...] | None = None
    entry_beams: int = 1
    exit_beams: int = 1


@dataclass(frozen=True)
class SerialConfig:
    url: str
    baudrate: int
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BoardConfig:
    name: str
    backend: str
    source: str
    far_end: str | None = None
    doors: Mapping[str, DoorConfig] = field(default_factory=dict)
    beams: BeamsConfig | None = None
    mrz: SerialConfig | None = None
    fingerprint: SerialConfig | None = None
    camera: tuple[str, int, int] | None = None
    lights: tuple[int, int, int] | None = None
    buzzer: int | None = None
    fire_alarm: tuple[int, bool] | None = None
    display: str | None = None
    printer: SerialConfig | None = None


class _Reader:
    """Typed access to one table, naming the full key in every error."""

    def __init__(self, table: Mapping[str, Any], prefix: str, source: str) -> None:
        self.table, self.prefix, self.source = table, prefix, source
        self.used: set[str] = set()

    def fail(self, key: str, reason: str) -> BoardConfigError:
        return BoardConfigError(f"{self.source}: {self.prefix}{key}: {reason}")

    def raw(self, key: str, default: Any) -> Any:
        self.used.add(key)
        if key not in self.table:
            if default is _REQUIRED:
                raise self.fail(key, "missing (required)")
            return default
        return self.table[key]

    def text(self, key: str, default: str | None = None) -> str:
        value = self.raw(key, _REQUIRED if default is None else default)
        if not isinstance(value, str) or not value:
            raise self.fail(key, f"expected a non-empty string, got {value!r}")
        return value

    def integer(self, key: str, default: int | None = None, *, low: int = 0, high: int = 2**32 - 1) -> int:
        value = self.raw(key, _REQUIRED if default is None else default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, f"expected an integer {low}…{high}, got {value!r}")
        return value

    def pin(self, key: str) -> int:
        value = self.raw(key, _REQUIRED)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_GPIO:
            raise self.fail(key, f"expected a GPIO number 0…{MAX_GPIO}, got {value!r}")
        return value

    def number(self, key: str, default: float) -> float:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self.fail(key, f"expected a positive number of seconds, got {value!r}")
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {value!r}")
        return value

    def finish(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise self.fail(unknown[0], f"unknown key (known here: {', '.join(sorted(self.used))})")


_REQUIRED = object()


def _table(data: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any] | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BoardConfigError(f"{source}: {key}: expected a table ([{key}]), got {type(value).__name__}")
    return value


def _serial(
    data: Mapping[str, Any],
    key: str,
    source: str,
    baudrate: int,
    extra: Callable[[_Reader], dict[str, Any]] = lambda r: {},
) -> SerialConfig | None:
    table = _table(data, key, source)
    if table is None:
        return None
    r = _Reader(table, f"{key}.", source)
    url = r.text("url")
    rate = r.integer("baudrate", baudrate, low=1200, high=4_000_000)
    options = extra(r)
    r.finish()
    return SerialConfig(url, rate, options)


def parse_board_config(data: Mapping[str, Any], source: str = "<board>") -> BoardConfig:
    """Validate a parsed TOML document; every error names its key."""
    unknown = sorted(set(data) - _SECTIONS)
    if unknown:
        raise BoardConfigError(
            f"{source}: {unknown[0]}: unknown section (known: {', '.join(sorted(_SECTIONS))})"
        )
    board = _Reader(_table(data, "board", source) or {}, "board.", source)
    name = board.text("name", "board")
    backend = board.text("backend", "emulated")
    if backend not in BACKENDS:
        raise board.fail("backend", f"expected one of {', '.join(BACKENDS)}, got {backend!r}")
    far_end = board.text("far_end", "") if "far_end" in board.table else None
    board.finish()

    doors: dict[str, DoorConfig] = {}
    for door_name, table in (_table(data, "doors", source) or {}).items():
        if not isinstance(table, dict):
            raise BoardConfigError(f"{source}: doors.{door_name}: expected a table of pins")
        r = _Reader(table, f"doors.{door_name}.", source)
        door_backend = r.text("backend", "gpio")
        if door_backend not in DOOR_BACKENDS:
            raise r.fail("backend", f"expected one of {', '.join(DOOR_BACKENDS)}, got {door_backend!r}")
        pins: DoorPins | None = None
        url = leaf = None
        if door_backend == "gpio":
            pins = DoorPins(
                *(
                    r.pin(k)
                    for k in (
                        "motor_open",
                        "motor_close",
                        "lock",
                        "open_switch",
                        "closed_switch",
                        "obstruction",
                    )
                )
            )
        else:
            url = r.text("url")
            leaf = r.text("leaf", "exit" if door_name == "exit" else "entrance")
            if leaf not in ("entrance", "exit"):
                raise r.fail("leaf", f"expected 'entrance' or 'exit', got {leaf!r}")
        travel = r.number("travel_time", DEFAULT_TRAVEL_TIME)
        mode = r.text("fail_mode", FailMode.SAFE.value)
        if mode not in {m.value for m in FailMode}:
            raise r.fail("fail_mode", f"expected 'fail-safe' or 'fail-secure', got {mode!r}")
        r.finish()
        doors[door_name] = DoorConfig(pins, travel, FailMode(mode), door_backend, url, leaf)

    beams = None
    if (table := _table(data, "beams", source)) is not None:
        r = _Reader(table, "beams.", source)
        raw_pins = r.raw("pins", _REQUIRED)
        if not isinstance(raw_pins, list) or not raw_pins:
            raise r.fail("pins", f"expected a list of GPIO numbers, got {raw_pins!r}")
        sub = _Reader({f"pins[{i}]": p for i, p in enumerate(raw_pins)}, "beams.", source)
        pins_t = tuple(sub.pin(f"pins[{i}]") for i in range(len(raw_pins)))
        raw_pos = r.raw("positions", None)
        positions = None
        if raw_pos is not None:
            if not isinstance(raw_pos, list) or not all(isinstance(p, int | float) for p in raw_pos):
                raise r.fail("positions", f"expected a list of metres from the entry, got {raw_pos!r}")
            positions = tuple(float(p) for p in raw_pos)
        beams = BeamsConfig(
            pins_t,
            positions,
            r.integer("entry_beams", 1, low=1, high=4),
            r.integer("exit_beams", 1, low=1, high=4),
        )
        r.finish()

    camera = None
    if (table := _table(data, "camera", source)) is not None:
        r = _Reader(table, "camera.", source)
        camera = (
            r.text("url"),
            r.integer("width", 640, low=16, high=8192),
            r.integer("height", 480, low=16, high=8192),
        )
        r.finish()
    lights = None
    if (table := _table(data, "lights", source)) is not None:
        r = _Reader(table, "lights.", source)
        lights = (r.pin("red"), r.pin("amber"), r.pin("green"))
        r.finish()
    buzzer = None
    if (table := _table(data, "buzzer", source)) is not None:
        r = _Reader(table, "buzzer.", source)
        buzzer = r.pin("pin")
        r.finish()
    fire = None
    if (table := _table(data, "fire_alarm", source)) is not None:
        r = _Reader(table, "fire_alarm.", source)
        fire = (r.pin("pin"), r.flag("normally_closed", False))
        r.finish()
    display = None
    if (table := _table(data, "display", source)) is not None:
        r = _Reader(table, "display.", source)
        display = r.text("backend", "recording")
        if display not in PassengerDisplay.BACKENDS:
            raise r.fail(
                "backend", f"expected one of {', '.join(PassengerDisplay.BACKENDS)}, got {display!r}"
            )
        r.finish()

    config = BoardConfig(
        name=name,
        backend=backend,
        source=source,
        far_end=far_end,
        doors=doors,
        beams=beams,
        mrz=_serial(data, "mrz", source, 9600, lambda r: {"bcc": r.flag("bcc", True)}),
        fingerprint=_serial(
            data,
            "fingerprint",
            source,
            57_600,
            lambda r: {"password": r.integer("password", 0), "address": r.integer("address", 0xFFFFFFFF)},
        ),
        camera=camera,
        lights=lights,
        buzzer=buzzer,
        fire_alarm=fire,
        display=display,
        printer=_serial(data, "printer", source, 19_200),
    )
    _check_pin_conflicts(config)
    return config


def _check_pin_conflicts(config: BoardConfig) -> None:
    owners: dict[int, str] = {}
    uses: list[tuple[str, int]] = []
    for door_name, door in config.doors.items():
        if door.pins is None:
            continue
        for key, pin in zip(
            ("motor_open", "motor_close", "lock", "open_switch", "closed_switch", "obstruction"),
            door.pins.all(),
            strict=True,
        ):
            uses.append((f"doors.{door_name}.{key}", pin))
    if config.beams:
        uses += [(f"beams.pins[{i}]", pin) for i, pin in enumerate(config.beams.pins)]
    if config.lights:
        uses += list(zip(("lights.red", "lights.amber", "lights.green"), config.lights, strict=True))
    if config.buzzer is not None:
        uses.append(("buzzer.pin", config.buzzer))
    if config.fire_alarm:
        uses.append(("fire_alarm.pin", config.fire_alarm[0]))
    for key, pin in uses:
        if pin in owners:
            raise BoardConfigError(f"{config.source}: {key}: GPIO {pin} is already used by {owners[pin]}")
        owners[pin] = key


def load_board_config(path: str | Path) -> BoardConfig:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BoardConfigError(f"{path}: no such board config; see hal/boards/ for examples") from None
    except tomllib.TOMLDecodeError as exc:
        raise BoardConfigError(f"{path}: not valid TOML ({exc})") from None
    return parse_board_config(data, str(path))


class Board:
    """Every configured device, opened. ``None`` for a device the config does not list."""

    def __init__(self, config: BoardConfig) -> None:
        self.config = config
        self.clock = backend_clock(config.backend)
        self.doors: dict[str, GateDoor] = {}
        self.beams: BeamArray | None = None
        self.mrz: MrzReader | None = None
        self.fingerprint: FingerprintModule | None = None
        self.camera: Camera | None = None
        self.lights: Lights | None = None
        self.buzzer: Buzzer | None = None
        self.fire_alarm: FireAlarmInput | None = None
        self.display: PassengerDisplay | None = None
        self.printer: ReceiptPrinter | None = None
        self.far_end: Any = None
        self.door_links: dict[str, Any] = {}

    @classmethod
    def open(cls, config: BoardConfig) -> Board:
        set_default_backend(config.backend)
        far_end_module = None
        if config.far_end:
            try:
                far_end_module = importlib.import_module(config.far_end)
            except ImportError as exc:
                raise BoardConfigError(
                    f"{config.source}: board.far_end: cannot import {config.far_end!r} ({exc})"
                ) from None
            far_end_module.prepare(config)
        board = cls(config)
        try:
            board._open_devices()
            if far_end_module is not None:
                board.far_end = far_end_module.attach(board)
        except BaseException:
            board.close()
            raise
        return board

    def _open_devices(self) -> None:
        c, backend = self.config, self.config.backend
        for name, door in c.doors.items():
            if door.backend == "doorctl" and door.url is not None and door.leaf is not None:
                # Both leaves share one controller, so one link per UART address.
                from hal.doorctl import controller_door, open_controller_link

                if door.url not in self.door_links:
                    self.door_links[door.url] = open_controller_link(door.url)
                self.doors[name] = controller_door(
                    self.door_links[door.url],
                    door.leaf,
                    self.clock,
                    name=name,
                    fail_mode=door.fail_mode,
                    travel_time=door.travel_time,
                )
            elif door.pins is not None:
                self.doors[name] = GateDoor(
                    door.pins,
                    name=name,
                    travel_time=door.travel_time,
                    fail_mode=door.fail_mode,
                    backend=backend,
                )
        if c.beams:
            self.beams = BeamArray(
                c.beams.pins,
                positions=c.beams.positions,
                entry_beams=c.beams.entry_beams,
                exit_beams=c.beams.exit_beams,
                backend=backend,
            )
        if c.lights:
            self.lights = Lights(*c.lights, backend=backend)
        if c.buzzer is not None:
            self.buzzer = Buzzer(c.buzzer, backend=backend)
        if c.fire_alarm:
            self.fire_alarm = FireAlarmInput(
                c.fire_alarm[0], normally_closed=c.fire_alarm[1], backend=backend
            )
        if c.display:
            self.display = PassengerDisplay(backend=c.display, clock=self.clock)
        if c.mrz:
            self.mrz = MrzReader(
                c.mrz.url,
                baudrate=c.mrz.baudrate,
                with_bcc=bool(c.mrz.options.get("bcc", True)),
                clock=self.clock,
            )
        if c.fingerprint:
            opts = c.fingerprint.options
            self.fingerprint = FingerprintModule(
                c.fingerprint.url,
                baudrate=c.fingerprint.baudrate,
                password=int(opts.get("password", 0)),
                address=int(opts.get("address", 0xFFFFFFFF)),
                verify_password=False,
            )
        if c.camera:
            self.camera = Camera(c.camera[0], width=c.camera[1], height=c.camera[2])
        if c.printer:
            self.printer = ReceiptPrinter(c.printer.url, baudrate=c.printer.baudrate)

    def close(self) -> None:
        """Close every device (and stop the far end). Calling it twice is harmless."""
        for door in self.doors.values():
            door.close_device()
        for link in self.door_links.values():
            link.close()
        self.door_links.clear()
        for device in (
            self.beams,
            self.mrz,
            self.fingerprint,
            self.camera,
            self.lights,
            self.buzzer,
            self.fire_alarm,
            self.display,
            self.printer,
        ):
            if device is not None:
                device.close()
        if self.far_end is not None and hasattr(self.far_end, "close"):
            self.far_end.close()

    def __enter__(self) -> Board:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
