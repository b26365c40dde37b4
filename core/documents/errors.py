"""The one exception family of ``core.documents``.

Bad *content* (a failing check digit, an unknown country code) is never raised: it is reported in
``MrzResult.errors``. Only text that cannot be shaped into any MRZ format raises ``MrzFormatError``.
"""

from __future__ import annotations


class DocumentError(Exception):
    """Base of every error raised by ``core.documents``."""


class MrzFormatError(DocumentError, ValueError):
    """The text is not the MRZ of any ICAO 9303 format (TD1, TD2, TD3, MRV-A, MRV-B)."""


class MrzRenderError(DocumentError, ValueError):
    """A ``TravelDocument`` cannot be written in the requested MRZ format (a field does not fit)."""
