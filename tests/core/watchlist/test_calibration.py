"""The default thresholds against a generated labelled variant set (a small list, so it runs fast)."""

from __future__ import annotations

import pytest

from core.watchlist import WatchlistIndex
from core.watchlist.evaluate import Evaluation, evaluate
from core.watchlist.synthetic import POSITIVE_KINDS, labelled_variants, synthetic_entries
from tests.core.watchlist.helpers import TODAY


@pytest.fixture(scope="module")
def result() -> Evaluation:
    entries = list(synthetic_entries(3000, seed=21))
    return evaluate(WatchlistIndex.build(entries), labelled_variants(entries, 25, seed=22), TODAY)


def test_generator_makes_every_positive_kind(result: Evaluation) -> None:
    assert set(POSITIVE_KINDS) <= set(result.by_kind)


def test_recall_on_generated_variants_is_at_least_99_percent(result: Evaluation) -> None:
    assert result.recall >= 0.99, result.to_dict()


def test_no_negative_is_ever_identik(result: Evaluation) -> None:
    assert result.identik_on_negatives == 0


def test_hard_negatives_mostly_draw_no_hit(result: Evaluation) -> None:
    ok, total = result.by_kind["hard_negative_same_name"]
    assert ok / total >= 0.8


def test_expired_and_future_entries_never_hit(result: Evaluation) -> None:
    ok, total = result.by_kind["expired_or_not_yet_valid"]
    assert ok == total
