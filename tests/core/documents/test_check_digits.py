"""Doc 9303 Part 3 check digits, and each failing one reported by its field."""

from __future__ import annotations

import pytest

from core.documents import check_digit, parse_mrz
from tests.core.documents.specimens import TD1_ERIKSSON, TD2_ERIKSSON, TD3_ERIKSSON, TODAY


@pytest.mark.parametrize(
    ("data", "digit"),
    [("L898902C3", "6"), ("740812", "2"), ("120415", "9"), ("ZE184226B<<<<<", "1"), ("D23145890734", "9")],
)
def test_check_digit_matches_doc_9303_examples(data: str, digit: str) -> None:
    assert check_digit(data) == digit


def test_check_digit_weighs_7_3_1_with_letters_from_10() -> None:
    # A=10, B=11, <=0: 10*7 + 11*3 + 0*1 = 103.
    assert check_digit("AB<") == "3"


def test_check_digit_of_text_with_a_non_mrz_character_is_none() -> None:
    assert check_digit("L89*") is None


def _replace(lines: tuple[str, ...], line: int, column: int, char: str) -> list[str]:
    out = list(lines)
    out[line] = out[line][:column] + char + out[line][column + 1 :]
    return out


@pytest.mark.parametrize(
    ("column", "field"),
    [
        (9, "document_number"),
        (19, "birth_date"),
        (27, "expiry_date"),
        (42, "optional_data"),
        (43, "composite"),
    ],
)
def test_td3_failing_check_digit_is_reported_by_field(column: int, field: str) -> None:
    wrong = "7" if TD3_ERIKSSON[1][column] != "7" else "8"
    r = parse_mrz(_replace(TD3_ERIKSSON, 1, column, wrong), today=TODAY)
    assert not r.valid
    # The composite covers the other check digits, so it fails with them.
    expected = [(field, "check_digit")] + ([("composite", "check_digit")] if field != "composite" else [])
    assert [(e.field, e.code) for e in r.errors] == expected


def test_td3_empty_personal_number_accepts_a_filler_check_digit() -> None:
    lines = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159<<<<<<<<<<<<<<<0")
    composite = check_digit(lines[1][0:10] + lines[1][13:20] + lines[1][21:43])
    r = parse_mrz([lines[0], lines[1][:43] + str(composite)], today=TODAY)
    assert r.valid
    assert r.optional_data == ""


def test_td3_personal_number_with_a_filler_check_digit_is_an_error() -> None:
    r = parse_mrz(_replace(TD3_ERIKSSON, 1, 42, "<"), today=TODAY)
    assert ("optional_data", "check_digit") in [(e.field, e.code) for e in r.errors]


def test_td1_optional_data_change_breaks_only_the_composite() -> None:
    # "B" (11) at weight 7: a change the check digit can see ("A", 10 x 7 = 70, would slip through).
    r = parse_mrz(_replace(TD1_ERIKSSON, 0, 20, "B"), today=TODAY)
    assert [(e.field, e.code) for e in r.errors] == [("composite", "check_digit")]
    assert r.optional_data == "B"


def test_td2_birth_date_check_digit_is_reported_by_field() -> None:
    r = parse_mrz(_replace(TD2_ERIKSSON, 1, 19, "3"), today=TODAY)
    assert ("birth_date", "check_digit") in [(e.field, e.code) for e in r.errors]


def test_check_digit_error_message_says_what_the_digit_should_be() -> None:
    r = parse_mrz(_replace(TD3_ERIKSSON, 1, 19, "3"), today=TODAY)
    assert "should be 2" in r.errors_for("birth_date")[0].message
