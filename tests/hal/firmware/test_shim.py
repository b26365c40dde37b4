"""The CPython shim of ``machine``/``utime`` that the firmware runs on in tests and the emulator."""

from __future__ import annotations

import sys

import pytest

from emulator.doorctl import DoorControllerRig
from hal.firmware.shim import TICKS_PERIOD, Shim, ShimError, load_firmware


def test_loading_the_firmware_leaves_no_fake_modules_behind() -> None:
    load_firmware(Shim())
    for name in ("machine", "utime", "protocol", "safety", "controller"):
        assert name not in sys.modules


def test_each_load_is_bound_to_its_own_shim() -> None:
    first, second = DoorControllerRig(), DoorControllerRig()
    first.run(2000)  # past the default heartbeat timeout: fail-safe opens the entrance
    assert first.leaves[0].position > 0.0
    assert second.leaves[0].position == 0.0
    assert second.shim.ms == 0


def test_ticks_wrap_at_the_micropython_period() -> None:
    shim = Shim(start_ms=TICKS_PERIOD - 1)
    before = shim.ticks_ms()
    shim.advance(2)
    assert shim.ticks_ms() == 1
    assert shim.ticks_diff(shim.ticks_ms(), before) == 2


def test_ticks_diff_is_negative_when_the_first_tick_is_earlier() -> None:
    assert Shim.ticks_diff(10, 20) == -10


def test_input_pins_read_their_pull_until_driven() -> None:
    shim = Shim()
    pin = shim.machine.Pin(3, shim.machine.Pin.IN, shim.machine.Pin.PULL_UP)
    assert pin.value() == 1
    shim.drive(3, 0)
    assert pin.value() == 0
    shim.release(3)
    assert pin.value() == 1


def test_uart_read_returns_none_when_nothing_arrived() -> None:
    shim = Shim()
    uart = shim.machine.UART(0, 115200)
    assert uart.read() is None
    uart.inject(b"ab")
    assert uart.read() == b"ab"


def test_time_cannot_go_backwards() -> None:
    with pytest.raises(ShimError, match="positive"):
        Shim().advance(-1)
