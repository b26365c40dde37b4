"""The nine fields, validity and the list screen (SOP-003-A01 main 1(a)/(b), catalogue §3.2)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.documents import parse_mrz, render_mrz
from core.watchlist import WatchlistIndex
from core.wire.messages import Direction
from counter.errors import ManualEntryError
from counter.inspection import (
    DETERRENCE,
    LOST_STOLEN,
    PREVENTION,
    PassportData,
    Source,
    check_validity,
    lists_for,
    screen,
)
from tests.counter.conftest import ENTRIES, TODAY, passport

FORM = {
    "document_number": "pa1234567",
    "document_type": "P",
    "issuing_state": "AUS",
    "expiry_date": "2030-01-01",
    "given_names": "jane",
    "surname": "citizen",
    "sex": "F",
    "birth_date": "1985-06-01",
    "nationality": "AUS",
}


def read(**kwargs: object) -> PassportData:
    return PassportData.from_mrz(parse_mrz(render_mrz(passport(**kwargs), "TD3"), today=TODAY))  # type: ignore[arg-type]


def test_the_reader_gives_the_nine_fields() -> None:
    data = read()
    assert (data.document_number, data.document_type, data.issuing_state, data.expiry_date) == (
        "PA1234567",
        "P",
        "AUS",
        date(2030, 1, 1),
    )
    assert (data.given_names, data.surname, data.sex, data.birth_date, data.nationality) == (
        "JANE",
        "CITIZEN",
        "F",
        date(1985, 6, 1),
        "AUS",
    )


def test_manual_entry_gives_the_same_fields_as_the_reader() -> None:
    typed = PassportData.from_manual(FORM)
    assert typed.source is Source.MANUAL
    assert typed.to_wire() == read().to_wire()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("document_number", "PA-12", "document number"),
        ("nationality", "XYZ", "nationality"),
        ("expiry_date", "01/01/2030", "expiry date"),
        ("sex", "Q", "sex"),
    ],
)
def test_manual_entry_names_the_bad_field(field: str, value: str, message: str) -> None:
    with pytest.raises(ManualEntryError, match=message):
        PassportData.from_manual({**FORM, field: value})


@settings(max_examples=40)
@given(st.dictionaries(st.sampled_from(sorted(FORM)), st.text(max_size=12)))
def test_manual_entry_either_accepts_or_says_what_is_wrong(overrides: dict[str, str]) -> None:
    try:
        data = PassportData.from_manual({**FORM, **overrides})
    except ManualEntryError as exc:
        assert str(exc)
    else:
        assert data.document_number.isalnum()


def test_an_expired_passport_is_not_valid() -> None:
    assert check_validity(read(expiry=date(2026, 1, 1)), TODAY).problems == ("expired",)


def test_a_foreigner_arriving_is_screened_against_deterrence_and_lost_documents() -> None:
    assert lists_for(Direction.ARRIVAL, read()) == (DETERRENCE, LOST_STOLEN)


def test_a_citizen_departing_is_screened_against_prevention_and_lost_documents() -> None:
    assert lists_for(Direction.DEPARTURE, read(nationality="IDN")) == (PREVENTION, LOST_STOLEN)


def test_a_deterred_foreigner_is_an_identik_hit_on_arrival() -> None:
    index = WatchlistIndex.build(ENTRIES)
    found = screen(
        index,
        read(
            number="RU7654321",
            nationality="RUS",
            surname="PETROV",
            given="VIKTOR",
            birth=date(1975, 3, 14),
            sex="M",
        ),
        Direction.ARRIVAL,
        TODAY,
    )
    assert found.is_identik and found.best is not None and found.best.entry_id == "WL-TANGKAL-1"


def test_a_stolen_document_is_a_hit_on_the_lost_and_stolen_list() -> None:
    index = WatchlistIndex.build(ENTRIES)
    found = screen(
        index,
        read(number="C01X00T47", nationality="D", surname="MUELLER", given="ANNA", birth=date(1990, 1, 2)),
        Direction.ARRIVAL,
        TODAY,
    )
    assert found.best is not None and found.best.entry.list == LOST_STOLEN


def test_an_unlisted_traveller_has_no_hit() -> None:
    assert screen(WatchlistIndex.build(ENTRIES), read(), Direction.ARRIVAL, TODAY).hits == ()
