"""``PassengerDisplay``: bilingual messages and pictograms for the passenger in the lane.

The gate flow owns the catalogue of messages; the display only shows a ``DisplayMessage`` (a stable
``key``, Indonesian and English text, a pictogram name). Backends: ``console`` (prints, for a rig or a
laptop) and ``recording`` (keeps the history for tests and the emulator's dashboard). A board's real
screen is a local page fed from the same messages (the kiosk's UI does this).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from core.clock import Clock
from hal.backend import backend_clock
from hal.errors import BoardConfigError

PICTOGRAMS = frozenset(
    {
        "passport",
        "fingerprint",
        "face",
        "walk",
        "stop",
        "wait",
        "officer",
        "exit",
        "no-entry",
        "tick",
        "cross",
    }
)


@dataclass(frozen=True, slots=True)
class DisplayMessage:
    key: str
    text_id: str
    text_en: str
    pictogram: str | None = None

    def __post_init__(self) -> None:
        if self.pictogram is not None and self.pictogram not in PICTOGRAMS:
            raise ValueError(
                f"unknown pictogram {self.pictogram!r}; use one of: {', '.join(sorted(PICTOGRAMS))}"
            )


@dataclass(frozen=True, slots=True)
class Shown:
    message: DisplayMessage | None  # None: the screen was cleared
    at: datetime


class PassengerDisplay:
    """Show one message at a time. ``history`` keeps what was shown (every backend keeps it)."""

    BACKENDS = ("recording", "console")

    def __init__(
        self,
        *,
        backend: str = "recording",
        clock: Clock | None = None,
        stream: TextIO | None = None,
        history_limit: int = 1000,
    ) -> None:
        if backend not in self.BACKENDS:
            raise BoardConfigError(
                f"display backend must be one of {', '.join(self.BACKENDS)}, got {backend!r}"
            )
        self.backend = backend
        self.clock = clock if clock is not None else backend_clock()
        self._stream = stream
        self.history: list[Shown] = []
        self._limit = history_limit
        self._lock = threading.Lock()
        self.when_shown: Callable[[DisplayMessage | None], None] | None = None

    @property
    def current(self) -> DisplayMessage | None:
        with self._lock:
            return self.history[-1].message if self.history else None

    def show(self, message: DisplayMessage) -> None:
        self._record(message)
        if self.backend == "console":
            picto = f"[{message.pictogram}] " if message.pictogram else ""
            print(
                f"{picto}{message.text_id} / {message.text_en}", file=self._stream or sys.stdout, flush=True
            )

    def clear(self) -> None:
        self._record(None)
        if self.backend == "console":
            print("[clear]", file=self._stream or sys.stdout, flush=True)

    def _record(self, message: DisplayMessage | None) -> None:
        with self._lock:
            self.history.append(Shown(message, self.clock.now()))
            del self.history[: -self._limit]
        if self.when_shown is not None:
            self.when_shown(message)

    def keys(self) -> list[str | None]:
        """The keys shown so far, in order (``None`` for a clear): what flow tests compare."""
        with self._lock:
            return [s.message.key if s.message else None for s in self.history]

    def close(self) -> None:
        """Nothing to release; present so every device closes the same way."""

    def __enter__(self) -> PassengerDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
