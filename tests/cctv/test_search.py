"""The fast 1:N search (int8 copy + exact re-scoring) gives exactly the brute-force answer.

SOP-003-D05 step 2: an alarm must not depend on which search found the face. ``QuantisedIndex`` scores
an int8 copy of the gallery and re-scores exactly every row that could be in the answer; these
properties compare it with brute force over the same float32 rows, including near-ties, duplicates and
probes lying on a gallery row.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

from core.wire.cctv import GalleryEntry, GallerySnapshot
from edge.cctv.gallery import AlertGallery
from models import FaceTemplate, Gallery, TemplateError
from models.gallery import QuantisedIndex


def brute_force(matrix: NDArray[np.float32], probe: NDArray[np.float32]) -> NDArray[np.float64]:
    return np.asarray([float(np.dot(row.astype(np.float64), probe.astype(np.float64))) for row in matrix])


def ranked(scores: NDArray[np.float64]) -> NDArray[np.int64]:
    return np.lexsort((np.arange(len(scores)), -scores)).astype(np.int64)


@st.composite
def gallery_and_probe(draw: st.DrawFn) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    rows = draw(st.integers(1, 400))
    dimension = draw(st.sampled_from([4, 16, 128]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    matrix = rng.normal(size=(rows, dimension))
    # Hard cases: clusters of near-duplicates, exact duplicates, sparse rows (a peak coordinate).
    if draw(st.booleans()):
        base = matrix[rng.integers(0, rows)]
        close = rng.random(rows) < 0.3
        matrix[close] = base + draw(st.sampled_from([0.0, 1e-6, 1e-3, 0.05])) * rng.normal(
            size=(int(close.sum()), dimension)
        )
    if draw(st.booleans()):
        matrix[rng.random((rows, dimension)) < 0.7] = 0.0
        matrix[:, 0] += 1e-3
    matrix = (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)
    kind = draw(st.sampled_from(["row", "near", "random"]))
    if kind == "row":
        probe = matrix[rng.integers(0, rows)].astype(np.float64)
    elif kind == "near":
        probe = matrix[rng.integers(0, rows)] + 0.2 * rng.normal(size=dimension)
    else:
        probe = rng.normal(size=dimension)
    probe = (probe / np.linalg.norm(probe)).astype(np.float32)
    return matrix, probe


@given(gallery_and_probe(), st.integers(1, 12))
def test_top_k_equals_brute_force(case: tuple[NDArray[np.float32], NDArray[np.float32]], k: int) -> None:
    matrix, probe = case
    index = QuantisedIndex(matrix)
    assert index.quantised  # the int8 path is the one under test
    rows, scores = index.top(probe, k)
    exact = brute_force(matrix, probe)
    want = ranked(exact)[: min(k, len(matrix))]
    np.testing.assert_allclose(scores, exact[want], rtol=0, atol=1e-12)
    # Same rows, except where two rows score the same to within float64 summation order.
    for got_row, want_row in zip(rows, want, strict=True):
        assert got_row == want_row or abs(exact[got_row] - exact[want_row]) <= 1e-12


@given(gallery_and_probe(), st.floats(-0.2, 1.0))
def test_rows_above_threshold_equal_brute_force(
    case: tuple[NDArray[np.float32], NDArray[np.float32]], threshold: float
) -> None:
    matrix, probe = case
    rows, scores = QuantisedIndex(matrix).above(probe, threshold)
    exact = brute_force(matrix, probe)
    certain = set(np.flatnonzero(exact >= threshold + 1e-12).tolist())
    possible = set(np.flatnonzero(exact >= threshold - 1e-12).tolist())
    assert certain <= set(rows.tolist()) <= possible
    np.testing.assert_allclose(scores, exact[rows], rtol=0, atol=1e-12)
    assert list(scores) == sorted(scores, reverse=True)


@given(gallery_and_probe())
def test_alert_gallery_quantised_and_plain_agree(
    case: tuple[NDArray[np.float32], NDArray[np.float32]],
) -> None:
    matrix, probe_vector = case
    entries = tuple(
        GalleryEntry(f"e{i}", None, "", (FaceTemplate.from_embedding("m", "1", row).to_bytes(),))
        for i, row in enumerate(matrix)
    )
    snapshot = GallerySnapshot(1, "2026-12-02T00:00:00+00:00", entries)
    fast = AlertGallery(snapshot, model_id="m", version="1", quantise_from=0)
    probe = FaceTemplate.from_embedding("m", "1", probe_vector)
    hit, reference = fast.best_match(probe), fast.best_match_float32(probe)
    assert hit is not None and reference is not None
    exact = brute_force(fast._matrix, probe.vector)
    assert abs(hit.score - float(exact.max())) <= 1e-12
    assert hit.entry == reference.entry or abs(hit.score - reference.score) <= 1e-5


def test_large_gallery_search_uses_the_index_and_finds_the_listed_face() -> None:
    rng = np.random.default_rng(7)
    matrix = rng.normal(size=(5000, 128)).astype(np.float32)
    probe = matrix[1234] + 0.3 * rng.normal(size=128).astype(np.float32)
    gallery = Gallery.from_templates(
        (f"p{i}", FaceTemplate.from_embedding("m", "1", row)) for i, row in enumerate(matrix)
    )
    result = gallery.search(FaceTemplate.from_embedding("m", "1", probe), k=3)
    assert gallery._index is not None and gallery._index.quantised
    normalised = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = FaceTemplate.from_embedding("m", "1", probe).vector
    exact = brute_force(normalised.astype(np.float32), unit)
    want = ranked(exact)[:3]
    assert [key for key, _ in result] == [f"p{i}" for i in want]
    assert result[0][0] == "p1234"
    np.testing.assert_allclose([s for _, s in result], exact[want], atol=1e-6)


def test_empty_and_wrong_sized_probes() -> None:
    empty = QuantisedIndex(np.zeros((0, 8), np.float32))
    assert len(empty.top(np.ones(8, np.float32), 3)[0]) == 0
    assert len(empty.above(np.ones(8, np.float32), 0.5)[0]) == 0
    index = QuantisedIndex(np.eye(8, dtype=np.float32))
    with pytest.raises(TemplateError, match="4 values"):
        index.top(np.ones(4, np.float32), 1)
