"""Stay permits of foreign residents and the overstay charge at departure (SOP-003-A01-6, A07).

The tariff table has the same shape as central's (``central/workflows/tariffs.example.toml``): the
counter reads only ``currency`` and ``overstay_per_day`` so it can show the fee while offline.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

from counter.errors import CounterConfigError, ManualEntryError

OVERSTAY_LIMIT_DAYS = 60  # SOP-003-A07 covers overstays of no more than 60 days


class PermitKind(StrEnum):
    """SOP-003-A01 step 6: limited (ITAS), permanent (ITAP), diplomatic or service permit."""

    ITAS = "itas"
    ITAP = "itap"
    DIPLOMATIC = "diplomatic"
    SERVICE = "service"
    VISA = "visa"  # SOP-003-A02: priority passengers may hold a visa instead of a permit


PERMIT_LABELS: dict[PermitKind, tuple[str, str]] = {
    PermitKind.ITAS: ("Izin Tinggal Terbatas (ITAS)", "Limited stay permit (ITAS)"),
    PermitKind.ITAP: ("Izin Tinggal Tetap (ITAP)", "Permanent stay permit (ITAP)"),
    PermitKind.DIPLOMATIC: ("Izin Tinggal Diplomatik", "Diplomatic stay permit"),
    PermitKind.SERVICE: ("Izin Tinggal Dinas", "Service stay permit"),
    PermitKind.VISA: ("Visa", "Visa"),
}


@dataclass(frozen=True)
class StayPermit:
    kind: PermitKind
    number: str
    expiry: date

    @classmethod
    def parse(cls, kind: str, number: str, expiry: str) -> StayPermit:
        """From the officer's form; raises ``ManualEntryError`` naming the bad field."""
        try:
            permit_kind = PermitKind(kind.strip().lower())
        except ValueError:
            kinds = ", ".join(k.value for k in PermitKind)
            raise ManualEntryError(f"permit kind {kind!r} is unknown; choose one of {kinds}") from None
        if not number.strip():
            raise ManualEntryError("the permit number is empty; type it from the permit card")
        try:
            day = date.fromisoformat(expiry.strip())
        except ValueError:
            raise ManualEntryError(f"permit expiry {expiry!r} must be a date written YYYY-MM-DD") from None
        return cls(permit_kind, number.strip().upper(), day)

    def is_valid_on(self, day: date) -> bool:
        """Valid through its expiry day inclusive."""
        return day <= self.expiry


@dataclass(frozen=True)
class Tariffs:
    currency: str
    overstay_per_day: int

    @classmethod
    def load(cls, path: Path) -> Tariffs:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise CounterConfigError(f"tariff table {path}: cannot read it ({exc}); fix the file") from exc
        per_day = data.get("overstay_per_day")
        if not isinstance(per_day, int) or isinstance(per_day, bool) or per_day < 0:
            raise CounterConfigError(
                f"tariff table {path}: overstay_per_day must be whole rupiah >= 0, got {per_day!r}"
            )
        return cls(str(data.get("currency", "IDR")), per_day)


@dataclass(frozen=True)
class Overstay:
    """SOP-003-A07 step 4: days past the permit's expiry and the charge, or a referral beyond 60 days."""

    days: int
    fee: int
    currency: str

    @property
    def within_sop(self) -> bool:
        """A07 applies up to 60 days; beyond that the supervisor decides (the seeds give no SOP)."""
        return self.days <= OVERSTAY_LIMIT_DAYS

    @property
    def refer_to_supervisor(self) -> bool:
        return not self.within_sop


def overstay(permit: StayPermit, departure_day: date, tariffs: Tariffs) -> Overstay:
    """Days counted from the day after expiry to the departure day; no fee is computed beyond 60 days."""
    days = max(0, (departure_day - permit.expiry).days)
    fee = days * tariffs.overstay_per_day if days <= OVERSTAY_LIMIT_DAYS else 0
    return Overstay(days, fee, tariffs.currency)
