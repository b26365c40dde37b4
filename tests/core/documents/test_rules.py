"""Travel rules for the SOP flows: expiry, remaining validity, DPRI, holder's age."""

from __future__ import annotations

from datetime import date

from core.documents import MrzDate, MrzResult, TravelDocument, parse_mrz, render_mrz
from core.documents.rules import add_months, expires_within, holder_age, is_dpri, is_expired
from tests.core.documents.specimens import TD3_ERIKSSON, TODAY


def _passport(
    expiry: date | MrzDate = date(2030, 1, 2), birth: date | MrzDate = date(1980, 5, 17), state: str = "IDN"
) -> MrzResult:
    doc = TravelDocument("P", state, "SANTOSO", "BUDI", "X1234567", state, birth, "M", expiry)
    return parse_mrz(render_mrz(doc, "TD3"), today=TODAY)


def test_document_is_valid_through_its_expiry_day() -> None:
    assert not is_expired(_passport(expiry=TODAY), TODAY)


def test_document_is_expired_the_day_after() -> None:
    assert is_expired(_passport(expiry=date(2026, 11, 21)), TODAY)


def test_unreadable_expiry_counts_as_expired() -> None:
    lines = list(
        render_mrz(TravelDocument("P", "IDN", "A", "", "X1", "IDN", date(1980, 1, 1), "M", TODAY), "TD3")
    )
    lines[1] = lines[1][:21] + "991399" + lines[1][27:]
    r = parse_mrz(lines, today=TODAY)
    assert r.expiry_date is None
    assert is_expired(r, TODAY)


def test_passport_valid_for_less_than_six_months_expires_within_six() -> None:
    assert expires_within(_passport(expiry=date(2027, 5, 21)), 6, TODAY)


def test_passport_valid_on_the_day_six_months_ahead_does_not_expire_within_six() -> None:
    assert not expires_within(_passport(expiry=date(2027, 5, 22)), 6, TODAY)


def test_expired_passport_expires_within_any_months() -> None:
    assert expires_within(_passport(expiry=date(2020, 1, 1)), 0, TODAY)


def test_add_months_clamps_to_the_end_of_a_short_month() -> None:
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)


def test_indonesian_passport_is_a_dpri() -> None:
    assert is_dpri(_passport())


def test_foreign_passport_is_not_a_dpri() -> None:
    assert not is_dpri(parse_mrz(TD3_ERIKSSON, today=TODAY))


def test_indonesian_identity_card_shape_is_not_a_dpri() -> None:
    doc = TravelDocument(
        "I", "IDN", "SANTOSO", "BUDI", "X1234567", "IDN", date(1980, 5, 17), "M", date(2030, 1, 2)
    )
    assert not is_dpri(parse_mrz(render_mrz(doc, "TD1"), today=TODAY))


def test_holder_age_counts_completed_years() -> None:
    assert holder_age(_passport(birth=date(2008, 11, 22)), TODAY) == 18
    assert holder_age(_passport(birth=date(2008, 11, 23)), TODAY) == 17


def test_holder_age_with_unknown_birth_month_is_the_certain_minimum() -> None:
    assert holder_age(_passport(birth=MrzDate(2008)), TODAY) == 17
