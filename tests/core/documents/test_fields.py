"""Dates with century inference and partial dates, country codes, names, sex and document codes."""

from __future__ import annotations

from datetime import date

import pytest

from core.documents import MrzDate, TravelDocument, check_digit, parse_mrz, render_mrz
from tests.core.documents.specimens import TODAY


def _td3(**changes: object) -> list[str]:
    fields: dict[str, object] = {
        "document_code": "P",
        "issuing_state": "IDN",
        "surname": "SANTOSO",
        "given_names": "BUDI",
        "document_number": "X1234567",
        "nationality": "IDN",
        "birth_date": date(1980, 5, 17),
        "sex": "M",
        "expiry_date": date(2030, 1, 2),
    }
    fields.update(changes)
    return render_mrz(TravelDocument(**fields), "TD3")  # type: ignore[arg-type]


def test_birth_date_in_the_current_century_when_not_in_the_future() -> None:
    r = parse_mrz(_td3(birth_date=date(2020, 2, 29)), today=TODAY)
    assert r.birth_date == MrzDate(2020, 2, 29)


def test_birth_date_later_this_century_than_today_is_last_century() -> None:
    r = parse_mrz(_td3(birth_date=date(1930, 1, 1)), today=TODAY)
    assert r.birth_date == MrzDate(1930, 1, 1)


def test_birth_date_later_this_year_than_today_is_last_century() -> None:
    r = parse_mrz(_td3(birth_date=date(1926, 12, 1)), today=TODAY)
    assert r.birth_date == MrzDate(1926, 12, 1)


def test_expiry_date_may_be_in_the_future() -> None:
    r = parse_mrz(_td3(expiry_date=date(2036, 11, 21)), today=TODAY)
    assert r.expiry_date == MrzDate(2036, 11, 21)


def test_expiry_date_far_in_the_past_is_last_century() -> None:
    r = parse_mrz(_td3(expiry_date=date(1985, 6, 1)), today=TODAY)
    assert r.expiry_date == MrzDate(1985, 6, 1)


def test_unknown_birth_month_and_day_are_kept_as_a_partial_date() -> None:
    r = parse_mrz(_td3(birth_date=MrzDate(1970)), today=TODAY)
    assert r.lines[1][13:19] == "70<<<<"
    assert r.birth_date == MrzDate(1970, None, None)
    assert r.birth_date.as_date() is None
    assert [(e.field, e.code) for e in r.errors] == [("birth_date", "partial_date")]
    assert r.to_dict()["birth_date"] == {"year": 1970, "month": None, "day": None}


def test_unknown_day_written_as_zeros_is_a_partial_date() -> None:
    lines = _td3(birth_date=MrzDate(1970, 3))
    zeros = lines[1][:17] + "00"
    lines[1] = zeros + str(check_digit("700300")) + lines[1][20:]
    r = parse_mrz(lines, today=TODAY, repair=False)
    assert r.birth_date == MrzDate(1970, 3, None)
    assert ("birth_date", "partial_date") in [(e.field, e.code) for e in r.errors]


def test_impossible_date_is_an_error_not_a_crash() -> None:
    lines = _td3()
    lines[1] = lines[1][:13] + "801332" + str(check_digit("801332")) + lines[1][20:]
    r = parse_mrz(lines, today=TODAY)
    assert r.birth_date is None
    assert ("birth_date", "invalid_date") in [(e.field, e.code) for e in r.errors]


def test_full_dates_are_iso_strings_in_the_json_shape() -> None:
    d = parse_mrz(_td3(), today=TODAY).to_dict()
    assert (d["birth_date"], d["expiry_date"]) == ("1980-05-17", "2030-01-02")


@pytest.mark.parametrize(
    "code", ["D", "GBD", "GBN", "GBO", "GBP", "GBS", "UNO", "UNA", "UNK", "XXA", "XXB", "XXC", "XXX", "EUE"]
)
def test_icao_special_codes_are_accepted(code: str) -> None:
    r = parse_mrz(_td3(issuing_state=code, nationality=code), today=TODAY)
    assert r.valid
    assert (r.issuing_state, r.nationality) == (code, code)


def test_germany_is_written_d_with_fillers() -> None:
    lines = _td3(issuing_state="D")
    assert lines[0][2:5] == "D<<"


def test_unknown_country_code_is_an_error_not_a_crash() -> None:
    r = parse_mrz(_td3(nationality="ZZZ"), today=TODAY)
    assert [(e.field, e.code) for e in r.errors] == [("nationality", "unknown_code")]
    assert r.nationality == "ZZZ"


def test_single_name_holder_as_primary_identifier() -> None:
    r = parse_mrz(_td3(surname="SUKARNO", given_names=""), today=TODAY)
    assert (r.surname, r.given_names) == ("SUKARNO", "")
    assert r.valid


def test_single_name_holder_as_secondary_identifier() -> None:
    r = parse_mrz(_td3(surname="", given_names="SUKARNO"), today=TODAY)
    assert r.lines[0][5:15] == "<<SUKARNO<"
    assert (r.surname, r.given_names) == ("", "SUKARNO")
    assert r.valid


def test_multiple_surnames_and_given_names_are_joined_by_spaces() -> None:
    r = parse_mrz(_td3(surname="DE LA CRUZ", given_names="MARIA ISABEL SITI"), today=TODAY)
    assert (r.surname, r.given_names) == ("DE LA CRUZ", "MARIA ISABEL SITI")


def test_name_filling_the_whole_field_is_flagged_as_truncated() -> None:
    r = parse_mrz(_td3(surname="WIRJOSANDJOJO", given_names="RADEN AJENG KARTINI PURNAMASARI"), today=TODAY)
    assert r.name_truncated
    assert r.lines[0].endswith("KARTINI<PURN")
    assert r.valid


def test_name_with_room_left_is_not_truncated() -> None:
    assert not parse_mrz(_td3(), today=TODAY).name_truncated


def test_digit_in_a_name_is_an_error() -> None:
    lines = _td3()
    lines[0] = lines[0][:6] + "0" + lines[0][7:]
    r = parse_mrz(lines, today=TODAY)
    assert [(e.field, e.code) for e in r.errors] == [("surname", "invalid_character")]


@pytest.mark.parametrize("sex", ["M", "F", "X", "<"])
def test_every_doc_9303_sex_is_accepted(sex: str) -> None:
    r = parse_mrz(_td3(sex=sex), today=TODAY)
    assert r.valid and r.sex == sex


def test_other_sex_letter_is_an_error() -> None:
    lines = _td3()
    lines[1] = lines[1][:20] + "H" + lines[1][21:]
    r = parse_mrz(lines, today=TODAY)
    assert [(e.field, e.code) for e in r.errors] == [("sex", "invalid_sex")]


def test_passport_shape_with_a_card_document_code_is_an_error() -> None:
    r = parse_mrz(_td3(document_code="I"), today=TODAY)
    assert [(e.field, e.code) for e in r.errors] == [("document_code", "invalid_document_code")]
