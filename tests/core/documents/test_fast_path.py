"""The fast path for a clean, valid TD3 (issue 3) returns exactly what the general reader returns.

``parse_mrz`` tries the fast path first and falls back to the general reader for anything it does not
accept, so every test compares ``parse_mrz`` with the general reader run on the same lines.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.documents import MrzResult, TravelDocument, normalise_lines, parse_mrz, render_mrz
from core.documents.checkdigit import MRZ_CHARACTERS, check_digit
from core.documents.parser import _fast_td3, _find_window, _read
from tests.core.documents.specimens import TD3_ERIKSSON, TD3_NETHERLANDS_SPECIMEN, TODAY
from tests.core.documents.test_properties import documents

td3_documents = documents(short_numbers=True).filter(lambda case: case[1] == "TD3").map(lambda case: case[0])


def _general(text: str | Sequence[str], *, repair: bool = True) -> MrzResult:
    lines = normalise_lines(text)
    start, count, length = _find_window(lines)
    return _read(lines, start, count, length, today=TODAY, repair=repair)


def _rechecked(lines: Sequence[str]) -> list[str]:
    """``lines`` with line 2's check digits recomputed, so a change reaches the checks behind them."""
    line = lines[1]
    for check, parts in ((9, ((0, 9),)), (19, ((13, 19),)), (27, ((21, 27),)), (42, ((28, 42),))):
        digit = check_digit("".join(line[a:b] for a, b in parts))
        if digit is not None:
            line = line[:check] + digit + line[check + 1 :]
    composite = check_digit(line[0:10] + line[13:20] + line[21:43])
    if composite is not None:
        line = line[:43] + composite
    return [lines[0], line, *lines[2:]]


def _with(lines: Sequence[str], line: int, column: int, char: str) -> list[str]:
    out = list(lines)
    out[line] = out[line][:column] + char + out[line][column + 1 :]
    return out


@pytest.mark.parametrize("lines", [TD3_ERIKSSON, TD3_NETHERLANDS_SPECIMEN], ids=["eriksson", "netherlands"])
def test_fast_path_takes_a_clean_valid_td3(lines: tuple[str, ...]) -> None:
    # Otherwise the comparisons below would only compare the general reader with itself.
    assert _fast_td3(lines[0], lines[1], TODAY) is not None


def test_fast_path_declines_a_td3_with_a_failing_check_digit() -> None:
    assert _fast_td3(TD3_ERIKSSON[0], _with(TD3_ERIKSSON, 1, 9, "7")[1], TODAY) is None


@pytest.mark.parametrize("lines", [TD3_ERIKSSON, TD3_NETHERLANDS_SPECIMEN], ids=["eriksson", "netherlands"])
def test_valid_specimen_parses_as_the_general_reader_does(lines: tuple[str, ...]) -> None:
    assert parse_mrz(lines, today=TODAY) == _general(lines)


def test_reader_text_with_a_stray_line_parses_as_the_general_reader_does() -> None:
    text = "ok\r\n" + TD3_ERIKSSON[0].lower() + "\r\n" + TD3_ERIKSSON[1] + "\r\n"
    result = parse_mrz(text, today=TODAY)
    assert result == _general(text)
    assert result.valid


def test_fast_result_is_immutable() -> None:
    result = parse_mrz(TD3_ERIKSSON, today=TODAY)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.surname = "X"  # type: ignore[misc]
    assert result.birth_date is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.birth_date.year = 1900  # type: ignore[misc]


def test_fast_result_hashes_and_replaces_like_a_dataclass() -> None:
    result = parse_mrz(TD3_ERIKSSON, today=TODAY)
    assert hash(result) == hash(_general(TD3_ERIKSSON))
    assert dataclasses.replace(result, surname="X").surname == "X"


@settings(max_examples=100, deadline=None)
@given(td3_documents)
def test_rendered_td3_parses_as_the_general_reader_does(doc: TravelDocument) -> None:
    lines = render_mrz(doc, "TD3")
    assert parse_mrz(lines, today=TODAY) == _general(lines)


@settings(max_examples=300, deadline=None)
@given(
    td3_documents,
    st.integers(0, 1),
    st.integers(0, 43),
    st.sampled_from([*sorted(MRZ_CHARACTERS), "é", "-"]),
    st.booleans(),
)
def test_one_changed_character_parses_as_the_general_reader_does(
    doc: TravelDocument, line: int, column: int, char: str, repair: bool
) -> None:
    lines = _with(render_mrz(doc, "TD3"), line, column, char)
    assert parse_mrz(lines, today=TODAY, repair=repair) == _general(lines, repair=repair)
    rechecked = _rechecked(lines)
    assert parse_mrz(rechecked, today=TODAY, repair=repair) == _general(rechecked, repair=repair)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([TD3_ERIKSSON, TD3_NETHERLANDS_SPECIMEN]),
    st.sampled_from([13, 21]),
    st.text("0123456789<", min_size=6, max_size=6),
)
def test_any_date_digits_with_holding_check_digits_parse_as_the_general_reader_does(
    lines: tuple[str, ...], start: int, digits: str
) -> None:
    # Line 2 columns 14-19 and 22-27 hold the birth and expiry dates; check digits are made to hold.
    changed = list(lines)
    changed[1] = (changed[1][:start] + digits + changed[1][start + 6 :])[:44]
    changed = _rechecked(changed)
    assert parse_mrz(changed, today=TODAY) == _general(changed)


def test_filler_check_digit_after_a_personal_number_parses_as_the_general_reader_does() -> None:
    # Doc 9303 Part 4: ``<`` is a valid personal-number check digit only when the number is empty.
    line2 = TD3_ERIKSSON[1][:42] + "<"
    composite = check_digit(line2[0:10] + line2[13:20] + line2[21:43])
    assert composite is not None
    lines = [TD3_ERIKSSON[0], line2 + composite]
    result = parse_mrz(lines, today=TODAY)
    assert result == _general(lines)
    assert not result.valid
