"""YuNet 2023mar face detector (OpenCV Zoo) on onnxruntime: letterbox, run, decode three strides, NMS."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from models.detection import Detection, non_maximum_suppression
from models.runtime import make_session

STRIDES = (8, 16, 32)


class YuNetDetector:
    """Finds faces and their five landmarks in a BGR frame of any size.

    The network takes a BGR image, 0–255, no normalisation, whose sides are multiples of 32. The frame is
    scaled so its long side is ``detect_size`` (``FaceConfig.detect_size``; 640 keeps a 640×480 camera
    frame at full resolution) and placed in the top-left corner of a canvas padded up to multiples of 32
    (as OpenCV's ``FaceDetectorYN`` pads), so results only need dividing by the scale. A smaller
    ``detect_size`` (320, 480) is quicker, for a gate camera where the face fills much of the frame.
    """

    model_id = "yunet-2023mar"

    def __init__(
        self,
        path: Path,
        *,
        threads: int,
        score_threshold: float,
        nms_iou: float,
        top_k: int,
        detect_size: int = 640,
    ) -> None:
        if detect_size < 32 or detect_size % 32:
            raise ValueError(f"detect_size must be a positive multiple of 32, got {detect_size}")
        self._session = make_session(path, threads)
        shape = self._session.get_inputs()[0].shape
        self._input_name: str = self._session.get_inputs()[0].name
        # A model prepared with a fixed input (older preparation) always runs at that size.
        self._fixed: tuple[int, int] | None = None
        if isinstance(shape[2], int) and isinstance(shape[3], int):
            self._fixed = (int(shape[2]), int(shape[3]))
        self._output_names: list[str] = [o.name for o in self._session.get_outputs()]
        self.detect_size = detect_size
        self.score_threshold = score_threshold
        self.nms_iou = nms_iou
        self.top_k = top_k

    def canvas_size(self, width: int, height: int) -> tuple[int, int, float]:
        """Network input (width, height) and the scale for a ``width`` × ``height`` frame."""
        if self._fixed is not None:
            canvas_h, canvas_w = self._fixed
            return canvas_w, canvas_h, min(canvas_w / width, canvas_h / height)
        scale = self.detect_size / max(width, height)
        scaled_w, scaled_h = max(1, round(width * scale)), max(1, round(height * scale))
        return -(-scaled_w // 32) * 32, -(-scaled_h // 32) * 32, scale

    def _letterbox(self, frame_bgr: NDArray[np.uint8]) -> tuple[NDArray[np.float32], float]:
        height, width = frame_bgr.shape[:2]
        canvas_w, canvas_h, scale = self.canvas_size(width, height)
        resized = frame_bgr
        if scale != 1.0:
            size = (
                max(1, min(canvas_w, round(width * scale))),
                max(1, min(canvas_h, round(height * scale))),
            )
            interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
            resized = np.asarray(cv2.resize(frame_bgr, size, interpolation=interpolation), dtype=np.uint8)
        canvas = np.zeros((1, 3, canvas_h, canvas_w), dtype=np.float32)
        canvas[0, :, : resized.shape[0], : resized.shape[1]] = resized.transpose(2, 0, 1)
        return canvas, scale

    def raw_outputs(self, frame_bgr: NDArray[np.uint8]) -> tuple[dict[str, NDArray[np.float32]], float]:
        """The network's twelve output tensors by name, and the letterbox scale used."""
        blob, scale = self._letterbox(frame_bgr)
        outputs = self._session.run(self._output_names, {self._input_name: blob})
        return dict(zip(self._output_names, outputs, strict=True)), scale

    def detect(self, frame_bgr: NDArray[np.uint8]) -> list[Detection]:
        """Faces scoring at least the threshold, best first, after non-maximum suppression."""
        if frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
            raise ValueError(f"expected a BGR image of shape (H, W, 3), got {frame_bgr.shape}")
        canvas_w, canvas_h, _ = self.canvas_size(frame_bgr.shape[1], frame_bgr.shape[0])
        outputs, scale = self.raw_outputs(frame_bgr)
        candidates = decode(outputs, canvas_w, canvas_h, self.score_threshold)
        kept = non_maximum_suppression(candidates, self.nms_iou, self.top_k)
        return [_rescale(d, 1.0 / scale) for d in kept]


def decode(
    outputs: dict[str, NDArray[np.float32]], width: int, height: int, score_threshold: float
) -> list[Detection]:
    """Turn YuNet's per-stride grids into detections in network-input pixels.

    For stride s, cell i sits at column i mod (W/s), row i div (W/s); score = √(cls·obj) (both clipped
    to 0–1); the box centre is (col + b0, row + b1)·s, its size e^(b2, b3)·s; landmark k is
    (col + kx, row + ky)·s.
    """
    found: list[Detection] = []
    for stride in STRIDES:
        cols, rows = width // stride, height // stride
        cls = outputs[f"cls_{stride}"].reshape(-1)
        obj = outputs[f"obj_{stride}"].reshape(-1)
        score = np.sqrt(np.clip(cls, 0.0, 1.0) * np.clip(obj, 0.0, 1.0))
        (index,) = np.nonzero(score >= score_threshold)
        if index.size == 0:
            continue
        col = (index % cols).astype(np.float32)
        row = (index // cols).astype(np.float32)
        bbox = outputs[f"bbox_{stride}"].reshape(rows * cols, 4)[index]
        kps = outputs[f"kps_{stride}"].reshape(rows * cols, 10)[index]
        cx, cy = (col + bbox[:, 0]) * stride, (row + bbox[:, 1]) * stride
        w, h = np.exp(bbox[:, 2]) * stride, np.exp(bbox[:, 3]) * stride
        kx = (col[:, None] + kps[:, 0::2]) * stride
        ky = (row[:, None] + kps[:, 1::2]) * stride
        for j in range(index.size):
            points = tuple((float(kx[j, k]), float(ky[j, k])) for k in range(5))
            found.append(
                Detection(
                    box=(float(cx[j] - w[j] / 2), float(cy[j] - h[j] / 2), float(w[j]), float(h[j])),
                    score=float(score[index[j]]),
                    landmarks=points,  # type: ignore[arg-type]
                )
            )
    return found


def _rescale(detection: Detection, factor: float) -> Detection:
    x, y, w, h = detection.box
    points = tuple((px * factor, py * factor) for px, py in detection.landmarks)
    return Detection(
        box=(x * factor, y * factor, w * factor, h * factor),
        score=detection.score,
        landmarks=points,  # type: ignore[arg-type]
    )
