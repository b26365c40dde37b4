"""Small lists built by hand for the matching specifications."""

from __future__ import annotations

from datetime import date

from core.watchlist import PartialDate, Query, WatchlistEntry

TODAY = date(2026, 11, 22)


def entry(entry_id: str = "E1", name: str = "Muhammad Rizky Pratama", **kw: object) -> WatchlistEntry:
    fields: dict[str, object] = {
        "list": "pencegahan",
        "birth_date": PartialDate(1990, 5, 17),
        "nationality": "IDN",
        "sex": "M",
        "document_numbers": ("A1234567",),
        "agency": "Komisi Pemberantasan Korupsi",
        "instructions": "Tunda keberangkatan; serahkan ke KPK melalui Inteldakim",
    }
    fields.update(kw)
    return WatchlistEntry(entry_id, full_name=name, **fields)  # type: ignore[arg-type]


def query(name: str = "MUHAMMAD RIZKY PRATAMA", **kw: object) -> Query:
    fields: dict[str, object] = {"birth_date": PartialDate(1990, 5, 17), "nationality": "IDN", "sex": "M"}
    fields.update(kw)
    return Query(full_name=name, **fields)  # type: ignore[arg-type]
