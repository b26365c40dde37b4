"""The counter station's errors: one base, each also the builtin that fits."""

from __future__ import annotations


class CounterError(Exception):
    """Anything the counter station refuses; the message says what was wrong and what to do."""


class CounterConfigError(CounterError, ValueError):
    """The station config (counter.toml) or the tariff table is wrong."""


class ManualEntryError(CounterError, ValueError):
    """A manually entered passport field is missing or malformed."""


class InspectionStateError(CounterError, RuntimeError):
    """A step was asked for out of order (e.g. stamping before the watch-list check)."""
