"""Candidate generation shortcuts must not change which names are candidates."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import core.watchlist.index as index_module
from core.watchlist import WatchlistIndex, name_tokens
from core.watchlist.synthetic import labelled_variants, synthetic_entries
from tests.core.watchlist.helpers import TODAY

ENTRIES = list(synthetic_entries(3000, seed=11, today=TODAY))
QUERIES = labelled_variants(ENTRIES, 6, seed=12, today=TODAY)


@pytest.mark.parametrize("rare_posting", [0, 2, 64])
def test_not_reading_the_most_common_token_gives_the_same_candidates(
    rare_posting: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    idx = WatchlistIndex.build(
        ENTRIES, dataclasses.replace(WatchlistIndex().config, rare_posting=rare_posting)
    )
    assert QUERIES
    for lq in QUERIES:
        tokens = name_tokens(lq.query.full_name)
        year = lq.query.birth_date.year if lq.query.birth_date else 0
        monkeypatch.setattr(index_module, "_SKIP_POSTINGS", 10**12)
        full = idx._name_candidates(tokens, year)
        monkeypatch.setattr(index_module, "_SKIP_POSTINGS", 0)
        shortcut = idx._name_candidates(tokens, year)
        assert np.array_equal(np.sort(full), np.sort(shortcut)), lq
