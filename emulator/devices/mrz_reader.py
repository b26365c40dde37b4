"""An emulated passport reader: sends a document's MRZ in a chosen framing, with the faults real ones show.

Readers forward what their OCR saw, errors included (DESKO: "data are sent even with recognition
errors"), send one row alone when the other failed, and share the line with noise. ``present()`` does
each on request: ``ocr_errors`` look-alike substitutions, ``missing_line``, ``garbage`` before the frame,
``corrupt_bcc``, and ``pad`` to write fillers as ``_`` (3M style).

URL options (``emu://mrz/NAME?...``): ``framing`` = ``stx-etx`` | ``lines``, ``bcc`` = ``1`` | ``0``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from core.documents import TravelDocument, render_mrz
from emulator.devices.serialdev import SerialDevice, register_kind
from hal.codecs.mrz import Framing, encode_frame

# What OCR confuses on OCR-B: digits and letters that look alike.
LOOKALIKES = {
    "0": "O",
    "O": "0",
    "1": "I",
    "I": "1",
    "5": "S",
    "S": "5",
    "8": "B",
    "B": "8",
    "2": "Z",
    "Z": "2",
}


class EmulatedMrzReader(SerialDevice):
    kind = "mrz"
    options = frozenset({"framing", "bcc"})

    def __init__(self, *, framing: Framing = Framing.STX_ETX, with_bcc: bool = True, seed: int = 0) -> None:
        super().__init__()
        self.framing = framing
        self.with_bcc = with_bcc
        self.rng = random.Random(seed)
        self.sent: list[bytes] = []

    def configure(self, options: Mapping[str, str]) -> None:
        super().configure(options)
        if "framing" in options:
            try:
                self.framing = Framing(options["framing"])
            except ValueError:
                raise ValueError(f"framing must be stx-etx or lines, got {options['framing']!r}") from None
        if "bcc" in options:
            if options["bcc"] not in ("0", "1"):
                raise ValueError(f"bcc must be 0 or 1, got {options['bcc']!r}")
            self.with_bcc = options["bcc"] == "1"

    def mrz_lines(
        self,
        document: TravelDocument | Sequence[str],
        *,
        fmt: str = "TD3",
        ocr_errors: int = 0,
        missing_line: int | None = None,
        cut_line: tuple[int, int] | None = None,
        pad: bool = False,
    ) -> list[str]:
        """The lines the reader would send for ``document`` after its OCR had its way with them."""
        lines = render_mrz(document, fmt) if isinstance(document, TravelDocument) else list(document)
        for _ in range(ocr_errors):
            candidates = [
                (row, col)
                for row, line in enumerate(lines)
                for col, ch in enumerate(line)
                if ch in LOOKALIKES
            ]
            if not candidates:
                break
            row, col = self.rng.choice(candidates)
            line = lines[row]
            lines[row] = line[:col] + LOOKALIKES[line[col]] + line[col + 1 :]
        if pad:
            lines = [line.replace("<", "_") for line in lines]
        if missing_line is not None:
            if not 0 <= missing_line < len(lines):
                raise ValueError(f"missing_line must be 0…{len(lines) - 1}, got {missing_line}")
            lines[missing_line] = ""
        if cut_line is not None:
            # The document moved mid-read: the reader sends what it saw of the line.
            row, keep = cut_line
            if not 0 <= row < len(lines) or keep < 0:
                raise ValueError(
                    f"cut_line must be (0…{len(lines) - 1}, characters kept ≥ 0), got {cut_line}"
                )
            lines[row] = lines[row][:keep]
        return lines

    def present(
        self,
        document: TravelDocument | Sequence[str],
        *,
        fmt: str = "TD3",
        framing: Framing | None = None,
        ocr_errors: int = 0,
        missing_line: int | None = None,
        cut_line: tuple[int, int] | None = None,
        pad: bool = False,
        garbage: bytes | int = b"",
        corrupt_bcc: bool = False,
    ) -> bytes:
        """Send one read of ``document`` (a ``TravelDocument`` or raw lines); returns the bytes sent.

        ``garbage``: bytes (or that many random bytes, never STX/CR/LF: one noise run) sent first.
        In ``lines`` framing a missing line is simply not sent, as line scanners do.
        """
        framing = framing or self.framing
        lines = self.mrz_lines(
            document, fmt=fmt, ocr_errors=ocr_errors, missing_line=missing_line, cut_line=cut_line, pad=pad
        )
        if framing is Framing.LINES:
            lines = [line for line in lines if line]
        frame = encode_frame(lines, framing, with_bcc=self.with_bcc)
        if corrupt_bcc and framing is Framing.STX_ETX and self.with_bcc:
            frame = frame[:-1] + bytes([frame[-1] ^ 0x5A])
        if isinstance(garbage, int):
            noise = [b for b in range(256) if b not in (0x02, 0x0A, 0x0D)]
            garbage = bytes(self.rng.choice(noise) for _ in range(garbage))
        if garbage and framing is Framing.LINES:
            garbage += b"\r\n"  # a line scanner's noise ends at its line end, not inside the MRZ
        data = garbage + frame
        self.sent.append(data)
        self.send(data)
        return data


register_kind("mrz", EmulatedMrzReader)
