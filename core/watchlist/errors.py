"""The one exception family of ``core.watchlist``."""

from __future__ import annotations

from dataclasses import dataclass


class WatchlistError(ValueError):
    """Base of every error raised by ``core.watchlist`` (bad list data, bad snapshots, bad queries)."""


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one row of a list CSV: where it is, and what to do about it."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column!r}: {self.message}"


class WatchlistCsvError(WatchlistError):
    """A list CSV has rows that cannot be loaded; ``errors`` lists every one of them."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(
            f"the list CSV has {len(errors)} bad row value(s): {shown}{more}; fix them and reload"
        )


class SnapshotError(WatchlistError):
    """A snapshot or delta cannot be decoded (truncated, wrong format version, bad structure)."""


class SnapshotSignatureError(SnapshotError):
    """A snapshot or delta signature does not verify with the given public key: do not use its content."""


class VersionChainError(SnapshotError):
    """A delta does not follow the version it is applied to (wrong base version or base hash)."""
