"""pyserial URL handler for in-process emulated devices.

URL format: ``emu://KIND[/NAME][?option=value&...]``

- ``KIND``: ``mrz`` (passport reader), ``fingerprint`` (ZFM module), ``printer`` (ESC/POS receipt printer)
- ``NAME``: which device of that kind (default ``default``); the emulator and tests reach the same
  instance with ``emulator.devices.serialdev.device(KIND, NAME)``
- options are the device's own (e.g. ``emu://mrz/lane1?framing=lines``); unknown options are refused

pyserial finds this module once ``emulator.devices.register()`` has added ``emulator.devices`` to
``serial.protocol_handler_packages``.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from serial.serialutil import PortNotOpenError, SerialBase, SerialException

# Importing the device modules registers their kinds.
from emulator.devices import fingerprint as _fingerprint
from emulator.devices import mrz_reader as _mrz_reader
from emulator.devices import printer as _printer
from emulator.devices.serialdev import SerialDevice, device

_ = (_fingerprint, _mrz_reader, _printer)


class Serial(SerialBase):
    """A serial port whose far end is an emulated device in this process."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._rx = bytearray()
        self._cond = threading.Condition(threading.RLock())
        self._cancelled = False
        self._disconnect: Callable[[], None] | None = None
        self.device: SerialDevice | None = None
        super().__init__(*args, **kwargs)

    def open(self) -> None:
        if self.is_open:
            raise SerialException("port is already open")
        if self.port is None:
            raise SerialException("port must be configured before it can be used")
        self.device = self._device_for(self.port)
        self._disconnect = self.device.connect(self._deliver)
        self.is_open = True

    @staticmethod
    def _device_for(url: str) -> SerialDevice:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "emu" or not parts.netloc:
            raise SerialException(f"expected emu://KIND[/NAME][?options], got {url!r}")
        name = parts.path.strip("/") or "default"
        try:
            dev = device(parts.netloc, name)
            options = {key: values[-1] for key, values in urllib.parse.parse_qs(parts.query, True).items()}
            dev.configure(options)
        except ValueError as exc:
            raise SerialException(f"{url}: {exc}") from exc
        return dev

    def _reconfigure_port(self) -> None:
        """Line settings mean nothing to an in-process device."""

    def close(self) -> None:
        if self._disconnect is not None:
            self._disconnect()
            self._disconnect = None
        with self._cond:
            self.is_open = False
            self._cond.notify_all()

    def _deliver(self, data: bytes) -> None:
        with self._cond:
            self._rx.extend(data)
            self._cond.notify_all()

    @property
    def in_waiting(self) -> int:
        if not self.is_open:
            raise PortNotOpenError()
        with self._cond:
            return len(self._rx)

    def read(self, size: int = 1) -> bytes:
        if not self.is_open:
            raise PortNotOpenError()
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        with self._cond:
            while len(self._rx) < size and self.is_open and not self._cancelled:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                self._cond.wait(remaining)
            self._cancelled = False
            data = bytes(self._rx[:size])
            del self._rx[:size]
            return data

    def write(self, data: Any, /) -> int:  # any bytes-like object, as pyserial accepts
        if not self.is_open or self.device is None:
            raise PortNotOpenError()
        payload = bytes(data)
        self.device.receive(payload)
        return len(payload)

    def cancel_read(self) -> None:
        with self._cond:
            self._cancelled = True
            self._cond.notify_all()

    def reset_input_buffer(self) -> None:
        with self._cond:
            self._rx.clear()

    def reset_output_buffer(self) -> None:
        """Writes reach the device at once: there is no output buffer."""

    @property
    def out_waiting(self) -> int:
        return 0

    def _update_break_state(self) -> None: ...
    def _update_rts_state(self) -> None: ...
    def _update_dtr_state(self) -> None: ...

    @property
    def cts(self) -> bool:
        return True

    @property
    def dsr(self) -> bool:
        return True

    @property
    def ri(self) -> bool:
        return False

    @property
    def cd(self) -> bool:
        return True
