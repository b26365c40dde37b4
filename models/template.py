"""Face templates: which model made them, and the vector, serialised with msgpack."""

from __future__ import annotations

from dataclasses import dataclass

import msgpack
import numpy as np
from numpy.typing import NDArray

from models.errors import TemplateError

TEMPLATE_FORMAT = 1


@dataclass(frozen=True, eq=False)
class FaceTemplate:
    """A unit-length float32 embedding with the model id and version that produced it."""

    model_id: str
    version: str
    vector: NDArray[np.float32]

    @classmethod
    def from_embedding(cls, model_id: str, version: str, embedding: NDArray[np.floating]) -> FaceTemplate:
        vector = np.asarray(embedding, dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(vector))
        if not np.isfinite(norm) or norm == 0.0:
            raise TemplateError("embedding is all zeros or not finite; the face crop was unusable")
        return cls(model_id, version, (vector / norm).astype(np.float32))

    def is_compatible(self, other: FaceTemplate) -> bool:
        return (self.model_id, self.version, self.vector.shape) == (
            other.model_id,
            other.version,
            other.vector.shape,
        )

    def similarity(self, other: FaceTemplate) -> float:
        """Cosine similarity; refuses templates from different models (their scores mean nothing)."""
        if not self.is_compatible(other):
            raise TemplateError(
                f"cannot compare a {self.model_id} {self.version} template with a {other.model_id} "
                f"{other.version} one; re-enrol the reference with the current model"
            )
        return float(np.dot(self.vector, other.vector))

    def to_bytes(self) -> bytes:
        payload = {
            "format": TEMPLATE_FORMAT,
            "model": self.model_id,
            "version": self.version,
            "vector": self.vector.astype("<f4").tobytes(),
        }
        data: bytes = msgpack.packb(payload, use_bin_type=True)
        return data

    @classmethod
    def from_bytes(cls, data: bytes) -> FaceTemplate:
        try:
            payload = msgpack.unpackb(data, raw=False)
        except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as exc:
            raise TemplateError(f"face template is not valid msgpack ({exc}); re-enrol the face") from exc
        if not isinstance(payload, dict) or payload.get("format") != TEMPLATE_FORMAT:
            raise TemplateError(f"not a face template of format {TEMPLATE_FORMAT}; re-enrol the face")
        model, version, raw = payload.get("model"), payload.get("version"), payload.get("vector")
        if not isinstance(model, str) or not isinstance(version, str) or not isinstance(raw, bytes):
            raise TemplateError("face template lacks its model, version or vector; re-enrol the face")
        if len(raw) == 0 or len(raw) % 4:
            raise TemplateError(f"face template vector has {len(raw)} bytes, not a float32 array")
        vector = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        if not np.all(np.isfinite(vector)):
            raise TemplateError("face template vector holds NaN or infinity; re-enrol the face")
        return cls(model, version, vector)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FaceTemplate):
            return NotImplemented
        return self.is_compatible(other) and bool(np.array_equal(self.vector, other.vector))

    def __hash__(self) -> int:
        return hash((self.model_id, self.version, self.vector.tobytes()))
