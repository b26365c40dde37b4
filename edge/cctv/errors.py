"""The CCTV watcher's exceptions, in the edge family (``EdgeError``), each also the builtin that fits."""

from __future__ import annotations

from edge.errors import EdgeError


class CctvError(EdgeError):
    """Something the CCTV watcher could not do; the message says what to change."""


class GalleryUnavailableError(CctvError, LookupError):
    """No verified alert gallery: central is unreachable and there is no trusted copy on disk."""


class GalleryRefusedError(CctvError, ValueError):
    """A gallery snapshot was refused (bad signature, older than the copy held, unreadable templates)."""


class SourceError(CctvError, OSError):
    """The camera or video source could not be opened or read."""
