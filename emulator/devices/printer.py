"""An emulated ESC/POS receipt printer: keeps what it received, renders it to text and to a PNG.

Each cut ends a receipt. ``receipts`` holds the parsed operations of every finished receipt;
``render_text()`` and ``render_png()`` draw one as a person would see it (alignment on a 42-column
80 mm roll, bold, double size, the QR code as a labelled box).

URL options (``emu://printer/NAME?...``): none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from emulator.devices.serialdev import SerialDevice, register_kind
from hal.codecs.escpos import Align, Bold, Cut, Feed, Init, NewLine, Op, QrCode, Size, Text, parse_escpos

COLUMNS = 42  # font A on 80 mm paper


@dataclass(frozen=True, slots=True)
class PrintedLine:
    text: str
    bold: bool = False
    alignment: str = "left"
    width: int = 1
    height: int = 1
    qr: str | None = None


class EmulatedReceiptPrinter(SerialDevice):
    kind = "printer"

    def __init__(self) -> None:
        super().__init__()
        self.received = bytearray()
        self.receipts: list[list[Op]] = []
        self.paper_out = False

    def receive(self, data: bytes) -> None:
        with self.lock:
            if self.paper_out:
                return
            self.received.extend(data)
            cut = self.received.rfind(b"\x1dV")
            if cut < 0 or len(self.received) < cut + 3:
                return
            end = cut + (4 if self.received[cut + 2] in (65, 66) else 3)
            if len(self.received) < end:
                return
            chunk, self.received = bytes(self.received[:end]), self.received[end:]
            ops = parse_escpos(chunk)
            # One chunk may hold several receipts: split at every cut.
            current: list[Op] = []
            for op in ops:
                current.append(op)
                if isinstance(op, Cut):
                    self.receipts.append(current)
                    current = []


def layout(ops: list[Op]) -> list[PrintedLine]:
    """The printed lines of one receipt."""
    lines: list[PrintedLine] = []
    bold, alignment, width, height = False, "left", 1, 1
    text = ""
    for op in ops:
        if isinstance(op, Init):
            bold, alignment, width, height = False, "left", 1, 1
        elif isinstance(op, Text):
            text += op.value
        elif isinstance(op, Bold):
            bold = op.on
        elif isinstance(op, Align):
            alignment = op.alignment
        elif isinstance(op, Size):
            width, height = op.width, op.height
        elif isinstance(op, NewLine):
            lines.append(PrintedLine(text, bold, alignment, width, height))
            text = ""
        elif isinstance(op, Feed):
            lines.extend(PrintedLine("") for _ in range(op.lines))
        elif isinstance(op, QrCode):
            lines.append(PrintedLine("", alignment=alignment, qr=op.data))
    if text:
        lines.append(PrintedLine(text, bold, alignment, width, height))
    return lines


def render_text(ops: list[Op]) -> str:
    """The receipt as plain text on a ``COLUMNS``-wide roll (double width halves the columns)."""
    out = []
    for line in layout(ops):
        columns = COLUMNS // line.width
        text = f"[QR {line.qr}]" if line.qr is not None else line.text
        if line.alignment == "centre":
            text = text.center(columns)
        elif line.alignment == "right":
            text = text.rjust(columns)
        out.append(text.rstrip())
    return "\n".join(out) + "\n"


def render_png(ops: list[Op], path: Path, *, dots: int = 576) -> Path:
    """Draw the receipt (576 dots = 80 mm at 203 dpi) and save it as a PNG."""
    font = ImageFont.load_default()
    char_h = 24
    lines = layout(ops)
    height = sum((160 if line.qr else char_h * line.height) for line in lines) + 2 * char_h
    image = Image.new("L", (dots, max(height, char_h)), 255)
    draw = ImageDraw.Draw(image)
    y = char_h
    for line in lines:
        if line.qr is not None:
            x = (dots - 140) // 2 if line.alignment == "centre" else 10
            draw.rectangle((x, y, x + 140, y + 140), outline=0, width=3)
            draw.text((x + 8, y + 64), f"QR {line.qr}"[:18], fill=0, font=font)
            y += 160
            continue
        text_w = int(draw.textlength(line.text, font=font)) * line.width
        x = {"centre": (dots - text_w) // 2, "right": dots - text_w - 4}.get(line.alignment, 4)
        layer = Image.new("L", (max(1, text_w // line.width + 2), char_h), 255)
        ImageDraw.Draw(layer).text((0, 4), line.text, fill=0, font=font, stroke_width=1 if line.bold else 0)
        layer = layer.resize((layer.width * line.width, char_h * line.height))
        image.paste(layer, (max(0, x), y))
        y += char_h * line.height
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


register_kind("printer", EmulatedReceiptPrinter)
