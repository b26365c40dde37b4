"""Passport/MRZ reader output: the two documented framings, decoded incrementally and never trusted.

Framings (see ``shared/notes/hardware-protocols.md``):

- ``STX`` optical data ``ETX`` [``BCC``] (3M / DESKO style): each MRZ line ends with ``CR``; a line the
  reader could not read is still sent as an empty ``CR`` line; lines may be padded with ``_``; bytes
  before ``STX`` (3M's ``SOH`` length ``"OU"``) are a preamble and ignored. ``BCC`` is the XOR of every
  byte after ``STX`` up to and including ``ETX``.
- plain line bursts (Honeywell-style scanners): lines ending in ``CR``, ``LF`` or ``CRLF``. A burst ends
  when its lines form a whole MRZ (2×44, 2×36, 3×30) or, for a partial read, when the reader goes
  quiet (the caller calls ``flush()``).

The decoder yields frames of raw lines and ``FrameError`` instances (it never raises on input): a bad
checksum, a frame cut short, an oversized frame or garbage bytes are reported, dropped, and decoding
resynchronises on the next ``STX`` or line end. ``flush()`` resets every state. Parsing the text is
``core.documents.parse_mrz``'s job; readers forward erroneous text, so every result is re-validated.

>>> d = MrzFrameDecoder()
>>> d.feed(encode_frame(["P<UTOERIKSSON<<ANNA", "L898902C36"], Framing.STX_ETX))
[MrzFrame(lines=('P<UTOERIKSSON<<ANNA', 'L898902C36'), framing=<Framing.STX_ETX: 'stx-etx'>)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from hal.errors import FrameChecksumError, FrameError, FrameTooLongError

STX, ETX, CR, LF = 0x02, 0x03, 0x0D, 0x0A
MAX_FRAME = 1024  # DESKO: up to 1024 ASCII characters between STX and ETX
MAX_LINE = 96  # twice the longest MRZ line: anything longer is not a reader's line
_SHAPES = ((2, 44), (2, 36), (3, 30))


class Framing(Enum):
    STX_ETX = "stx-etx"
    LINES = "lines"


@dataclass(frozen=True, slots=True)
class MrzFrame:
    """What one read produced: the raw lines (padding kept, an unread line as ``""``)."""

    lines: tuple[str, ...]
    framing: Framing


def bcc(data: bytes | bytearray) -> int:
    """The block check character: XOR of ``data``."""
    value = 0
    for byte in data:
        value ^= byte
    return value


def encode_frame(
    lines: Sequence[str], framing: Framing, *, with_bcc: bool = True, line_end: bytes = b"\r\n"
) -> bytes:
    """The bytes a reader sends for ``lines`` (the emulator uses this; ``decode`` is its inverse)."""
    if framing is Framing.STX_ETX:
        body = b"".join(line.encode("ascii") + b"\r" for line in lines) + bytes([ETX])
        return bytes([STX]) + body + (bytes([bcc(body)]) if with_bcc else b"")
    return b"".join(line.encode("ascii") + line_end for line in lines)


def _printable(data: bytes | bytearray) -> bool:
    return all(0x20 <= b < 0x7F for b in data)


Decoded = MrzFrame | FrameError


class MrzFrameDecoder:
    """Incremental decoder for both framings; ``with_bcc`` says whether STX frames end with a BCC."""

    def __init__(
        self, *, with_bcc: bool = True, max_frame: int = MAX_FRAME, max_line: int = MAX_LINE
    ) -> None:
        self.with_bcc = with_bcc
        self.max_frame = max_frame
        self.max_line = max_line
        self._reset()

    def _reset(self) -> None:
        self._in_frame = False
        self._awaiting_bcc = False
        self._discarding = False  # after an oversized frame/line: drop until the next STX / line end
        self._frame = bytearray()
        self._line = bytearray()
        self._lines: list[str] = []
        self._last_was_cr = False

    @property
    def pending(self) -> bool:
        """Whether a partial frame or burst is waiting (the caller flushes it after an idle gap)."""
        return self._in_frame or self._awaiting_bcc or bool(self._line) or bool(self._lines)

    def flush(self) -> list[Decoded]:
        """The reader went quiet: emit a partial line burst, report a frame cut short, start afresh."""
        out: list[Decoded] = []
        if self._in_frame or self._awaiting_bcc:
            out.append(FrameError(f"frame cut short after {len(self._frame)} bytes (no ETX/BCC); dropped"))
        if self._line and not self._discarding:
            self._end_line(out)
        if self._lines:
            out.append(MrzFrame(tuple(self._lines), Framing.LINES))
        self._reset()
        return out

    def feed(self, data: bytes) -> list[Decoded]:
        out: list[Decoded] = []
        for byte in data:
            self._byte(byte, out)
        return out

    # -- byte handling -------------------------------------------------------------------------------
    def _byte(self, byte: int, out: list[Decoded]) -> None:
        if self._awaiting_bcc:
            self._awaiting_bcc = False
            if bcc(self._frame) == byte:
                self._emit_frame(out)
                return
            if byte == STX:
                out.append(FrameChecksumError("STX frame without its BCC byte; dropped"))
                self._start_frame(out)
                return
            out.append(
                FrameChecksumError(f"STX frame BCC {byte:#04x} != computed {bcc(self._frame):#04x}; dropped")
            )
            self._frame.clear()
            return
        if byte == STX:
            if self._in_frame:
                out.append(
                    FrameError(f"frame cut short by a new STX after {len(self._frame)} bytes; dropped")
                )
            self._start_frame(out)
            return
        if self._in_frame:
            self._frame_byte(byte, out)
        elif not (self._discarding and byte not in (CR, LF)):
            self._line_byte(byte, out)

    def _start_frame(self, out: list[Decoded]) -> None:
        # Bytes before STX without a line end are the reader's preamble (3M: SOH, length, "OU").
        self._line.clear()
        if self._lines:
            out.append(MrzFrame(tuple(self._lines), Framing.LINES))
            self._lines = []
        self._in_frame, self._discarding = True, False
        self._frame.clear()

    def _frame_byte(self, byte: int, out: list[Decoded]) -> None:
        self._frame.append(byte)
        if byte == ETX:
            self._in_frame = False
            if self.with_bcc:
                self._awaiting_bcc = True
            else:
                self._emit_frame(out)
        elif len(self._frame) > self.max_frame:
            out.append(
                FrameTooLongError(f"STX frame longer than {self.max_frame} bytes without ETX; dropped")
            )
            self._in_frame, self._discarding = False, True
            self._frame.clear()

    def _emit_frame(self, out: list[Decoded]) -> None:
        body = bytes(self._frame[:-1])  # without ETX
        self._frame.clear()
        body = body.replace(b"\n", b"")
        if not _printable(body.replace(b"\r", b"")):
            out.append(FrameError("STX frame holds non-text bytes (line noise); dropped"))
            return
        parts = body.split(b"\r")
        if parts and parts[-1] == b"":
            parts.pop()  # the CR that ends the last line
        out.append(MrzFrame(tuple(p.decode("ascii") for p in parts), Framing.STX_ETX))

    def _line_byte(self, byte: int, out: list[Decoded]) -> None:
        if byte in (CR, LF):
            after_cr = self._last_was_cr and byte == LF
            self._last_was_cr = byte == CR
            if self._discarding:
                self._discarding = False
                self._line.clear()
            elif not after_cr and self._line:
                self._end_line(out)
            return
        self._last_was_cr = False
        self._line.append(byte)
        if len(self._line) > self.max_line:
            out.append(FrameTooLongError(f"line longer than {self.max_line} bytes without CR/LF; dropped"))
            self._line.clear()
            self._discarding = True

    def _end_line(self, out: list[Decoded]) -> None:
        line = bytes(self._line)
        self._line.clear()
        if not _printable(line):
            out.append(FrameError(f"line of {len(line)} bytes holds non-text bytes (line noise); dropped"))
            return
        self._lines.append(line.decode("ascii"))
        for count, length in _SHAPES:
            tail = self._lines[-count:]
            if len(tail) == count and all(len(item) == length for item in tail):
                if len(self._lines) > count:  # an earlier partial read: report it as its own burst
                    out.append(MrzFrame(tuple(self._lines[:-count]), Framing.LINES))
                out.append(MrzFrame(tuple(tail), Framing.LINES))
                self._lines = []
                return
