"""A detected face, and the non-maximum suppression every detector shares."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Point = tuple[float, float]


@dataclass(frozen=True)
class Detection:
    """One face in frame pixels: box ``(x, y, width, height)``, confidence, and five landmarks.

    Landmarks are, in order, the subject's right eye, left eye, nose tip, right and left mouth corners
    (the YuNet and ArcFace-template order; "right" is the subject's, so it appears on the image's left).
    """

    box: tuple[float, float, float, float]
    score: float
    landmarks: tuple[Point, Point, Point, Point, Point]

    @property
    def inter_eye_distance(self) -> float:
        (rx, ry), (lx, ly) = self.landmarks[0], self.landmarks[1]
        return math.hypot(lx - rx, ly - ry)

    @property
    def area(self) -> float:
        return max(0.0, self.box[2]) * max(0.0, self.box[3])

    def landmarks_array(self) -> NDArray[np.float32]:
        return np.asarray(self.landmarks, dtype=np.float32)


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two ``(x, y, w, h)`` boxes (0 when either is empty)."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = max(0.0, a[2]) * max(0.0, a[3]) + max(0.0, b[2]) * max(0.0, b[3]) - inter
    return inter / union if union > 0 else 0.0


def non_maximum_suppression(detections: list[Detection], iou_threshold: float, top_k: int) -> list[Detection]:
    """Best-scoring detections first, dropping any overlapping a kept one by more than ``iou_threshold``."""
    kept: list[Detection] = []
    for candidate in sorted(detections, key=lambda d: d.score, reverse=True):
        if all(iou(candidate.box, other.box) <= iou_threshold for other in kept):
            kept.append(candidate)
            if len(kept) >= top_k:
                break
    return kept
