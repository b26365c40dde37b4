"""Travel rules the SOPs ask of a parsed document: expiry, remaining validity, DPRI, the holder's age.

SOP-003-A08 main step 1: the autogate reads the MRZ and "checks the validity and expiry" of the DPRI,
and serves only Indonesian citizens holding one. The counters (A01/A02, step 3) check validity and
expiry too; some flows refuse passports valid for less than 6 months, hence ``expires_within``.
Partial dates are judged conservatively: a document is only called unexpired, and a holder only
given an age, when that is true for every day the partial date could be.
"""

from __future__ import annotations

import calendar
from datetime import date

from core.documents.model import MrzResult


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, clamped to the month's end (31 Aug + 6 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_expired(result: MrzResult, today: date) -> bool:
    """Whether the document is past its expiry date (it is valid through that day).

    An unreadable expiry date counts as expired: the gate must not pass a document it cannot date
    (SOP-003-A08 step 3: an invalid scan keeps the entrance door shut). A partial expiry date counts
    as expired from the day after the earliest day it could be.
    """
    if result.expiry_date is None:
        return True
    return today > result.expiry_date.earliest()


def expires_within(result: MrzResult, months: int, today: date) -> bool:
    """Whether the document expires before ``months`` calendar months from ``today`` have passed.

    With ``months=6``: true when the passport is valid for less than six months (expired ones too),
    false when it is valid on the day six months from today.
    """
    if result.expiry_date is None:
        return True
    return result.expiry_date.earliest() < add_months(today, months)


def is_dpri(result: MrzResult) -> bool:
    """Whether this is an Indonesian travel document (DPRI): issued by ``IDN``, a passport (``P...``)."""
    return result.issuing_state == "IDN" and result.document_code.startswith("P")


def holder_age(result: MrzResult, today: date) -> int | None:
    """The holder's age in completed years on ``today``, or ``None`` if the birth date is unreadable.

    With a partial birth date this is the age the holder has reached for certain (counted from the
    latest day the birth date could be).
    """
    if result.birth_date is None:
        return None
    born = result.birth_date.latest()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
