"""SFace 2021dec recogniser (OpenCV Zoo) on onnxruntime: an aligned 112×112 crop → a 128-d embedding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from models.align import ARCFACE_TEMPLATE_112
from models.runtime import make_session


class SFaceEmbedder:
    """Embeds aligned crops. Input: RGB, float 0–255, unnormalised (as ``cv2.FaceRecognizerSF`` feeds it)."""

    model_id = "sface"
    version = "2021dec"
    input_size = (112, 112)
    template = ARCFACE_TEMPLATE_112

    def __init__(self, path: Path, *, threads: int) -> None:
        self._session = make_session(path, threads)
        self._input_name: str = self._session.get_inputs()[0].name

    def embed_aligned(self, crop_bgr: NDArray[np.uint8]) -> NDArray[np.float32]:
        """The raw (not normalised) embedding of one aligned BGR crop."""
        if crop_bgr.shape != (*self.input_size[::-1], 3):
            raise ValueError(f"expected an aligned {self.input_size} BGR crop, got shape {crop_bgr.shape}")
        blob = crop_bgr[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32)
        (vector,) = self._session.run(None, {self._input_name: blob})
        return np.asarray(vector, dtype=np.float32).reshape(-1)
