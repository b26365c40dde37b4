"""``MrzReader``: a passport reader on a serial URL, reporting every read re-validated by ``core``.

The reader may be a real tty (``/dev/ttyACM0``), an emulated one (``emu://mrz/lane1`` once the emulator
has registered its handlers, or the pseudo-terminal it serves), or ``loop://`` in unit tests. A
``serial.threaded.ReaderThread`` feeds bytes to the pure ``MrzFrameDecoder``; a partial burst is
flushed after ``idle_gap`` seconds of quiet (on the backend clock). Every frame is parsed with
``core.documents.parse_mrz`` because readers forward text with recognition errors (SOP-003-A08 step 3:
the gate itself checks validity and expiry).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import serial
import serial.threaded

from core.clock import Clock, Timer
from core.documents import MrzFormatError, MrzResult, parse_mrz
from hal.backend import backend_clock
from hal.codecs.mrz import Framing, MrzFrame, MrzFrameDecoder
from hal.errors import FrameError

DEFAULT_IDLE_GAP = 0.3  # seconds of quiet that end a line scanner's burst


@dataclass(frozen=True, slots=True)
class DocumentReading:
    """One read: the raw lines as sent, and ``core``'s verdict (``result``) or why there is none."""

    lines: tuple[str, ...]
    framing: Framing
    result: MrzResult | None
    error: str | None
    read_at: datetime

    @property
    def valid(self) -> bool:
        """Whether the text is a whole MRZ whose check digits and fields all hold."""
        return self.result is not None and self.result.valid


class _Protocol(serial.threaded.Protocol):
    def __init__(self, reader: MrzReader) -> None:
        self.reader = reader

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)


class MrzReader:
    """A passport reader. ``when_document_read(reading)`` fires for every frame, valid or not.

    ``when_frame_error(error)`` reports bytes that formed no frame (bad BCC, noise, oversized);
    the reader resynchronises on the next frame by itself.
    """

    def __init__(
        self,
        url: str,
        *,
        baudrate: int = 9600,
        with_bcc: bool = True,
        idle_gap: float = DEFAULT_IDLE_GAP,
        backend: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.url = url
        self.clock = clock if clock is not None else backend_clock(backend)
        self.idle_gap = idle_gap
        self.when_document_read: Callable[[DocumentReading], None] | None = None
        self.when_frame_error: Callable[[FrameError], None] | None = None
        self.frame_errors = 0
        self.last_reading: DocumentReading | None = None
        self._decoder = MrzFrameDecoder(with_bcc=with_bcc)
        self._lock = threading.RLock()
        self._read = threading.Condition(self._lock)
        self._readings = 0
        self._taken = 0  # readings already returned by wait_for_document
        self._idle_timer: Timer | None = None
        self._generation = 0
        self._closed = False
        self._serial: Any = serial.serial_for_url(url, baudrate=baudrate, timeout=None)
        self._thread = serial.threaded.ReaderThread(self._serial, lambda: _Protocol(self))
        self._thread.start()
        self._thread.connect()

    def feed(self, data: bytes) -> None:
        """Bytes from the line (the reader thread calls this; tests may too)."""
        with self._lock:
            if self._closed:
                return
            items = self._decoder.feed(data)
            self._generation += 1
            generation, pending, stale = self._generation, self._decoder.pending, self._idle_timer
            self._idle_timer = None
        # The clock is called outside our lock: a hand-advanced clock runs _idle (which takes our lock)
        # while holding its own, so holding ours while calling it could deadlock.
        if stale is not None:
            stale.cancel()
        if pending:
            timer = self.clock.call_later(self.idle_gap, lambda: self._idle(generation))
            with self._lock:
                if generation == self._generation:
                    self._idle_timer = timer
                else:
                    timer.cancel()
        self._dispatch(items)

    def _idle(self, generation: int) -> None:
        with self._lock:
            if generation != self._generation or self._closed:
                return  # more bytes came after this timer was set
            self._idle_timer = None
            items = self._decoder.flush()
        self._dispatch(items)

    def _dispatch(self, items: list[MrzFrame | FrameError]) -> None:
        for item in items:
            if isinstance(item, FrameError):
                self.frame_errors += 1
                if self.when_frame_error is not None:
                    self.when_frame_error(item)
            else:
                self._document(item)

    def _document(self, frame: MrzFrame) -> None:
        now = self.clock.now()
        try:
            parsed = parse_mrz(list(frame.lines), today=now.date())
            result: MrzResult | None = parsed
            error = None if parsed.valid else "; ".join(e.message for e in parsed.errors)
        except MrzFormatError as exc:
            result, error = None, str(exc)
        reading = DocumentReading(frame.lines, frame.framing, result, error, now)
        with self._read:
            self.last_reading = reading
            self._readings += 1
            self._read.notify_all()
        if self.when_document_read is not None:
            self.when_document_read(reading)

    def wait_for_document(self, timeout: float | None = None) -> DocumentReading | None:
        """The latest read not yet returned here, waiting (real time) up to ``timeout`` seconds for one.

        A read that arrived before the call counts, so presenting a document and then waiting never
        races; ``None`` when nothing new arrived in time.
        """
        with self._read:
            self._read.wait_for(lambda: self._readings > self._taken or self._closed, timeout)
            if self._readings == self._taken:
                return None
            self._taken = self._readings
            return self.last_reading

    def close(self) -> None:
        """Stop the reader thread and close the port. Calling it twice is harmless."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._idle_timer is not None:
                self._idle_timer.cancel()
            self._read.notify_all()
        self._thread.close()

    def __enter__(self) -> MrzReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
