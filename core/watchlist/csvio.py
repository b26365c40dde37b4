"""The list CSV: load with row-level errors (every bad value reported, not only the first), and write.

Columns (issue 7): ``entry_id,list,full_name,aliases,birth_date,nationality,sex,document_numbers,
valid_from,valid_until,agency,reason,instructions``; optional ``created_by,created_at,changed_by,
changed_at``. Aliases and document numbers are separated by ``|``; dates are ISO, a birth year alone
is allowed. Central's import screen uses ``parse_entries_csv`` to show all errors at once.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from core.watchlist.errors import RowError, WatchlistCsvError, WatchlistError
from core.watchlist.model import KNOWN_LISTS, LIST_NAME_RE, PartialDate, WatchlistEntry

REQUIRED_COLUMNS = (
    "entry_id",
    "list",
    "full_name",
    "aliases",
    "birth_date",
    "nationality",
    "sex",
    "document_numbers",
    "valid_from",
    "valid_until",
    "agency",
    "reason",
    "instructions",
)
OPTIONAL_COLUMNS = ("created_by", "created_at", "changed_by", "changed_at")
_NATIONALITY_LEN = (2, 3)


@dataclass(frozen=True, slots=True)
class CsvParseResult:
    entries: list[WatchlistEntry]
    errors: list[RowError]


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split("|") if v.strip())


class _Interner:
    """Shares equal strings and dates between entries: a 1,000,000-row list repeats agencies, reasons,
    instructions, nationalities and dates endlessly, and sharing them keeps the index inside its memory
    budget."""

    def __init__(self) -> None:
        self._seen: dict[Any, Any] = {}

    def __call__(self, value: Any) -> Any:
        return self._seen.setdefault(value, value)


def _row_to_entry(
    row: dict[str, str], line: int, intern: _Interner
) -> tuple[WatchlistEntry | None, list[RowError]]:
    errors: list[RowError] = []

    def text(col: str) -> str:
        return (row.get(col) or "").strip()

    def day(col: str) -> date | None:
        v = text(col)
        if not v:
            return None
        try:
            return intern(date.fromisoformat(v))  # type: ignore[no-any-return]
        except ValueError:
            errors.append(RowError(line, col, f"{v!r} is not an ISO date (YYYY-MM-DD)"))
            return None

    def stamp(col: str) -> datetime | None:
        v = text(col)
        if not v:
            return None
        try:
            return datetime.fromisoformat(v)
        except ValueError:
            errors.append(RowError(line, col, f"{v!r} is not an ISO date-time (YYYY-MM-DDTHH:MM:SS+07:00)"))
            return None

    birth: PartialDate | None = None
    if text("birth_date"):
        try:
            birth = intern(PartialDate.parse(text("birth_date")))
        except WatchlistError as exc:
            errors.append(RowError(line, "birth_date", str(exc)))
    nationality = text("nationality").upper()
    if nationality and (len(nationality) not in _NATIONALITY_LEN or not nationality.isalpha()):
        errors.append(
            RowError(line, "nationality", f"{nationality!r} is not a 3-letter ICAO code (e.g. IDN)")
        )
    sex = text("sex").upper()
    if sex not in ("", "M", "F", "X"):
        errors.append(RowError(line, "sex", f"{sex!r} must be M, F, X or empty"))
    for col in ("entry_id", "list", "full_name"):
        if not text(col):
            errors.append(RowError(line, col, "is empty; every row needs it"))
    if text("list") and not LIST_NAME_RE.match(text("list").lower()):
        errors.append(
            RowError(
                line, "list", f"{text('list')!r} is not a list name; use {', '.join(KNOWN_LISTS)} or a slug"
            )
        )
    valid_from, valid_until = day("valid_from"), day("valid_until")
    if valid_from and valid_until and valid_until < valid_from:
        errors.append(RowError(line, "valid_until", f"{valid_until} is before valid_from {valid_from}"))
    created_at, changed_at = stamp("created_at"), stamp("changed_at")
    if errors:
        return None, errors
    try:
        entry = WatchlistEntry(
            entry_id=text("entry_id"),
            list=intern(text("list").lower()),
            full_name=text("full_name"),
            aliases=_split(text("aliases")),
            birth_date=birth,
            nationality=intern(nationality),
            sex=intern(sex),
            document_numbers=_split(text("document_numbers")),
            valid_from=valid_from,
            valid_until=valid_until,
            agency=intern(text("agency")),
            reason=intern(text("reason")),
            instructions=intern(text("instructions")),
            created_by=intern(text("created_by")),
            created_at=created_at,
            changed_by=intern(text("changed_by")),
            changed_at=changed_at,
        )
    except WatchlistError as exc:  # any rule the checks above do not mirror
        return None, [RowError(line, "entry", str(exc))]
    return entry, []


def parse_entries_csv(source: str | Path | IO[str]) -> CsvParseResult:
    """Read a list CSV (a path, an open text file, or the CSV text itself) and report every bad row.

    Duplicate ``entry_id`` values are errors too: an id names one alert for its whole life.
    """
    if isinstance(source, Path):
        with source.open(newline="", encoding="utf-8-sig") as fh:
            return parse_entries_csv(fh)
    stream = io.StringIO(source) if isinstance(source, str) else source
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.DictReader(stream)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return CsvParseResult([], [RowError(1, c, "column is missing from the header") for c in missing])
    reader.fieldnames = header
    entries: list[WatchlistEntry] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    intern = _Interner()
    for row in reader:
        line = reader.line_num
        entry, row_errors = _row_to_entry(row, line, intern)
        errors.extend(row_errors)
        if entry is None:
            continue
        if entry.entry_id in seen:
            errors.append(RowError(line, "entry_id", f"{entry.entry_id!r} appears twice; ids must be unique"))
            continue
        seen.add(entry.entry_id)
        entries.append(entry)
    return CsvParseResult(entries, errors)


def load_entries_csv(source: str | Path | IO[str]) -> list[WatchlistEntry]:
    """Like ``parse_entries_csv`` but all-or-nothing: raises ``WatchlistCsvError`` listing every bad row.

    A string is taken as a file path when it has no newline, otherwise as CSV text.
    """
    if isinstance(source, str) and "\n" not in source:
        source = Path(source)
    result = parse_entries_csv(source)
    if result.errors:
        raise WatchlistCsvError(result.errors)
    return result.entries


def write_entries_csv(entries: Iterable[WatchlistEntry], out: IO[str]) -> None:
    """Write entries in the list CSV format (with the optional audit columns)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))
    for e in entries:
        d = e.to_dict()
        writer.writerow(
            [
                "|".join(e.aliases)
                if col == "aliases"
                else "|".join(e.document_numbers)
                if col == "document_numbers"
                else d[col] or ""
                for col in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
            ]
        )
