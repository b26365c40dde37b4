"""The vectorised scorer must give exactly what the reference alignment (``name_similarity``) gives."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from core.watchlist import WatchlistIndex, name_similarity, name_tokens
from tests.core.watchlist.helpers import TODAY, entry, query

# Few letters, so tokens collide, tie and nearly match: the greedy alignment's order matters here.
TOKEN = st.text(alphabet="ABDEHIMNRU", min_size=2, max_size=8)
NAME = st.lists(TOKEN, min_size=1, max_size=5).map(" ".join)


@given(st.lists(NAME, min_size=1, max_size=6), NAME)
def test_vectorised_alignment_equals_the_reference_alignment(names: list[str], q: str) -> None:
    idx = WatchlistIndex.build([entry(f"E{i}", n) for i, n in enumerate(names)])
    qtokens = name_tokens(q)
    ids = np.arange(len(idx.name_strings()), dtype=np.int64)
    scores, aligned = idx._align(qtokens, ids)
    assert len(scores) == len(ids)
    for i, listed in enumerate(idx.name_strings()):
        ref = name_similarity(qtokens, listed.split(), idx.config)
        assert float(scores[i]) == ref.score, (qtokens, listed)
        pairs = tuple((qtokens[a], listed.split()[b], round(s, 3)) for a, b, s in aligned(i))
        assert pairs == ref.pairs, (qtokens, listed)


@given(st.lists(NAME, min_size=1, max_size=6), NAME)
def test_hits_explain_the_aligned_tokens_like_the_reference(names: list[str], q: str) -> None:
    idx = WatchlistIndex.build([entry(f"E{i}", n) for i, n in enumerate([q, *names])])
    hits = idx.match(query(q), today=TODAY)
    assert "E0" in {h.entry_id for h in hits}  # the query's own name is always a hit
    for hit in hits:
        why = hit.why["name"]
        ref = name_similarity(why["query"].split(), why["listed"].split(), idx.config)
        assert why["score"] == round(ref.score, 4)
        assert why["pairs"] == [list(p) for p in ref.pairs]
        assert why["unmatched_query"] == list(ref.unmatched_query)
        assert why["unmatched_listed"] == list(ref.unmatched_listed)


def test_cached_token_expansion_gives_the_same_ids_and_cannot_be_changed() -> None:
    idx = WatchlistIndex.build(
        [entry("E1", "Muhammad Rizky"), entry("E2", "Mohamad Riski"), entry("E3", "Siti")]
    )
    cold = idx.similar_tokens("RIZKI")
    assert cold  # RIZKY and RISKI are one error away
    warm = idx.similar_tokens("RIZKI")
    assert warm == cold
    fresh = WatchlistIndex.build(
        [entry("E1", "Muhammad Rizky"), entry("E2", "Mohamad Riski"), entry("E3", "Siti")]
    )
    assert fresh.similar_tokens("RIZKI") == cold
    assert not idx._similar_ids("RIZKI").flags.writeable
