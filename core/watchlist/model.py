"""Watch-list entries, queries and hits: plain values shared by gates and central.

A ``WatchlistEntry`` is one *alert cegah/tangkal*: who is listed (names, aliases, birth date,
nationality, sex, document numbers), on which list, for how long, at whose request, why, and what the
officer must do on a hit (SOP-003-A03 step 7: the requesting agency is contacted and the person handed
over to it, so every entry carries its agency and instructions).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from core.watchlist.errors import WatchlistError

#: The lists named by the SOPs. Other lists (e.g. an Interpol-notice list) are allowed: any lower-case slug.
PENCEGAHAN = "pencegahan"  # prevention: barred from leaving (checked on departure)
PENANGKALAN = "penangkalan"  # deterrence: foreigners barred from entering (checked on arrival)
KNOWN_LISTS = (PENCEGAHAN, PENANGKALAN, "interpol")
LIST_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_SEXES = ("M", "F", "X")


class Verdict(enum.StrEnum):
    """What a hit means for the officer. No hit is simply not returned."""

    IDENTIK = "identik"  # identical: document number, or full name + full birth date + nationality
    MIRIP = "mirip"  # similar: an officer must look (SOP-003-A03 step 4, "hit confirmed as true listing")


@dataclass(frozen=True, slots=True, order=True)
class PartialDate:
    """A birth date that may be known only in part (year alone, or year and month), as lists allow."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if not 1800 <= self.year <= 2200:
            raise WatchlistError(f"birth year {self.year} is out of range; give a four-digit year")
        if self.month is None and self.day is not None:
            raise WatchlistError("a birth date with a day must also have a month")
        if self.month is not None and self.day is not None:
            try:
                date(self.year, self.month, self.day)
            except ValueError as exc:
                raise WatchlistError(
                    f"birth date {self.year}-{self.month}-{self.day} does not exist; use YYYY-MM-DD"
                ) from exc
        elif self.month is not None and not 1 <= self.month <= 12:
            raise WatchlistError(f"birth month {self.month} is out of range 1..12")

    @property
    def is_full(self) -> bool:
        return self.day is not None

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``; ``XX``/``00`` for an unknown month or day."""
        parts = text.strip().split("-")
        if not 1 <= len(parts) <= 3 or not all(p.isascii() and p.isalnum() for p in parts):
            raise WatchlistError(f"birth date {text!r} is not YYYY-MM-DD, YYYY-MM or YYYY")
        if len(parts[0]) != 4 or not parts[0].isdigit():
            raise WatchlistError(f"birth date {text!r} must start with a four-digit year")
        nums: list[int | None] = [int(parts[0])]
        for p in parts[1:]:
            if p.upper() in ("XX", "00", "??"):
                nums.append(None)
            elif len(p) == 2 and p.isdigit():
                nums.append(int(p))
            else:
                raise WatchlistError(f"birth date {text!r}: {p!r} is not a two-digit month or day")
        while len(nums) < 3:
            nums.append(None)
        year, month, day = nums
        assert year is not None
        if month is None and day is not None:
            day = None  # "1980-XX-17" says no more than the year
        return cls(year, month, day)

    @classmethod
    def coerce(cls, value: PartialDate | date | str | None) -> PartialDate | None:
        if value is None or isinstance(value, PartialDate):
            return value
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return cls(value.year, value.month, value.day)
        return cls.parse(value) if value.strip() else None

    def isoformat(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def __str__(self) -> str:
        return self.isoformat()


def _clean_code(value: str | None) -> str:
    return (value or "").strip().upper().replace("<", "")


@dataclass(frozen=True, slots=True)
class WatchlistEntry:
    """One listed subject. Dates are inclusive; ``None`` means open-ended (or unknown birth date)."""

    entry_id: str
    list: str
    full_name: str
    aliases: tuple[str, ...] = ()
    birth_date: PartialDate | None = None
    nationality: str = ""
    sex: str = ""
    document_numbers: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_until: date | None = None
    agency: str = ""
    reason: str = ""
    instructions: str = ""
    created_by: str = ""
    created_at: datetime | None = None
    changed_by: str = ""
    changed_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.entry_id.strip():
            raise WatchlistError("an entry needs a non-empty entry_id")
        if not LIST_NAME_RE.match(self.list):
            raise WatchlistError(
                f"list {self.list!r} is not a lower-case slug; use one of {', '.join(KNOWN_LISTS)} or similar"
            )
        if not self.full_name.strip():
            raise WatchlistError(f"entry {self.entry_id}: full_name is empty; every subject needs a name")
        if self.sex not in ("", *_SEXES):
            raise WatchlistError(f"entry {self.entry_id}: sex {self.sex!r} must be M, F, X or empty")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise WatchlistError(
                f"entry {self.entry_id}: valid_until {self.valid_until} is before "
                f"valid_from {self.valid_from}; swap or correct the dates"
            )

    def is_valid_on(self, day: date) -> bool:
        """Expired entries and entries not yet valid never hit (issue 7)."""
        if self.valid_from is not None and day < self.valid_from:
            return False
        return not (self.valid_until is not None and day > self.valid_until)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.full_name, *self.aliases)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly fields (dates as ISO strings)."""
        return {
            "entry_id": self.entry_id,
            "list": self.list,
            "full_name": self.full_name,
            "aliases": list(self.aliases),
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "nationality": self.nationality,
            "sex": self.sex,
            "document_numbers": list(self.document_numbers),
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "agency": self.agency,
            "reason": self.reason,
            "instructions": self.instructions,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "changed_by": self.changed_by,
            "changed_at": self.changed_at.isoformat() if self.changed_at else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WatchlistEntry:
        def d(key: str) -> date | None:
            v = data.get(key)
            return date.fromisoformat(v) if v else None

        def dt(key: str) -> datetime | None:
            v = data.get(key)
            return datetime.fromisoformat(v) if v else None

        return cls(
            entry_id=str(data["entry_id"]),
            list=str(data["list"]),
            full_name=str(data["full_name"]),
            aliases=tuple(data.get("aliases") or ()),
            birth_date=PartialDate.coerce(data.get("birth_date")),
            nationality=_clean_code(data.get("nationality")),
            sex=_clean_code(data.get("sex")),
            document_numbers=tuple(data.get("document_numbers") or ()),
            valid_from=d("valid_from"),
            valid_until=d("valid_until"),
            agency=str(data.get("agency") or ""),
            reason=str(data.get("reason") or ""),
            instructions=str(data.get("instructions") or ""),
            created_by=str(data.get("created_by") or ""),
            created_at=dt("created_at"),
            changed_by=str(data.get("changed_by") or ""),
            changed_at=dt("changed_at"),
        )


@dataclass(frozen=True, slots=True)
class Query:
    """Who is being checked: a traveller at a gate or an applicant at a Kanim."""

    full_name: str
    birth_date: PartialDate | None = None
    nationality: str = ""
    sex: str = ""
    document_number: str = ""
    query_id: str = ""

    @classmethod
    def from_mrz_fields(
        cls,
        surname: str,
        given_names: str = "",
        birth_date: PartialDate | date | str | None = None,
        nationality: str = "",
        sex: str = "",
        document_number: str = "",
        *,
        query_id: str = "",
    ) -> Query:
        """Build a query from an MRZ parse. Single-name holders may have everything in one field.

        ``sex`` may be the MRZ's ``<`` (unspecified); ``birth_date`` may be partial or missing.
        """
        name = " ".join(p for p in (surname.replace("<", " "), given_names.replace("<", " ")) if p.strip())
        s = _clean_code(sex)
        return cls(
            full_name=name,
            birth_date=PartialDate.coerce(birth_date),
            nationality=_clean_code(nationality),
            sex=s if s in _SEXES else "",
            document_number=document_number.strip(),
            query_id=query_id,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Query:
        """The JSON query shape of the CLI: ``full_name`` or ``surname`` + ``given_names``."""
        name = data.get("full_name")
        if not name:
            name = " ".join(str(data.get(k) or "") for k in ("surname", "given_names")).strip()
        if not name:
            raise WatchlistError("a query needs full_name, or surname and given_names")
        s = _clean_code(data.get("sex"))
        return cls(
            full_name=str(name),
            birth_date=PartialDate.coerce(data.get("birth_date")),
            nationality=_clean_code(data.get("nationality")),
            sex=s if s in _SEXES else "",
            document_number=str(data.get("document_number") or ""),
            query_id=str(data.get("query_id") or ""),
        )


class HitDetails(Protocol):
    """Where a lazily built ``Hit`` finds its explanation and entry (one object per query)."""

    def why(self, row: int) -> dict[str, Any]: ...

    def entry(self, row: int) -> WatchlistEntry: ...


class Hit:
    """One listed entry that matched a query, with the score and the features behind it.

    ``why`` and ``entry`` may be given, or built on first use from ``details`` (the index does this:
    a common name can draw hundreds of ``mirip`` hits, and a gate reads the entry of one of them).
    Either way they are the same values. Equality and hashing use ``entry_id``, ``score`` and
    ``verdict`` only. Immutable."""

    __slots__ = ("_details", "_entry", "_row", "_why", "entry_id", "score", "verdict")
    entry_id: str
    score: float
    verdict: Verdict
    _why: dict[str, Any] | None
    _entry: WatchlistEntry | None
    _details: HitDetails | None
    _row: int

    def __init__(
        self,
        entry_id: str,
        score: float,
        verdict: Verdict,
        why: dict[str, Any] | None = None,
        entry: WatchlistEntry | None = None,
        *,
        details: HitDetails | None = None,
        row: int = 0,
    ) -> None:
        if details is None and (why is None or entry is None):
            raise WatchlistError("a Hit needs its why and entry, or the details to build them from")
        set_ = object.__setattr__
        set_(self, "entry_id", entry_id)
        set_(self, "score", score)
        set_(self, "verdict", verdict)
        set_(self, "_why", why)
        set_(self, "_entry", entry)
        set_(self, "_details", details)
        set_(self, "_row", row)

    @property
    def why(self) -> dict[str, Any]:
        why: dict[str, Any] | None = self._why
        if why is None:
            assert self._details is not None
            why = self._details.why(self._row)
            object.__setattr__(self, "_why", why)
        return why

    @property
    def entry(self) -> WatchlistEntry:
        entry: WatchlistEntry | None = self._entry
        if entry is None:
            assert self._details is not None
            entry = self._details.entry(self._row)
            object.__setattr__(self, "_entry", entry)
        return entry

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Hit is immutable; cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Hit is immutable; cannot delete {name}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Hit)
        return (self.entry_id, self.score, self.verdict) == (other.entry_id, other.score, other.verdict)

    def __hash__(self) -> int:
        return hash((self.entry_id, self.score, self.verdict))

    def __repr__(self) -> str:
        return f"Hit(entry_id={self.entry_id!r}, score={self.score!r}, verdict={self.verdict!r})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "score": round(self.score, 4),
            "verdict": self.verdict.value,
            "why": self.why,
        }
