"""Stay permits and the overstay charge (SOP-003-A01 step 6, A07)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counter.errors import CounterConfigError, ManualEntryError
from counter.permits import OVERSTAY_LIMIT_DAYS, PermitKind, StayPermit, Tariffs, overstay

TARIFFS = Tariffs("IDR", 1_000_000)


def test_a_permit_is_valid_through_its_expiry_day() -> None:
    permit = StayPermit(PermitKind.ITAS, "2C11AB0001", date(2026, 11, 23))
    assert permit.is_valid_on(date(2026, 11, 23)) and not permit.is_valid_on(date(2026, 11, 24))


def test_an_overstay_of_12_days_costs_12_daily_rates() -> None:
    permit = StayPermit(PermitKind.ITAS, "X1", date(2026, 11, 11))
    result = overstay(permit, date(2026, 11, 23), TARIFFS)
    assert (result.days, result.fee, result.within_sop) == (12, 12 * TARIFFS.overstay_per_day, True)


def test_an_overstay_beyond_60_days_is_referred_without_a_fee() -> None:
    permit = StayPermit(PermitKind.ITAP, "X1", date(2026, 9, 1))
    result = overstay(permit, date(2026, 11, 23), TARIFFS)
    assert result.refer_to_supervisor and result.fee == 0


@settings(max_examples=50)
@given(st.integers(min_value=-30, max_value=200))
def test_overstay_days_never_go_negative_and_fees_stop_at_the_sop_limit(offset: int) -> None:
    expiry = date(2026, 6, 1)
    result = overstay(StayPermit(PermitKind.ITAS, "X", expiry), expiry + timedelta(days=offset), TARIFFS)
    assert result.days == max(0, offset)
    assert result.fee == (result.days * TARIFFS.overstay_per_day if result.days <= OVERSTAY_LIMIT_DAYS else 0)


def test_an_unknown_permit_kind_names_the_kinds_to_choose() -> None:
    with pytest.raises(ManualEntryError, match="itas, itap"):
        StayPermit.parse("kitas-lama", "X1", "2027-01-01")


def test_a_tariff_table_without_a_daily_rate_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('currency = "IDR"\n')
    with pytest.raises(CounterConfigError, match="overstay_per_day"):
        Tariffs.load(path)
