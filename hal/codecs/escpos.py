"""The ESC/POS subset a kiosk receipt needs: a pure encoder (``Receipt``) and parser (``parse_escpos``).

Commands (Epson ESC/POS reference): ``ESC @`` initialise, ``ESC E n`` bold, ``ESC a n`` align,
``GS ! n`` character size, ``ESC d n`` feed lines, ``LF`` print the line, ``GS V`` cut, and
``GS ( k`` QR code (store symbol data, then print). Text is code page 437, as printers start.

>>> data = Receipt().align("centre").bold().text("KANIM").bold(False).line("Antrian A-012").cut().to_bytes()
>>> [op for op in parse_escpos(data) if isinstance(op, Text)]
[Text(value='KANIM'), Text(value='Antrian A-012')]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hal.errors import FrameError, FrameTooLongError

ESC, GS, LF = 0x1B, 0x1D, 0x0A
ENCODING = "cp437"
Alignment = Literal["left", "centre", "right"]
_ALIGN_CODES: dict[str, int] = {"left": 0, "centre": 1, "right": 2}
_ALIGN_NAMES: dict[int, Alignment] = {
    0: "left",
    1: "centre",
    2: "right",
    48: "left",
    49: "centre",
    50: "right",
}
MAX_QR = 7089  # the largest numeric QR code; anything longer is not a receipt's


@dataclass(frozen=True, slots=True)
class Init:
    pass


@dataclass(frozen=True, slots=True)
class Text:
    value: str


@dataclass(frozen=True, slots=True)
class NewLine:
    pass


@dataclass(frozen=True, slots=True)
class Bold:
    on: bool


@dataclass(frozen=True, slots=True)
class Align:
    alignment: Alignment


@dataclass(frozen=True, slots=True)
class Size:
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Feed:
    lines: int


@dataclass(frozen=True, slots=True)
class Cut:
    pass


@dataclass(frozen=True, slots=True)
class QrCode:
    data: str


Op = Init | Text | NewLine | Bold | Align | Size | Feed | Cut | QrCode


class Receipt:
    """A fluent ESC/POS builder; every method returns the builder. ``to_bytes()`` starts with ``ESC @``."""

    def __init__(self) -> None:
        self._out = bytearray([ESC, ord("@")])

    def text(self, value: str) -> Receipt:
        self._out.extend(value.replace("\n", " ").encode(ENCODING, errors="replace"))
        return self

    def line(self, value: str = "") -> Receipt:
        return self.text(value).newline()

    def newline(self) -> Receipt:
        self._out.append(LF)
        return self

    def bold(self, on: bool = True) -> Receipt:
        self._out.extend([ESC, ord("E"), int(on)])
        return self

    def align(self, alignment: Alignment) -> Receipt:
        if alignment not in _ALIGN_CODES:
            raise ValueError(f"alignment must be left, centre or right, got {alignment!r}")
        self._out.extend([ESC, ord("a"), _ALIGN_CODES[alignment]])
        return self

    def size(self, width: int = 1, height: int = 1) -> Receipt:
        if not (1 <= width <= 8 and 1 <= height <= 8):
            raise ValueError(f"character size must be 1…8 each way, got {width}×{height}")
        self._out.extend([GS, ord("!"), ((width - 1) << 4) | (height - 1)])
        return self

    def feed(self, lines: int = 1) -> Receipt:
        if not 0 <= lines <= 255:
            raise ValueError(f"feed takes 0…255 lines, got {lines}")
        self._out.extend([ESC, ord("d"), lines])
        return self

    def qr(self, data: str) -> Receipt:
        payload = data.encode("ascii")
        if len(payload) > MAX_QR:
            raise ValueError(f"QR data of {len(payload)} bytes is longer than {MAX_QR}")
        store_len = len(payload) + 3
        self._out.extend([GS, ord("("), ord("k"), store_len & 0xFF, store_len >> 8, 49, 80, 48])
        self._out.extend(payload)
        self._out.extend([GS, ord("("), ord("k"), 3, 0, 49, 81, 48])  # print the stored symbol
        return self

    def cut(self) -> Receipt:
        self._out.extend([GS, ord("V"), 66, 0])  # feed to the cutter, then a partial cut
        return self

    def to_bytes(self) -> bytes:
        return bytes(self._out)


def parse_escpos(data: bytes) -> list[Op]:
    """The operations in ``data``; an unknown or truncated command raises ``FrameError``."""
    ops: list[Op] = []
    text = bytearray()
    i = 0

    def need(count: int) -> bytes:
        if i + count > len(data):
            raise FrameError(f"ESC/POS command at byte {i} is truncated (needs {count} bytes)")
        return data[i : i + count]

    def flush_text() -> None:
        if text:
            ops.append(Text(text.decode(ENCODING)))
            text.clear()

    while i < len(data):
        byte = data[i]
        if byte == LF:
            flush_text()
            ops.append(NewLine())
            i += 1
        elif byte == ESC:
            flush_text()
            cmd = need(2)[1]
            if cmd == ord("@"):
                ops.append(Init())
                i += 2
            elif cmd == ord("E"):
                ops.append(Bold(bool(need(3)[2] & 1)))
                i += 3
            elif cmd == ord("a"):
                code = need(3)[2]
                if code not in _ALIGN_NAMES:
                    raise FrameError(f"ESC a {code}: alignment must be 0, 1 or 2")
                ops.append(Align(_ALIGN_NAMES[code]))
                i += 3
            elif cmd == ord("d"):
                ops.append(Feed(need(3)[2]))
                i += 3
            else:
                raise FrameError(f"unsupported ESC/POS command ESC {cmd:#04x} at byte {i}")
        elif byte == GS:
            flush_text()
            cmd = need(2)[1]
            if cmd == ord("!"):
                n = need(3)[2]
                ops.append(Size((n >> 4) + 1, (n & 0x0F) + 1))
                i += 3
            elif cmd == ord("V"):
                mode = need(3)[2]
                i += 4 if mode in (65, 66) else 3
                ops.append(Cut())
            elif cmd == ord("("):
                header = need(5)
                if header[2] != ord("k"):
                    raise FrameError(f"unsupported ESC/POS command GS ( {header[2]:#04x} at byte {i}")
                length = header[3] | (header[4] << 8)
                if length > MAX_QR + 3:
                    raise FrameTooLongError(f"GS ( k block of {length} bytes is too long for a receipt")
                block = need(5 + length)[5:]
                if len(block) >= 3 and block[1] == 80:  # fn 80: store the symbol data
                    ops.append(QrCode(block[3:].decode("ascii", errors="replace")))
                i += 5 + length
            else:
                raise FrameError(f"unsupported ESC/POS command GS {cmd:#04x} at byte {i}")
        elif byte < 0x20:
            raise FrameError(f"control byte {byte:#04x} at {i} is not part of the supported ESC/POS subset")
        else:
            text.append(byte)
            i += 1
    flush_text()
    return ops
