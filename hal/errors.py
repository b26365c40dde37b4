"""The one exception family of ``hal``: every error a device or a codec raises.

Each class also subclasses the builtin that fits, so callers that only know Python's own errors still
catch the right thing (a bad frame is a ``ValueError``, a dead camera an ``OSError``).
"""

from __future__ import annotations


class HalError(Exception):
    """Base of every error raised by ``hal``."""


class BoardConfigError(HalError, ValueError):
    """A board config (or a device argument) is wrong; the message names the key and the reason."""


class BackendError(HalError, ValueError):
    """An unknown backend name, or a backend that cannot run on this machine."""


class FrameError(HalError, ValueError):
    """Bytes from a device do not form a valid frame (garbage, truncated, oversized, bad checksum)."""


class FrameChecksumError(FrameError):
    """A frame arrived whole but its checksum (BCC, ZFM sum) does not match its content."""


class FrameTooLongError(FrameError):
    """A frame grew past the protocol's limit without its terminator; it was dropped."""


class DeviceTimeoutError(HalError, TimeoutError):
    """A device did not answer (or nothing happened) within the allowed time."""


class DeviceClosedError(HalError, RuntimeError):
    """The device was used after ``close()``; open a new one."""


class DoorError(HalError, RuntimeError):
    """A door refused a command (locked, faulted); the message says how to clear it."""


class CameraError(HalError, OSError):
    """The camera could not be opened or returned no frame."""


class FingerprintError(HalError, RuntimeError):
    """The fingerprint module answered with a confirmation code other than OK.

    ``code`` is the module's confirmation byte; the subclass names it (see ``hal.codecs.zfm``);
    ``payload`` holds the acknowledge's remaining bytes (a failed Match still carries its score).
    """

    def __init__(self, message: str, code: int | None = None, payload: bytes = b"") -> None:
        super().__init__(message)
        self.code = code
        self.payload = payload
