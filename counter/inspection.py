"""What the officer checks, with no I/O: the nine passport fields, validity, and the watch-list screen.

SOP-003-A01 main step 1(a): the MRTD reader or manual entry captures nine fields; 1(b): the system
verifies the document data, the last movement and the cegah-tangkal list. The Interpol-style lost and
stolen document list is one more list kind (``interpol``) in the same ``core.watchlist`` engine.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from enum import StrEnum

from core.documents import MrzResult, is_known_code
from core.watchlist import Hit, Query, Verdict, WatchlistIndex
from core.wire.messages import Direction, DocumentFields
from counter.errors import ManualEntryError

PREVENTION = "pencegahan"
DETERRENCE = "penangkalan"
LOST_STOLEN = "interpol"
DOCUMENT_NUMBER = re.compile(r"^[A-Z0-9]{1,20}$")
COUNTRY = re.compile(r"^[A-Z]{1,3}$")


class Source(StrEnum):
    READER = "reader"
    MANUAL = "manual"  # SOP-003-A01 main 1(a): "or enters the data manually"


@dataclass(frozen=True)
class PassportData:
    """The nine fields of SOP §0.4 item 6, as the officer sees them."""

    document_number: str
    document_type: str
    issuing_state: str
    expiry_date: date | None
    given_names: str
    surname: str
    sex: str
    birth_date: date | None
    nationality: str
    source: Source = Source.READER
    mrz_valid: bool = True
    mrz_errors: tuple[str, ...] = ()

    @classmethod
    def from_mrz(cls, result: MrzResult) -> PassportData:
        return cls(
            document_number=result.document_number,
            document_type=result.document_code,
            issuing_state=result.issuing_state,
            expiry_date=result.expiry_date.as_date() if result.expiry_date else None,
            given_names=result.given_names,
            surname=result.surname,
            sex=result.sex,
            birth_date=result.birth_date.as_date() if result.birth_date else None,
            nationality=result.nationality,
            source=Source.READER,
            mrz_valid=result.valid,
            mrz_errors=tuple(e.message for e in result.errors),
        )

    @classmethod
    def from_manual(cls, form: dict[str, str]) -> PassportData:
        """The officer typed the data page (a damaged MRZ); every field is checked, none repaired."""

        def text(key: str) -> str:
            return " ".join(str(form.get(key, "")).upper().split())

        def day(key: str, label: str) -> date:
            raw = text(key)
            try:
                return date.fromisoformat(raw)
            except ValueError:
                raise ManualEntryError(f"{label} {raw!r} must be a date written YYYY-MM-DD") from None

        number = text("document_number").replace(" ", "")
        if not DOCUMENT_NUMBER.match(number):
            raise ManualEntryError(
                f"document number {number!r} must be 1-20 letters and digits; copy it from the data page"
            )
        for key, label in (("issuing_state", "issuing state"), ("nationality", "nationality")):
            code = text(key)
            if not COUNTRY.match(code) or not is_known_code(code):
                raise ManualEntryError(f"{label} {code!r} is not an ICAO country code (e.g. AUS, IDN, D)")
        surname = text("surname")
        if not surname and not text("given_names"):
            raise ManualEntryError("the holder's name is empty; type the surname and given names")
        sex = text("sex") or "<"
        if sex not in ("M", "F", "X", "<"):
            raise ManualEntryError(f"sex {sex!r} must be M, F or X")
        return cls(
            document_number=number,
            document_type=text("document_type") or "P",
            issuing_state=text("issuing_state"),
            expiry_date=day("expiry_date", "expiry date"),
            given_names=text("given_names"),
            surname=surname,
            sex=sex,
            birth_date=day("birth_date", "date of birth"),
            nationality=text("nationality"),
            source=Source.MANUAL,
        )

    @property
    def is_citizen(self) -> bool:
        return self.nationality == "IDN"

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given_names, self.surname) if p)

    def to_wire(self) -> DocumentFields:
        return DocumentFields(
            document_code=self.document_type,
            issuing_state=self.issuing_state,
            document_number=self.document_number,
            nationality=self.nationality,
            surname=self.surname,
            given_names=self.given_names,
            birth_date=self.birth_date.isoformat() if self.birth_date else "",
            sex=self.sex,
            expiry_date=self.expiry_date.isoformat() if self.expiry_date else "",
        )

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["expiry_date"] = self.expiry_date.isoformat() if self.expiry_date else None
        out["birth_date"] = self.birth_date.isoformat() if self.birth_date else None
        out["source"] = self.source.value
        out["mrz_errors"] = list(self.mrz_errors)
        return out


@dataclass(frozen=True)
class Validity:
    """SOP-003-A01 step 3 as far as the data can tell (security features and likeness stay human)."""

    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_validity(passport: PassportData, today: date) -> Validity:
    problems: list[str] = []
    if not passport.mrz_valid:
        problems.append("mrz_invalid")
    if passport.expiry_date is None:
        problems.append("expiry_unreadable")
    elif passport.expiry_date < today:
        problems.append("expired")
    return Validity(tuple(problems))


def lists_for(direction: Direction, passport: PassportData) -> tuple[str, ...]:
    """Which lists a passenger is screened against (catalogue §3.2, A01/A11/A12 step 5, A06 step 4).

    Arrivals: the deterrence list. Departures: the prevention list, and for a foreigner also the
    deterrence list (A06 step 7-WNA). Every passenger: the lost and stolen document list.
    """
    if direction is Direction.ARRIVAL:
        return (DETERRENCE, LOST_STOLEN)
    if passport.is_citizen:
        return (PREVENTION, LOST_STOLEN)
    return (PREVENTION, DETERRENCE, LOST_STOLEN)


@dataclass(frozen=True)
class Screening:
    lists: tuple[str, ...]
    hits: tuple[Hit, ...]
    list_version: int | None

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None

    @property
    def is_identik(self) -> bool:
        return any(h.verdict is Verdict.IDENTIK for h in self.hits)

    def to_dict(self) -> dict[str, object]:
        return {
            "lists": list(self.lists),
            "list_version": self.list_version,
            "hits": [
                {
                    "entry_id": h.entry_id,
                    "list": h.entry.list,
                    "verdict": h.verdict.value,
                    "score": round(h.score, 3),
                    "full_name": h.entry.full_name,
                    "agency": h.entry.agency,
                    "reason": h.entry.reason,
                    "instructions": h.entry.instructions,
                }
                for h in self.hits
            ],
        }


def screen(
    index: WatchlistIndex,
    passport: PassportData,
    direction: Direction,
    today: date,
    *,
    list_version: int | None = None,
) -> Screening:
    lists = lists_for(direction, passport)
    query = Query.from_mrz_fields(
        passport.surname,
        passport.given_names,
        passport.birth_date,
        passport.nationality,
        passport.sex,
        passport.document_number,
    )
    return Screening(lists, tuple(index.match(query, today=today, lists=lists)), list_version)
