"""OCR confusions are repaired only where check digits confirm them, and every repair is reported."""

from __future__ import annotations

from core.documents import parse_mrz
from tests.core.documents.specimens import TD1_ERIKSSON, TD3_ERIKSSON, TODAY


def _replace(lines: tuple[str, ...], line: int, column: int, char: str) -> list[str]:
    out = list(lines)
    out[line] = out[line][:column] + char + out[line][column + 1 :]
    return out


def test_letter_o_in_a_birth_date_is_repaired_to_zero() -> None:
    r = parse_mrz(_replace(TD3_ERIKSSON, 1, 15, "O"), today=TODAY)
    assert r.valid
    assert r.lines == TD3_ERIKSSON
    assert [(x.field, x.line, x.column, x.original, x.replacement) for x in r.repairs] == [
        ("birth_date", 2, 16, "O", "0")
    ]


def test_every_confusion_in_numeric_fields_is_repaired_and_reported() -> None:
    lines = _replace(TD1_ERIKSSON, 1, 3, "B")  # birth date 740812 read as 740B12
    lines = _replace(tuple(lines), 1, 13, "S")  # expiry date 120415 read as 12041S
    r = parse_mrz(lines, today=TODAY)
    assert r.lines == TD1_ERIKSSON
    assert {(x.field, x.original) for x in r.repairs} == {("birth_date", "B"), ("expiry_date", "S")}
    assert r.valid


def test_a_letter_check_digit_is_repaired_when_it_then_holds() -> None:
    r = parse_mrz(_replace(TD3_ERIKSSON, 1, 43, "O"), today=TODAY)  # composite 0 read as O
    assert r.valid
    assert [(x.field, x.replacement) for x in r.repairs] == [("composite", "0")]


def test_numeric_repair_that_breaks_the_check_digit_is_refused() -> None:
    # "Z" in the birth date would become 2, but 720812 does not give the check digit 5. (7Z0812 does,
    # by chance: a date with a letter is refused even when its check digit holds.)
    lines = _replace(TD3_ERIKSSON, 1, 14, "Z")
    lines = _replace(tuple(lines), 1, 19, "5")
    r = parse_mrz(lines, today=TODAY)
    assert r.repairs == ()
    assert [(e.field, e.code) for e in r.errors_for("birth_date")] == [("birth_date", "invalid_character")]
    assert r.birth_date is None


def test_document_number_confusion_is_repaired_when_its_check_digit_confirms_it() -> None:
    # L898902C3 with its 0 read as O: the check digit 6 holds only with 0.
    r = parse_mrz(_replace(TD3_ERIKSSON, 1, 5, "O"), today=TODAY)
    assert r.valid
    assert r.document_number == "L898902C3"
    assert [(x.field, x.original, x.replacement) for x in r.repairs] == [("document_number", "O", "0")]


def test_document_number_repair_must_agree_with_the_composite() -> None:
    # A misread check digit (6 -> 7) could be "fixed" by changing the number; the composite refuses it.
    r = parse_mrz(_replace(TD3_ERIKSSON, 1, 9, "7"), today=TODAY)
    assert r.repairs == ()
    assert r.document_number == "L898902C3"
    assert "document_number" in r.error_fields


def test_repair_can_be_turned_off() -> None:
    r = parse_mrz(_replace(TD3_ERIKSSON, 1, 15, "O"), today=TODAY, repair=False)
    assert r.repairs == ()
    assert [(e.field, e.code) for e in r.errors_for("birth_date")] == [("birth_date", "invalid_character")]


def test_valid_text_is_never_repaired() -> None:
    # A valid MRZ with letters that look like digits (the C in L898902C3) stays as read.
    r = parse_mrz(TD3_ERIKSSON, today=TODAY)
    assert r.repairs == ()
