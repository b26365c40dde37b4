"""Where frames come from: a tiny protocol, so the watcher runs on any camera, file or test sequence.

``read()`` returns the next BGR frame, or ``None`` when the source has ended. ``hal`` has no camera
interface yet; ``OpenCvSource`` opens what OpenCV can (RTSP URL, V4L2 device index or path, video
file) and an adapter to ``hal``'s camera belongs here once it lands.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.cctv.errors import SourceError

Frame = NDArray[np.uint8]


class FrameSource(Protocol):
    def read(self) -> Frame | None:
        """The next frame, or ``None`` when there are no more."""
        ...


class SequenceSource:
    """Frames from any iterable (emulated video in tests and benchmarks)."""

    def __init__(self, frames: Iterable[Frame]) -> None:
        self._frames: Iterator[Frame] = iter(frames)

    def read(self) -> Frame | None:
        return next(self._frames, None)


class OpenCvSource:
    """An RTSP/HTTP URL, a V4L2 device (``/dev/video0`` or ``0``) or a video file, through OpenCV.

    The frames are only held in memory; nothing is written anywhere.
    """

    def __init__(self, address: str) -> None:
        target: int | str = int(address) if address.isdigit() else address
        self._capture = cv2.VideoCapture(target)
        if not self._capture.isOpened():
            raise SourceError(
                f"cannot open video source {address!r}; give an rtsp:// URL, a V4L2 device or a video file"
            )

    def read(self) -> Frame | None:
        ok, frame = self._capture.read()
        if not ok or frame is None:
            return None
        return np.asarray(frame, dtype=np.uint8)

    def close(self) -> None:
        self._capture.release()

    def __enter__(self) -> OpenCvSource:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
