"""The face pipeline: detect → align → quality → embed → compare, on verified models.

>>> pipeline = FacePipeline.load()                                  # doctest: +SKIP
>>> reference = pipeline.enrol(cv2.imread("passport_photo.jpg"))   # doctest: +SKIP
>>> result = pipeline.verify(camera_frame, reference)               # doctest: +SKIP
>>> result.match, result.score, result.quality.hint                 # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np
from numpy.typing import NDArray

from core.clock import Clock
from models.align import align
from models.backends import Detector, Embedder, detector_factory, embedder_factory
from models.config import FaceConfig, QualityThresholds
from models.detection import Detection
from models.errors import FaceError, NoFaceError
from models.manifest import Manifest, default_model_dir
from models.quality import QualityReport, assess, no_face_report, ranking_key
from models.template import FaceTemplate

Frame = NDArray[np.uint8]


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of comparing a live capture with a reference template."""

    score: float
    threshold: float
    match: bool
    quality: QualityReport
    timings_ms: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 6),
            "threshold": self.threshold,
            "match": self.match,
            "quality": self.quality.to_dict(),
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
        }


class BestFrame(NamedTuple):
    """The capture a gate keeps: the frame, its chosen face and that face's quality report.

    A named tuple, so ``frame, detection, quality = pipeline.best_frame(frames)`` works too.
    """

    frame: Frame
    detection: Detection
    quality: QualityReport


def read_image(path: Path) -> Frame:
    """A BGR image from disk; ``FaceError`` (a ``ValueError``) naming the file when it cannot be decoded."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise NoFaceError(f"cannot read an image from {path}; give a JPEG or PNG photo")
    return np.asarray(image, dtype=np.uint8)


def primary_face(detections: list[Detection]) -> Detection:
    """The face the pipeline acts on when several are seen: the largest (the person nearest the camera)."""
    if not detections:
        raise NoFaceError("no face found in the image; the person must face the camera, well lit")
    return max(detections, key=lambda d: d.area)


class FacePipeline:
    """Detector and embedder loaded from manifest-verified files, with the thresholds of a ``FaceConfig``."""

    def __init__(self, detector: Detector, embedder: Embedder, config: FaceConfig) -> None:
        self.detector = detector
        self.embedder = embedder
        self.config = config

    @classmethod
    def load(cls, config: FaceConfig | None = None) -> FacePipeline:
        """Load the configured models after checking each file's SHA-256 against the manifest.

        Raises ``ModelIntegrityError`` when a file is missing or altered, so a gate never runs on a model
        nobody vouched for.
        """
        config = config or FaceConfig.from_env()
        manifest = Manifest.load(config.model_dir or default_model_dir())
        detector = detector_factory(config.detector)(manifest.verified_path(config.detector), config)
        embedder = embedder_factory(config.embedder)(manifest.verified_path(config.embedder), config)
        return cls(detector, embedder, config)

    # --- the steps ---------------------------------------------------------------------------------

    def detect(self, frame_bgr: Frame) -> list[Detection]:
        return self.detector.detect(frame_bgr)

    def align(self, frame_bgr: Frame, detection: Detection) -> Frame:
        return align(frame_bgr, detection, self.embedder.input_size, self.embedder.template)

    def embed(self, frame_bgr: Frame, detection: Detection) -> FaceTemplate:
        return self.embed_aligned(self.align(frame_bgr, detection))

    def embed_aligned(self, crop_bgr: Frame) -> FaceTemplate:
        vector = self.embedder.embed_aligned(crop_bgr)
        return FaceTemplate.from_embedding(self.embedder.model_id, self.embedder.version, vector)

    def quality(
        self, frame_bgr: Frame, detection: Detection, *, face_count: int = 1, enrol: bool = False
    ) -> QualityReport:
        """How good this face is for matching (``enrol=True``: against the stricter enrolment limits)."""
        return assess(
            detection, self.align(frame_bgr, detection), self._thresholds(enrol), face_count=face_count
        )

    def assess(self, frame_bgr: Frame, *, enrol: bool = False) -> tuple[Detection | None, QualityReport]:
        """Detect, pick the primary face and judge it, counting every face in view (kiosk guidance loop)."""
        detections = self.detect(frame_bgr)
        if not detections:
            return None, no_face_report()
        face = primary_face(detections)
        return face, self.quality(frame_bgr, face, face_count=len(detections), enrol=enrol)

    @staticmethod
    def compare(a: FaceTemplate, b: FaceTemplate) -> float:
        """Cosine similarity of two templates of the same model (−1 … 1; higher is more alike)."""
        return a.similarity(b)

    # --- whole operations --------------------------------------------------------------------------

    def enrol(self, image_bgr: Frame) -> FaceTemplate:
        """A template from a reference photo (e.g. the passport chip's portrait).

        The photo is taken as it is (a chip portrait cannot be retaken); use ``assess(..., enrol=True)``
        to decide whether a *live* capture is good enough to enrol.
        """
        return self.embed(image_bgr, primary_face(self.detect(image_bgr)))

    def verify(self, probe_bgr: Frame, reference: FaceTemplate) -> VerifyResult:
        """Compare the primary face of a live frame with a reference template (SOP-003-A08 step 6)."""
        t0 = time.perf_counter()
        detections = self.detect(probe_bgr)
        t1 = time.perf_counter()
        face = primary_face(detections)
        crop = self.align(probe_bgr, face)
        t2 = time.perf_counter()
        probe = self.embed_aligned(crop)
        t3 = time.perf_counter()
        report = assess(face, crop, self.config.quality, face_count=len(detections))
        score = self.compare(probe, reference)
        return VerifyResult(
            score=score,
            threshold=self.config.match_threshold,
            match=score >= self.config.match_threshold,
            quality=report,
            timings_ms={"detect": (t1 - t0) * 1e3, "align": (t2 - t1) * 1e3, "embed": (t3 - t2) * 1e3},
        )

    def best_frame(
        self,
        frames: Iterable[Frame],
        *,
        clock: Clock | None = None,
        budget_s: float | None = None,
        stop_when_ok: bool = False,
    ) -> BestFrame:
        """The best capture among ``frames``, read until the time budget is spent or they run out.

        The gate has a fixed time for the face step (SOP time standards), so with a ``clock`` and
        ``budget_s`` no frame is read once the budget is spent; ``stop_when_ok`` returns at the first
        good one.
        """
        start = clock.monotonic() if clock is not None else 0.0
        best: BestFrame | None = None
        best_key: tuple[bool, int, float] | None = None
        for frame in frames:
            face, report = self.assess(frame)
            if face is not None:
                key = ranking_key(report, self.config.quality)
                if best_key is None or key > best_key:
                    best, best_key = BestFrame(frame, face, report), key
                if stop_when_ok and report.ok:
                    break
            if clock is not None and budget_s is not None and clock.monotonic() - start >= budget_s:
                break
        if best is None:
            raise NoFaceError("no face in any captured frame; ask the person to face the camera")
        return best

    def _thresholds(self, enrol: bool) -> QualityThresholds:
        return self.config.enrol_quality if enrol else self.config.quality


__all__ = ["BestFrame", "FaceError", "FacePipeline", "VerifyResult", "primary_face", "read_image"]
