"""Readers' noise is normalised away; only text with no MRZ shape raises the typed error."""

from __future__ import annotations

import pytest

from core.documents import DocumentError, MrzFormatError, normalise_lines, parse_mrz
from tests.core.documents.specimens import TD1_ERIKSSON, TD3_ERIKSSON, TODAY


def test_lower_case_spaces_tabs_and_crlf_are_normalised() -> None:
    noisy = (
        " p<uto eriksson<<anna<maria<<<<<<<<<<<<<<<<<<<\t\r\n"
        "L898902C36 UTO7408122F1204159ZE184226B<<<<<10\r\n"
    )
    r = parse_mrz(noisy, today=TODAY)
    assert r.lines == TD3_ERIKSSON
    assert r.valid and r.repairs == ()


def test_reader_underscore_padding_reads_as_filler() -> None:
    r = parse_mrz([line.replace("<", "_") for line in TD3_ERIKSSON], today=TODAY)
    assert r.lines == TD3_ERIKSSON
    assert r.valid


def test_reader_control_characters_are_dropped() -> None:
    r = parse_mrz("\x02" + "\r".join(TD1_ERIKSSON) + "\x03", today=TODAY)
    assert r.lines == TD1_ERIKSSON


def test_stray_leading_and_trailing_lines_are_ignored() -> None:
    r = parse_mrz(["READER OK", "", *TD3_ERIKSSON, "END"], today=TODAY)
    assert r.format == "TD3"
    assert r.valid


def test_lines_joined_without_breaks_are_split() -> None:
    r = parse_mrz("".join(TD1_ERIKSSON), today=TODAY)
    assert r.format == "TD1"
    assert r.valid


def test_trailing_fillers_dropped_by_the_reader_are_restored_and_reported() -> None:
    r = parse_mrz([TD3_ERIKSSON[0].rstrip("<"), TD3_ERIKSSON[1]], today=TODAY)
    assert r.valid
    assert r.lines == TD3_ERIKSSON
    assert [(x.field, x.reason) for x in r.repairs] == [("line1", "trailing fillers the reader dropped")]


def test_lines_given_as_a_sequence_may_hold_line_breaks() -> None:
    assert normalise_lines(["A\nB", "C"]) == ["A", "B", "C"]


@pytest.mark.parametrize("text", ["", "hello world", "P<UTO\nL898", "X" * 50, "\n\n\n"])
def test_text_without_an_mrz_shape_raises_the_typed_error(text: str) -> None:
    with pytest.raises(MrzFormatError) as caught:
        parse_mrz(text, today=TODAY)
    assert isinstance(caught.value, DocumentError) and isinstance(caught.value, ValueError)
    assert "rescan" in str(caught.value)


def test_lines_that_are_not_text_raise_the_typed_error() -> None:
    with pytest.raises(MrzFormatError):
        parse_mrz([b"P<UTO"], today=TODAY)  # type: ignore[list-item]
