"""The one exception base of the central service."""

from __future__ import annotations


class CentralError(Exception):
    """Base of every error the central service raises on purpose; the API turns it into JSON."""


class NotFound(CentralError, LookupError):
    """The thing asked for does not exist."""


class Conflict(CentralError, ValueError):
    """The request clashes with what is stored (a duplicate name, a closed alert)."""


class Invalid(CentralError, ValueError):
    """The request is malformed or refers to something that cannot be acted on."""
