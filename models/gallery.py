"""1:N search over many templates: one normalised float32 matrix times the probe, top-k.

For the CCTV watch (SOP-003-D05): the faces of persons in the alert system are held in memory; each
face the camera sees is scored against all of them with one matrix-vector product.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

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
        return self._matrix

    def search(self, probe: FaceTemplate, k: int = 5) -> list[tuple[Hashable, float]]:
        """The ``k`` most similar entries, best first, as ``(key, cosine)``."""
        self._check(probe)
        matrix = self._stack()
        if len(matrix) == 0 or k <= 0:
            return []
        scores = matrix @ probe.vector.astype(np.float32)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self._keys[i], float(scores[i])) for i in top]
