"""``ReceiptPrinter``: a kiosk's ESC/POS thermal printer on a serial URL.

>>> from emulator.devices import register; register()
>>> from hal.codecs.escpos import Receipt
>>> with ReceiptPrinter("emu://printer/doctest") as printer:
...     printer.print_receipt(Receipt().align("centre").line("KANIM JAKARTA").cut())
"""

from __future__ import annotations

import threading
from typing import Any

import serial

from hal.codecs.escpos import Receipt
from hal.errors import DeviceClosedError

DEFAULT_BAUDRATE = 19_200  # the common factory setting of ESC/POS serial printers


class ReceiptPrinter:
    def __init__(self, url: str, *, baudrate: int = DEFAULT_BAUDRATE, write_timeout: float = 5.0) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._closed = False
        self._serial: Any = serial.serial_for_url(url, baudrate=baudrate, write_timeout=write_timeout)

    def print_receipt(self, receipt: Receipt) -> None:
        """Send a whole receipt (``Receipt`` adds ``ESC @`` first; end it with ``.cut()``)."""
        self.write(receipt.to_bytes())

    def write(self, data: bytes) -> None:
        with self._lock:
            if self._closed:
                raise DeviceClosedError(f"receipt printer {self.url} is closed; open a new one")
            self._serial.write(data)
            self._serial.flush()

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._serial.close()

    def __enter__(self) -> ReceiptPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
