"""The typed errors of the wire contract.

Everything that can go wrong with a topic or a payload raises a subclass of :class:`WireError`, which is
also a :class:`ValueError`. Central's ingest quarantines a message on any ``WireError`` and keeps going;
nothing a peer sends can crash a decoder with anything else.
"""

from __future__ import annotations


class WireError(ValueError):
    """Base of every wire-contract error (topic, encoding, decoding)."""


class TopicError(WireError):
    """A topic string does not follow ``imigrasi/v1/<site>/<kind>/<device-id>/<channel>``."""


class EncodeError(WireError):
    """A message could not be encoded because one of its fields holds a value the contract forbids.

    ``field`` is the dotted path of the offending field (``document.surname``, ``event_ids[2]``).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class DecodeError(WireError):
    """A payload is not a valid message. ``field`` names the offending field, or is ``None`` when the
    payload as a whole is wrong (not msgpack, not a map, too large)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class PayloadTooLarge(DecodeError):
    """The payload exceeds the decoder's size cap (``MAX_PAYLOAD_BYTES`` unless configured)."""


class UnknownMessageType(DecodeError):
    """The payload's ``type`` names no registered message type."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="type")


class SchemaVersionError(DecodeError):
    """The payload's ``schema`` version is outside what this build accepts for its type."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="schema")
