"""The kiosk's exceptions: one base, each also the builtin that fits."""

from __future__ import annotations


class KioskError(Exception):
    """Base of every kiosk error."""


class KioskConfigError(KioskError, ValueError):
    """The kiosk config or service data file is wrong; the message names the file and key."""


class FormError(KioskError, ValueError):
    """An application form field is missing or malformed; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
