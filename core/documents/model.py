"""What a parse returns: the result, its dates, its errors and the OCR repairs that were made."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

MrzFormat = Literal["TD1", "TD2", "TD3", "MRVA", "MRVB"]


@dataclass(frozen=True, slots=True)
class MrzDate:
    """A date from an MRZ whose day or month may be unknown (fillers ``<<`` in the MRZ).

    ``year`` is always known (the two MRZ digits with the century inferred). A full date converts to
    ``datetime.date``; a partial one does not, and says so with ``None``.
    """

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def from_date(cls, value: date) -> MrzDate:
        return cls(value.year, value.month, value.day)

    @property
    def is_partial(self) -> bool:
        return self.month is None or self.day is None

    def as_date(self) -> date | None:
        """The ``datetime.date``, or ``None`` when the month or day is unknown."""
        if self.month is None or self.day is None:
            return None
        return date(self.year, self.month, self.day)

    def isoformat(self) -> str:
        """``YYYY-MM-DD``; unknown parts are written ``XX`` (``1974-XX-XX``)."""
        month = "XX" if self.month is None else f"{self.month:02d}"
        day = "XX" if self.day is None else f"{self.day:02d}"
        return f"{self.year:04d}-{month}-{day}"

    def to_json(self) -> str | dict[str, int | None]:
        """A full date as ``"YYYY-MM-DD"``; a partial one as ``{"year", "month", "day"}`` with ``null``s."""
        if self.month is None or self.day is None:
            return {"year": self.year, "month": self.month, "day": self.day}
        return self.isoformat()

    def earliest(self) -> date:
        """The first day the partial date could be (1 January for an unknown month)."""
        month = self.month or 1
        return date(self.year, month, self.day or 1)

    def latest(self) -> date:
        """The last day the partial date could be (31 December for an unknown month)."""
        month = self.month or 12
        return date(self.year, month, self.day or calendar.monthrange(self.year, month)[1])


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field. ``code`` is stable (see docs/documents.md); ``message`` is for people."""

    field: str
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class Repair:
    """One character the parser changed: ``original`` at ``line`` (1-based), ``column`` (1-based)."""

    field: str
    line: int
    column: int
    original: str
    replacement: str
    reason: str

    def to_dict(self) -> dict[str, str | int]:
        return {
            "field": self.field,
            "line": self.line,
            "column": self.column,
            "from": self.original,
            "to": self.replacement,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class MrzResult:
    """One parsed MRZ. ``valid`` is true exactly when ``errors`` is empty.

    Text fields have fillers removed: ``document_code`` ``"P"``, ``issuing_state`` ``"D"`` (Germany),
    names with single spaces. ``sex`` is ``"M"``, ``"F"``, ``"X"`` or ``"<"`` (unspecified). A date that
    could not be read at all is ``None``. ``lines`` are the normalised lines with every repair applied.
    """

    format: MrzFormat
    document_code: str
    issuing_state: str
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: MrzDate | None
    sex: str
    expiry_date: MrzDate | None
    optional_data: str
    valid: bool
    errors: tuple[FieldError, ...]
    repairs: tuple[Repair, ...]
    lines: tuple[str, ...]
    optional_data_2: str = ""
    name_truncated: bool = False

    def errors_for(self, field: str) -> tuple[FieldError, ...]:
        return tuple(e for e in self.errors if e.field == field)

    @property
    def error_fields(self) -> frozenset[str]:
        return frozenset(e.field for e in self.errors)

    def to_dict(self) -> dict[str, Any]:
        """The ``python -m core mrz`` JSON shape (see docs/documents.md)."""
        return {
            "format": self.format,
            "document_code": self.document_code,
            "issuing_state": self.issuing_state,
            "surname": self.surname,
            "given_names": self.given_names,
            "document_number": self.document_number,
            "nationality": self.nationality,
            "birth_date": None if self.birth_date is None else self.birth_date.to_json(),
            "sex": self.sex,
            "expiry_date": None if self.expiry_date is None else self.expiry_date.to_json(),
            "optional_data": self.optional_data,
            "valid": self.valid,
            "errors": [e.to_dict() for e in self.errors],
            "repairs": [r.to_dict() for r in self.repairs],
        }
