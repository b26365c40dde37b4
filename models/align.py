"""Alignment of a face to the standard 112×112 five-point (ArcFace) template."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from models.detection import Detection

ARCFACE_TEMPLATE_112 = np.array(
    [
        [38.2946, 51.6963],  # subject's right eye
        [73.5318, 51.5014],  # left eye
        [56.0252, 71.7366],  # nose tip
        [41.5493, 92.3655],  # right mouth corner
        [70.7299, 92.2041],  # left mouth corner
    ],
    dtype=np.float32,
)


def similarity_transform(
    landmarks: NDArray[np.float32], template: NDArray[np.float32] = ARCFACE_TEMPLATE_112
) -> NDArray[np.float64]:
    """The 2×3 similarity (rotation, uniform scale, shift) taking the landmarks onto the template."""
    matrix, _inliers = cv2.estimateAffinePartial2D(landmarks, template, method=cv2.LMEDS)
    if matrix is None:
        raise ValueError("landmarks are degenerate (all in one place); cannot align this face")
    return np.asarray(matrix, dtype=np.float64)


def align(
    frame_bgr: NDArray[np.uint8],
    detection: Detection,
    size: tuple[int, int] = (112, 112),
    template: NDArray[np.float32] = ARCFACE_TEMPLATE_112,
) -> NDArray[np.uint8]:
    """The face cut out and warped so its five landmarks sit on the template (a ``size`` BGR crop)."""
    matrix = similarity_transform(detection.landmarks_array(), template)
    crop = cv2.warpAffine(frame_bgr, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return np.asarray(crop, dtype=np.uint8)
