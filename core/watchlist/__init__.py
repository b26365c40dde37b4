"""Cekal watch-list matching (pure, no I/O): entries, CSV, the matching index, signed snapshots and deltas.

Used offline by gates (SOP-003-A08 step 3: the check runs inside the 5 s scan budget, from a local
replica) and by central (the automatic cekal step of permit applications).

>>> from datetime import date
>>> from core.watchlist import WatchlistEntry, WatchlistIndex, Query, PartialDate
>>> index = WatchlistIndex.build([WatchlistEntry("E1", "pencegahan", "Muhammad Rizky Pratama",
...     birth_date=PartialDate(1990, 5, 17), nationality="IDN", sex="M")])
>>> [(h.entry_id, h.verdict.value) for h in index.match(
...     Query("MOHAMMAD RIZKY PRATAMA", PartialDate(1990, 5, 17), "IDN", "M"), today=date(2026, 11, 22))]
[('E1', 'identik')]
"""

from __future__ import annotations

from core.watchlist.config import MatchConfig
from core.watchlist.csvio import CsvParseResult, load_entries_csv, parse_entries_csv, write_entries_csv
from core.watchlist.errors import (
    RowError,
    SnapshotError,
    SnapshotSignatureError,
    VersionChainError,
    WatchlistCsvError,
    WatchlistError,
)
from core.watchlist.index import NameMatch, WatchlistIndex, name_similarity
from core.watchlist.model import (
    KNOWN_LISTS,
    PENANGKALAN,
    PENCEGAHAN,
    Hit,
    PartialDate,
    Query,
    Verdict,
    WatchlistEntry,
)
from core.watchlist.normalise import canonical_name, document_key, name_tokens
from core.watchlist.overlay import OverlayIndex
from core.watchlist.prepared import (
    PreparedSnapshot,
    load_prepared_file,
    load_prepared_snapshot,
    sign_prepared_index,
    sign_prepared_snapshot,
    write_prepared_index,
)
from core.watchlist.snapshot import (
    Delta,
    Snapshot,
    SnapshotWriter,
    apply_delta,
    content_hash_rows,
    sign_delta,
    sign_snapshot,
    sign_snapshot_rows,
    verify_delta,
    verify_snapshot,
)

__all__ = [
    "KNOWN_LISTS",
    "PENANGKALAN",
    "PENCEGAHAN",
    "CsvParseResult",
    "Delta",
    "Hit",
    "MatchConfig",
    "NameMatch",
    "OverlayIndex",
    "PartialDate",
    "PreparedSnapshot",
    "Query",
    "RowError",
    "Snapshot",
    "SnapshotError",
    "SnapshotSignatureError",
    "SnapshotWriter",
    "Verdict",
    "VersionChainError",
    "WatchlistCsvError",
    "WatchlistEntry",
    "WatchlistError",
    "WatchlistIndex",
    "apply_delta",
    "canonical_name",
    "content_hash_rows",
    "document_key",
    "load_entries_csv",
    "load_prepared_file",
    "load_prepared_snapshot",
    "name_similarity",
    "name_tokens",
    "parse_entries_csv",
    "sign_delta",
    "sign_prepared_index",
    "sign_prepared_snapshot",
    "sign_snapshot",
    "sign_snapshot_rows",
    "verify_delta",
    "verify_snapshot",
    "write_entries_csv",
    "write_prepared_index",
]
