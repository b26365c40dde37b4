"""The passenger population: seeded, shared out between gates without overlap, following the mix."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.population import EXPECTED, Kind, Population, PopulationError


def test_the_same_seed_gives_the_same_passengers() -> None:
    a = Population({"valid": 1, "expired": 1}, seed=5).passengers(30)
    b = Population({"valid": 1, "expired": 1}, seed=5).passengers(30)
    assert a == b


def test_a_different_seed_gives_different_passengers() -> None:
    a = Population({"valid": 1, "expired": 1}, seed=5).passengers(30)
    b = Population({"valid": 1, "expired": 1}, seed=6).passengers(30)
    assert a != b


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), gates=st.integers(1, 5), count=st.integers(0, 40))
def test_gate_shares_partition_the_site_passengers(seed: int, gates: int, count: int) -> None:
    population = Population({"valid": 3, "impostor": 1, "foreign": 1}, seed=seed, gates=gates)
    shares = [population.share(count, i) for i in range(gates)]
    indices = sorted(p.index for share in shares for p in share)
    assert indices == list(range(count))
    assert sorted((p for share in shares for p in share), key=lambda p: p.index) == population.passengers(
        count
    )


def test_arrivals_are_in_order() -> None:
    passengers = Population({"valid": 1}, seed=1).passengers(50)
    times = [p.arrival_s for p in passengers]
    assert times == sorted(times) and times[0] > 0


def test_only_kinds_with_weight_appear() -> None:
    kinds = {p.kind for p in Population({"valid": 1, "expired": 0}, seed=2).passengers(100)}
    assert kinds == {Kind.VALID}


def test_the_mix_is_followed_roughly() -> None:
    counts = Counter(p.kind for p in Population({"valid": 3, "foreign": 1}, seed=3).passengers(2000))
    assert 0.70 < counts[Kind.VALID] / 2000 < 0.80


def test_an_unknown_kind_is_refused_by_name() -> None:
    with pytest.raises(PopulationError, match="'vip'"):
        Population({"vip": 1}, seed=1)


def test_a_mix_without_weight_is_refused() -> None:
    with pytest.raises(PopulationError, match="no positive weight"):
        Population({"valid": 0}, seed=1)


def test_expired_passports_are_past_their_expiry_date() -> None:
    population = Population({"expired": 1, "valid": 1}, seed=4)
    for p in population.passengers(50):
        assert (p.expiry_date < "2026-11-22") == (p.kind is Kind.EXPIRED)


def test_foreign_passengers_do_not_hold_an_indonesian_passport() -> None:
    for p in Population({"foreign": 1, "valid": 1}, seed=4).passengers(50):
        assert (p.nationality != "IDN") == (p.kind is Kind.FOREIGN)


def test_slow_passengers_take_longer_on_average() -> None:
    slow = Population({"slow": 1}, seed=9).passengers(200)
    quick = Population({"valid": 1}, seed=9).passengers(200)
    assert sum(p.cycle_s for p in slow) > 1.5 * sum(p.cycle_s for p in quick)


def test_a_rejected_document_never_occupies_the_lane_beyond_the_scan() -> None:
    for p in Population({"expired": 1, "damaged_mrz": 1}, seed=2).passengers(20):
        assert p.cycle_s == p.timing.scan_s


def test_every_kind_has_an_expected_outcome() -> None:
    assert set(EXPECTED) == set(Kind)
