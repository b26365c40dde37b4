"""PassengerDisplay backends and the ReceiptPrinter with the emulated ESC/POS printer."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from core.clock import ManualClock
from emulator.devices import register
from emulator.devices.printer import EmulatedReceiptPrinter, render_png, render_text
from emulator.devices.serialdev import forget_devices, install
from hal.codecs.escpos import Receipt
from hal.display import DisplayMessage, PassengerDisplay
from hal.errors import BoardConfigError, DeviceClosedError
from hal.printer import ReceiptPrinter

PrinterRig = tuple[EmulatedReceiptPrinter, ReceiptPrinter]
SCAN = DisplayMessage("scan_passport", "Pindai paspor Anda", "Scan your passport", "passport")
WALK = DisplayMessage("walk_in", "Silakan masuk", "Please walk in", "walk")


def test_the_recording_display_keeps_the_history_in_order() -> None:
    display = PassengerDisplay(backend="recording", clock=ManualClock())
    display.show(SCAN)
    display.show(WALK)
    display.clear()
    assert display.keys() == ["scan_passport", "walk_in", None] and display.current is None


def test_the_console_display_prints_both_languages() -> None:
    out = io.StringIO()
    PassengerDisplay(backend="console", stream=out, clock=ManualClock()).show(SCAN)
    assert out.getvalue() == "[passport] Pindai paspor Anda / Scan your passport\n"


def test_an_unknown_pictogram_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown pictogram"):
        DisplayMessage("x", "x", "x", "rocket")


def test_an_unknown_display_backend_is_a_config_error() -> None:
    with pytest.raises(BoardConfigError, match="recording, console"):
        PassengerDisplay(backend="hdmi")


@pytest.fixture
def printer() -> Iterator[PrinterRig]:
    register()
    forget_devices()
    emulated = EmulatedReceiptPrinter()
    install("printer", "kiosk1", emulated)
    with ReceiptPrinter("emu://printer/kiosk1") as real:
        yield emulated, real
    forget_devices()


RECEIPT = (
    Receipt()
    .align("centre")
    .bold()
    .line("KANTOR IMIGRASI")
    .bold(False)
    .align("left")
    .line("Antrian: A-012")
    .qr("IMI-A-012")
    .cut()
)


def test_a_printed_receipt_renders_to_text(printer: PrinterRig) -> None:
    emulated, real = printer
    real.print_receipt(RECEIPT)
    text = render_text(emulated.receipts[0])
    assert len(emulated.receipts) == 1
    assert text.splitlines()[0].strip() == "KANTOR IMIGRASI" and text.splitlines()[0].startswith(" ")
    assert "Antrian: A-012" in text and "[QR IMI-A-012]" in text


def test_a_printed_receipt_renders_to_a_png(printer: PrinterRig, tmp_path: Path) -> None:
    emulated, real = printer
    real.print_receipt(RECEIPT)
    path = render_png(emulated.receipts[0], tmp_path / "receipt.png")
    with Image.open(path) as image:
        assert image.width == 576 and image.height > 100


def test_a_receipt_sent_in_pieces_is_one_receipt(
    printer: PrinterRig,
) -> None:
    emulated, real = printer
    data = RECEIPT.to_bytes()
    real.write(data[:10])
    real.write(data[10:])
    assert len(emulated.receipts) == 1


def test_a_closed_printer_refuses_to_print(printer: PrinterRig) -> None:
    _, real = printer
    real.close()
    with pytest.raises(DeviceClosedError):
        real.print_receipt(RECEIPT)
