"""The list CSV: every bad row reported, good rows loaded, and what is written reads back the same."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.watchlist import (
    PartialDate,
    WatchlistCsvError,
    load_entries_csv,
    parse_entries_csv,
    write_entries_csv,
)
from tests.core.watchlist.helpers import entry

HEADER = (
    "entry_id,list,full_name,aliases,birth_date,nationality,sex,document_numbers,"
    "valid_from,valid_until,agency,reason,instructions\n"
)


def test_a_good_row_loads_with_aliases_documents_and_year_only_birth_date() -> None:
    text = (
        HEADER
        + "C1,pencegahan,Budi Santoso,Budi S|B. Santoso,1975,IDN,M,A123|B456,2025-01-01,,KPK,korupsi,tahan\n"
    )
    [e] = load_entries_csv(text)
    assert e.aliases == ("Budi S", "B. Santoso")
    assert e.document_numbers == ("A123", "B456")
    assert e.birth_date == PartialDate(1975)
    assert e.valid_from == date(2025, 1, 1) and e.valid_until is None


def test_every_bad_value_is_reported_with_its_line_and_column() -> None:
    text = (
        HEADER
        + "C1,pencegahan,Budi,,1975-13-01,IDN,M,,,,,,\n"
        + "C2,pencegahan,,,,INDONESIA,Q,,2025-02-30,,,,\n"
        + "C3,penangkalan,John Smith,,1980-01-01,AUS,M,,,,,,\n"
    )
    result = parse_entries_csv(text)
    assert [e.entry_id for e in result.entries] == ["C3"]
    found = {(err.line, err.column) for err in result.errors}
    assert found == {(2, "birth_date"), (3, "full_name"), (3, "nationality"), (3, "sex"), (3, "valid_from")}


def test_load_refuses_the_whole_file_when_a_row_is_bad() -> None:
    with pytest.raises(WatchlistCsvError) as caught:
        load_entries_csv(HEADER + "C1,pencegahan,Budi,,1975,IDN,M,,2026-01-01,2025-01-01,,,\n")
    assert caught.value.errors[0].column == "valid_until"
    assert "before valid_from" in str(caught.value)


def test_duplicate_entry_ids_are_errors() -> None:
    rows = "C1,pencegahan,Budi,,,,,,,,,,\nC1,pencegahan,Ani,,,,,,,,,,\n"
    result = parse_entries_csv(HEADER + rows)
    assert [(e.line, e.column) for e in result.errors] == [(3, "entry_id")]


def test_a_missing_column_is_reported_once_per_column() -> None:
    result = parse_entries_csv("entry_id,list,full_name\nC1,pencegahan,Budi\n")
    assert {e.column for e in result.errors} >= {"birth_date", "instructions"}
    assert result.entries == []


def test_other_list_names_are_allowed_but_must_be_slugs() -> None:
    ok = parse_entries_csv(HEADER + "C1,interpol,Budi,,,,,,,,,,\nC2,Red Notice!,Ani,,,,,,,,,,\n")
    assert [e.list for e in ok.entries] == ["interpol"]
    assert [e.column for e in ok.errors] == ["list"]


def test_a_path_is_read_as_a_file(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(HEADER + "C1,pencegahan,Budi,,,,,,,,,,\n", encoding="utf-8")
    assert [e.entry_id for e in load_entries_csv(str(path))] == ["C1"]


_names = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll"), max_codepoint=0x24F), min_size=1, max_size=12
)


@settings(max_examples=40)
@given(
    name=_names,
    aliases=st.lists(_names, max_size=2),
    birth=st.one_of(st.none(), st.builds(PartialDate, st.integers(1900, 2020))),
    docs=st.lists(st.from_regex(r"[A-Z][0-9]{7}", fullmatch=True), max_size=2),
)
def test_written_entries_read_back_identical(
    name: str, aliases: list[str], birth: PartialDate | None, docs: list[str]
) -> None:
    original = entry("X1", name, aliases=tuple(aliases), birth_date=birth, document_numbers=tuple(docs))
    buffer = io.StringIO()
    write_entries_csv([original], buffer)
    assert load_entries_csv(buffer.getvalue()) == [original]
