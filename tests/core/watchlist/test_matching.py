"""Matching: which queries hit which entries, with which verdict, and why (issue 7)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.watchlist import MatchConfig, PartialDate, Query, Verdict, WatchlistError, WatchlistIndex
from tests.core.watchlist.helpers import TODAY, entry, query

# Fillers make the blocking realistic: the common tokens of the listed names recur among other people.
FILLERS = [
    entry(f"F{i}", f"{first} {last}", birth_date=PartialDate(1960 + i % 40, 1 + i % 12, 1 + i % 28),
          document_numbers=(f"Z{i:07d}",))
    for i, (first, last) in enumerate(
        (f, la)
        for f in ("MUHAMMAD", "SITI", "AHMAD", "DEWI", "BUDI")
        for la in ("PRATAMA", "SANTOSO", "HIDAYAT", "RIZKY", "LESTARI", "WIJAYA")
    )
]  # fmt: skip


def index_of(*entries: object, config: MatchConfig | None = None) -> WatchlistIndex:
    return WatchlistIndex.build([*entries, *FILLERS], config)  # type: ignore[list-item]


def hits_for(idx: WatchlistIndex, q: Query, today: date = TODAY) -> dict[str, Verdict]:
    return {h.entry_id: h.verdict for h in idx.match(q, today=today)}


LISTED = entry()


@pytest.fixture(scope="module")
def idx() -> WatchlistIndex:
    return index_of(LISTED)


def test_same_full_name_birth_date_and_nationality_is_identik(idx: WatchlistIndex) -> None:
    assert hits_for(idx, query())["E1"] is Verdict.IDENTIK


def test_document_number_alone_is_identik_even_with_a_variant_name(idx: WatchlistIndex) -> None:
    q = query("MOCHAMAD RISKY P", birth_date=None, document_number="A 1234567")
    assert hits_for(idx, q)["E1"] is Verdict.IDENTIK


def test_document_number_misread_as_letter_o_still_finds_the_entry() -> None:
    idx = index_of(entry(document_numbers=("X1020304",)))
    assert hits_for(idx, query(document_number="X1O2O3O4"))["E1"] is Verdict.IDENTIK


@pytest.mark.parametrize("name", ["MOHAMMED RIZKY PRATAMA", "MUHAMAD RIZKY PRATAMA", "MOHD RIZKY PRATAMA"])
def test_transliterations_are_identik(idx: WatchlistIndex, name: str) -> None:
    assert hits_for(idx, query(name))["E1"] is Verdict.IDENTIK


@pytest.mark.parametrize(
    "name",
    ["MUHAMMAD RISKY PRATAMA", "MUHAMMAD RIZKY PRATMA", "MUHAMMAD RZIKY PRATAMA", "MUHAMMAD RIZKY PRAATMA"],
)
def test_one_typing_error_is_a_hit(idx: WatchlistIndex, name: str) -> None:
    assert "E1" in hits_for(idx, query(name))


@pytest.mark.parametrize(
    "name", ["MUHAMMAD RISKI PRATAMA", "MUHAMMAD RIZKY PBATANA", "NUHAMMAD RIZKY PRATAMQ"]
)
def test_two_typing_or_ocr_errors_are_a_hit(idx: WatchlistIndex, name: str) -> None:
    assert "E1" in hits_for(idx, query(name))


def test_another_name_with_the_same_birth_date_is_no_hit(idx: WatchlistIndex) -> None:
    assert "E1" not in hits_for(idx, query("MUHAMMAD HIDAYAT WIJAYA"))


def test_swapped_name_order_is_identik(idx: WatchlistIndex) -> None:
    assert hits_for(idx, query("PRATAMA MUHAMMAD RIZKY"))["E1"] is Verdict.IDENTIK


def test_a_missing_name_part_is_mirip_not_identik(idx: WatchlistIndex) -> None:
    assert hits_for(idx, query("MUHAMMAD PRATAMA"))["E1"] is Verdict.MIRIP


def test_an_extra_name_part_is_mirip(idx: WatchlistIndex) -> None:
    assert hits_for(idx, query("MUHAMMAD RIZKY ADI PRATAMA"))["E1"] is Verdict.MIRIP


def test_single_name_holder_in_the_surname_field_matches() -> None:
    idx = index_of(entry("S1", "SUKARNO", birth_date=PartialDate(1961, 6, 6)))
    q = Query.from_mrz_fields("SUKARNO", "", date(1961, 6, 6), "IDN", "M", "")
    assert hits_for(idx, q)["S1"] is Verdict.IDENTIK


def test_day_and_month_swapped_is_mirip() -> None:
    swapped = hits_for(
        index_of(entry(birth_date=PartialDate(1990, 5, 7))), query(birth_date=PartialDate(1990, 7, 5))
    )
    assert swapped["E1"] is Verdict.MIRIP


def test_only_the_birth_year_known_is_mirip(idx: WatchlistIndex) -> None:
    assert hits_for(idx, query(birth_date=PartialDate(1990)))["E1"] is Verdict.MIRIP


def test_listed_year_only_matches_a_full_query_date() -> None:
    idx = index_of(entry(birth_date=PartialDate(1990)))
    assert hits_for(idx, query())["E1"] is Verdict.MIRIP


def test_same_name_with_another_birth_date_is_no_hit(idx: WatchlistIndex) -> None:
    assert "E1" not in hits_for(idx, query(birth_date=PartialDate(1991, 2, 3)))
    assert "E1" not in hits_for(idx, query(birth_date=PartialDate(1990, 9, 3)))


def test_same_name_and_birth_date_but_other_nationality_is_mirip(idx: WatchlistIndex) -> None:
    assert hits_for(idx, query(nationality="MYS"))["E1"] is Verdict.MIRIP


def test_an_alias_is_matched_like_the_main_name() -> None:
    idx = index_of(entry(aliases=("BUDI HARTONO WIBISONO",)))
    hits = idx.match(query("BUDI HARTONO WIBISONO"), today=TODAY)
    assert hits[0].entry_id == "E1"
    assert hits[0].why["name"]["listed"] == "BUDI HARTONO WIBISONO"


def test_expired_entries_never_hit() -> None:
    idx = index_of(entry(valid_until=TODAY - timedelta(days=1)))
    assert hits_for(idx, query(document_number="A1234567")) == {}


def test_entries_not_yet_valid_never_hit() -> None:
    idx = index_of(entry(valid_from=TODAY + timedelta(days=1)))
    assert hits_for(idx, query()) == {}


def test_validity_days_are_inclusive() -> None:
    idx = index_of(entry(valid_from=TODAY, valid_until=TODAY))
    assert "E1" in hits_for(idx, query())


def test_lists_filter_limits_the_check_to_the_named_lists() -> None:
    idx = index_of(entry(list="penangkalan"))
    assert idx.match(query(), today=TODAY, lists=["pencegahan"]) == []
    assert [h.entry_id for h in idx.match(query(), today=TODAY, lists=["penangkalan"])] == ["E1"]


def test_hits_are_sorted_identik_first_then_by_score() -> None:
    idx = index_of(entry("A"), entry("B", birth_date=PartialDate(1990)))
    hits = idx.match(query(), today=TODAY)
    assert [(h.entry_id, h.verdict) for h in hits] == [("A", Verdict.IDENTIK), ("B", Verdict.MIRIP)]


def test_why_explains_every_feature(idx: WatchlistIndex) -> None:
    [hit] = [h for h in idx.match(query(birth_date=PartialDate(1990)), today=TODAY) if h.entry_id == "E1"]
    assert hit.why["birth_date"] == "partial"
    assert hit.why["nationality"] == "agree" and hit.why["sex"] == "agree"
    assert hit.why["document"] == "not given"
    assert hit.why["name"]["score"] == 1.0
    assert hit.entry.agency == "Komisi Pemberantasan Korupsi"


def test_a_stricter_threshold_turns_a_mirip_into_no_hit(idx: WatchlistIndex) -> None:
    strict = idx.with_config(MatchConfig(mirip_threshold=0.99))
    assert "E1" not in hits_for(strict, query("MUHAMMAD PRATAMA"))


def test_weights_must_sum_to_one() -> None:
    with pytest.raises(WatchlistError, match="sum to 1"):
        MatchConfig(weight_name=0.9)


def test_from_mrz_fields_treats_fillers_and_unspecified_sex() -> None:
    q = Query.from_mrz_fields("PRATAMA", "MUHAMMAD<RIZKY", "1990-05-17", "IDN", "<", "A1234567<")
    assert (q.full_name, q.sex, q.birth_date) == ("PRATAMA MUHAMMAD RIZKY", "", PartialDate(1990, 5, 17))
