"""1:N search over many templates: normalised float32 rows scored against the probe, top-k.

For the CCTV watch (SOP-003-D05): the faces of persons in the alert system are held in memory; each
face the camera sees is scored against all of them. Small galleries are one float32 matrix-vector
product; large ones (``QUANTISE_FROM_ROWS``) go through :class:`QuantisedIndex`, an int8 copy whose
results are re-scored exactly, so both give the same answer.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.errors import TemplateError
from models.template import FaceTemplate


class Gallery:
    """Templates of one model, searchable by cosine similarity. Keys are the caller's (e.g. a person id)."""

    def __init__(self, model_id: str, version: str, dimension: int) -> None:
        self.model_id, self.version, self.dimension = model_id, version, dimension
        self._keys: list[Hashable] = []
        self._matrix: NDArray[np.float32] = np.zeros((0, dimension), dtype=np.float32)
        self._pending: list[NDArray[np.float32]] = []
        self._index: QuantisedIndex | None = None

    @classmethod
    def from_templates(cls, items: Iterable[tuple[Hashable, FaceTemplate]]) -> Gallery:
        pairs = list(items)
        if not pairs:
            raise TemplateError("a gallery needs at least one template to know its model")
        first = pairs[0][1]
        gallery = cls(first.model_id, first.version, first.vector.shape[0])
        for key, template in pairs:
            gallery.add(key, template)
        return gallery

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: Hashable, template: FaceTemplate) -> None:
        self._check(template)
        vector = template.vector / max(float(np.linalg.norm(template.vector)), 1e-12)
        self._keys.append(key)
        self._pending.append(vector.astype(np.float32))

    def _check(self, template: FaceTemplate) -> None:
        if (template.model_id, template.version, template.vector.shape) != (
            self.model_id,
            self.version,
            (self.dimension,),
        ):
            raise TemplateError(
                f"template of {template.model_id} {template.version} does not fit a gallery of "
                f"{self.model_id} {self.version} ({self.dimension}-d); re-enrol it with the current model"
            )

    def _stack(self) -> NDArray[np.float32]:
        if self._pending:
            self._matrix = np.vstack([self._matrix, np.stack(self._pending)]).astype(np.float32)
            self._pending = []
            self._index = None
        return self._matrix

    def search(self, probe: FaceTemplate, k: int = 5) -> list[tuple[Hashable, float]]:
        """The ``k`` most similar entries, best first, as ``(key, cosine)``."""
        self._check(probe)
        matrix = self._stack()
        if len(matrix) == 0 or k <= 0:
            return []
        if len(matrix) >= QUANTISE_FROM_ROWS:
            if self._index is None:
                self._index = QuantisedIndex(matrix)
            rows, exact = self._index.top(probe.vector, k)
            return [(self._keys[int(i)], float(s)) for i, s in zip(rows, exact, strict=True)]
        scores = matrix @ probe.vector.astype(np.float32)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self._keys[i], float(scores[i])) for i in top]


# --- fast 1:N: an int8 copy scored by onnxruntime, exact float re-scoring of every possible winner ----------

QUANTISE_FROM_ROWS = 4096
"""Galleries with at least this many rows are searched through :class:`QuantisedIndex`; smaller ones
are cheaper to score exactly."""

_GALLERY_LEVELS = 63
"""Gallery rows are quantised to -63..63 (7 bits), the probe to 0..255 around 128. onnxruntime's AVX2
u8×s8 kernel adds pairs of products in int16 (``vpmaddubsw``), which saturates above 32767; with
255·63·2 = 32130 it cannot, so the integer products are exact (checked again at build time)."""
_PROBE_LEVELS = 127
_SLACK = 1e-5
"""Covers float32 rounding of the approximate scores (relative 2⁻²⁴ on values ≤ 1.1, a few roundings)
and float64 rounding of the bound; far below the quantisation bound itself (about 0.03)."""


class QuantisedIndex:
    """Row-normalised float32 templates with an int8 copy for fast, still exact, 1:N search.

    The float32 matrix of 100,000 × 128 templates is 51 MB, more than the 32 MB L3 cache, so one
    matrix-vector product is bound by memory bandwidth and its time swings with the machine's load.
    The int8 copy (per-row scale, 12.8 MB) fits the cache and is scored by onnxruntime's integer
    kernel (``MatMulInteger``, gallery prepacked once). Quantisation error is bounded per search:

        |r·p − r̂·p̂| ≤ ‖r − r̂‖·‖p‖ + ‖r̂‖·‖p − p̂‖ = ε   (Cauchy–Schwarz; r̂, p̂ the dequantised vectors)

    so a row whose approximate score is more than 2ε below the k-th best approximate score cannot be in
    the exact top k, and one more than ε below a threshold cannot reach it. Every other row is scored
    again exactly (float64 over the float32 rows), so results equal the exact search: same rows, same
    scores. If the integer kernel ever disagrees with numpy on the build-time check, the index falls
    back to exact scoring of every row.
    """

    def __init__(self, matrix: NDArray[np.float32], *, threads: int = 1) -> None:
        if matrix.ndim != 2:
            raise TemplateError("a template matrix must be two-dimensional (rows × dimension)")
        self.matrix: NDArray[np.float32] = np.ascontiguousarray(matrix, np.float32)
        rows, dimension = self.matrix.shape
        self.dimension = dimension
        peak = np.abs(self.matrix).max(axis=1) if rows else np.zeros(0, np.float32)
        self._scale: NDArray[np.float64] = np.maximum(peak.astype(np.float64), 1e-30) / _GALLERY_LEVELS
        self._scale32: NDArray[np.float32] = self._scale.astype(np.float32)
        quantised = np.clip(np.rint(self.matrix / self._scale[:, None]), -_GALLERY_LEVELS, _GALLERY_LEVELS)
        self._quantised: NDArray[np.int8] = quantised.astype(np.int8)
        restored = self._quantised.astype(np.float64) * self._scale[:, None]
        self._row_error = float(np.linalg.norm(self.matrix - restored, axis=1).max()) if rows else 0.0
        self._row_norm = float(np.linalg.norm(restored, axis=1).max()) if rows else 0.0
        self._session = _integer_session(self._quantised, threads) if rows else None
        if self._session is not None and not self._kernel_is_exact():
            self._session = None  # never trade exactness for speed

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def quantised(self) -> bool:
        """Whether searches go through the int8 kernel (``False``: every row is scored exactly)."""
        return self._session is not None

    def exact_scores(
        self, probe: NDArray[np.float32], rows: NDArray[np.int64] | None = None
    ) -> NDArray[np.float64]:
        """Exact cosines (probe and rows as given) of ``rows`` (default all), in float64."""
        chosen = self.matrix if rows is None else self.matrix[rows]
        # einsum, not BLAS: a few candidate rows are not worth waking BLAS threads for.
        scores: NDArray[np.float64] = np.einsum(
            "ij,j->i", chosen.astype(np.float64), np.asarray(probe, np.float64)
        )
        return scores

    def approximate(self, probe: NDArray[np.float32]) -> tuple[NDArray[np.float32], float]:
        """Scores from the int8 copy and the bound ε on how far each can be from the exact score."""
        vector = np.asarray(probe, np.float64)
        if vector.shape != (self.dimension,):
            raise TemplateError(
                f"probe of {vector.shape[0]} values cannot search {self.dimension}-d templates"
            )
        step = max(float(np.abs(vector).max()), 1e-30) / _PROBE_LEVELS
        levels = np.clip(np.rint(vector / step), -_PROBE_LEVELS, _PROBE_LEVELS)
        assert self._session is not None
        integers = self._session.run(None, {"probe": (levels + 128).astype(np.uint8)[None, :]})[0][0]
        # float32 scaling (one pass over 100k values); its rounding (< 1e-6 here) is inside _SLACK.
        approx = integers.astype(np.float32) * (self._scale32 * np.float32(step))
        probe_error = float(np.linalg.norm(vector - levels * step))
        bound = self._row_error * float(np.linalg.norm(vector)) + self._row_norm * probe_error + _SLACK
        return approx, bound

    def top(self, probe: NDArray[np.float32], k: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """The ``k`` best rows by exact score, best first (ties: lower row first), and their scores."""
        count = len(self)
        k = min(k, count)
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        if self._session is None:
            candidates = np.arange(count, dtype=np.int64)
        else:
            approx, bound = self.approximate(probe)
            kth = approx.max() if k == 1 else np.partition(approx, count - k)[count - k]
            candidates = np.flatnonzero(approx >= kth - 2 * bound).astype(np.int64)
        scores = self.exact_scores(probe, candidates)
        order = np.lexsort((candidates, -scores))[:k]
        return candidates[order], scores[order]

    def above(
        self, probe: NDArray[np.float32], threshold: float
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Every row whose exact score is ≥ ``threshold``, best first (ties: lower row first)."""
        if len(self) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        if self._session is None:
            candidates = np.arange(len(self), dtype=np.int64)
        else:
            approx, bound = self.approximate(probe)
            candidates = np.flatnonzero(approx >= threshold - bound).astype(np.int64)
        scores = self.exact_scores(probe, candidates)
        keep = scores >= threshold
        candidates, scores = candidates[keep], scores[keep]
        order = np.lexsort((candidates, -scores))
        return candidates[order], scores[order]

    def _kernel_is_exact(self) -> bool:
        assert self._session is not None
        rng = np.random.default_rng(0)
        probes: list[NDArray[np.int64]] = [
            np.full(self.dimension, 127, np.int64),
            np.full(self.dimension, -127, np.int64),
            rng.integers(-127, 128, size=(self.dimension,), dtype=np.int64),
        ]
        for levels in probes:
            feed: NDArray[np.uint8] = (levels + 128).astype(np.uint8).reshape(1, -1)
            got = self._session.run(None, {"probe": feed})[0][0]
            want = self._quantised.astype(np.int32) @ levels.astype(np.int32)
            if not np.array_equal(got, want):
                return False
        return True


def _integer_session(quantised: NDArray[np.int8], threads: int) -> Any:
    """An onnxruntime session computing ``probe(uint8, zero point 128) · quantisedᵀ`` in exact int32."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    rows, dimension = quantised.shape
    node = helper.make_node("MatMulInteger", ["probe", "gallery", "zero"], ["scores"])
    graph = helper.make_graph(
        [node],
        "gallery_search",
        [helper.make_tensor_value_info("probe", TensorProto.UINT8, [1, dimension])],
        [helper.make_tensor_value_info("scores", TensorProto.INT32, [1, rows])],
        [
            numpy_helper.from_array(np.ascontiguousarray(quantised.T), "gallery"),
            numpy_helper.from_array(np.array(128, np.uint8), "zero"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    options = ort.SessionOptions()
    # One thread and no spinning: the watcher's face detection needs the other core.
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
