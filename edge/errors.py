"""The edge package's exceptions: one base, each also the builtin that fits."""

from __future__ import annotations


class EdgeError(Exception):
    """Something the gate controller could not do; the message says what to change."""


class OutboxError(EdgeError, RuntimeError):
    """The durable outbox could not store or read an event."""


class OutboxFullError(OutboxError):
    """The outbox reached its size limit; the gate must stop accepting passengers until central acks."""


class ConfigError(EdgeError, ValueError):
    """A gate config value is missing or wrong; the message names the key and what it should be."""


class LinkError(EdgeError, ConnectionError):
    """The MQTT link could not be set up (bad URL, TLS files, credentials)."""


class WatchlistCacheError(EdgeError, ValueError):
    """A watch-list snapshot or delta was refused (bad signature, broken version chain, unreadable)."""


class EnrolmentError(EdgeError, LookupError):
    """No enrolment record could be had from central or the local cache."""


class WatchlistFetchError(EdgeError, OSError):
    """A watch-list file could not be fetched or does not match its announced size and hash."""
