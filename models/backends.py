"""The small interface behind which models sit, and the registry that picks them by configuration name.

To add another detector or embedder (e.g. MobileFaceNet), write a class with the methods below, register
a factory under a new name here, add its preparation recipe, and name it in ``FaceConfig``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from models.config import FaceConfig
from models.detection import Detection
from models.errors import ConfigError


class Detector(Protocol):
    model_id: str

    def detect(self, frame_bgr: NDArray[np.uint8]) -> list[Detection]:
        """Faces in a BGR frame, best first."""
        ...


class Embedder(Protocol):
    model_id: str
    version: str
    input_size: tuple[int, int]
    template: NDArray[np.float32]

    def embed_aligned(self, crop_bgr: NDArray[np.uint8]) -> NDArray[np.float32]:
        """The raw embedding of one crop aligned to ``template`` at ``input_size``."""
        ...


DetectorFactory = Callable[[Path, FaceConfig], Detector]
EmbedderFactory = Callable[[Path, FaceConfig], Embedder]


def _yunet(path: Path, config: FaceConfig) -> Detector:
    from models.yunet import YuNetDetector

    return YuNetDetector(
        path,
        threads=config.threads,
        score_threshold=config.detect_score_threshold,
        nms_iou=config.nms_iou,
        top_k=config.top_k,
        detect_size=config.detect_size,
    )


def _sface(path: Path, config: FaceConfig) -> Embedder:
    from models.sface import SFaceEmbedder

    return SFaceEmbedder(path, threads=config.threads)


DETECTORS: dict[str, DetectorFactory] = {"yunet-2023mar": _yunet}
# Both SFace files compute the same model (int8 weights vs the same weights dequantised), so templates
# made with either are compatible: they share the embedder's model id and version.
EMBEDDERS: dict[str, EmbedderFactory] = {"sface-2021dec-float": _sface, "sface-2021dec-int8": _sface}


def detector_factory(name: str) -> DetectorFactory:
    try:
        return DETECTORS[name]
    except KeyError:
        raise ConfigError(f"unknown detector {name!r}; choose one of {sorted(DETECTORS)}") from None


def embedder_factory(name: str) -> EmbedderFactory:
    try:
        return EMBEDDERS[name]
    except KeyError:
        raise ConfigError(f"unknown embedder {name!r}; choose one of {sorted(EMBEDDERS)}") from None
