"""``Camera``: frames for face capture, from OpenCV or any registered frame source.

Addresses: an index (``0``) or ``v4l2:///dev/video0`` open OpenCV's capture (V4L2 on the board); a
scheme registered with ``register_source`` opens that source instead — the emulator registers
``emu://camera/NAME`` this way, as it registers ``emu://`` serial ports with pyserial, so ``hal`` never
imports the emulator. Frames are BGR ``uint8`` arrays ``(height, width, 3)``.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from hal.errors import BoardConfigError, CameraError

Frame = npt.NDArray[np.uint8]


class FrameSource(Protocol):
    def read(self) -> Frame:
        """One frame, or ``CameraError``."""
        ...

    def close(self) -> None: ...


Opener = Callable[[str, int, int], FrameSource]
_SOURCES: dict[str, Opener] = {}
_lock = threading.Lock()


def register_source(scheme: str, opener: Opener) -> None:
    """Make ``scheme://...`` camera addresses open with ``opener(url, width, height)``."""
    with _lock:
        _SOURCES[scheme] = opener


class OpenCvSource:
    """A V4L2 device or a camera index through ``cv2.VideoCapture``."""

    def __init__(self, url: str, width: int, height: int) -> None:
        import cv2

        target: int | str
        api = cv2.CAP_ANY
        if url.isdigit():
            target = int(url)
        elif url.startswith("v4l2://"):
            path = urllib.parse.urlsplit(url).path
            # OpenCV's V4L2 backend opens by index only: /dev/videoN is index N.
            match = re.fullmatch(r"/dev/video(\d+)", path)
            if match is None:
                raise BoardConfigError(f"camera {url}: expected v4l2:///dev/videoN")
            target, api = int(match.group(1)), cv2.CAP_V4L2
        else:
            target = url
        self.url = url
        self._capture: Any = cv2.VideoCapture(target, api)
        if not self._capture.isOpened():
            raise CameraError(f"camera {url} could not be opened (is it plugged in, and free?)")
        self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)

    def read(self) -> Frame:
        ok, frame = self._capture.read()
        if not ok or frame is None:
            raise CameraError(f"camera {self.url} returned no frame")
        return np.asarray(frame, dtype=np.uint8)

    def close(self) -> None:
        self._capture.release()


@dataclass(frozen=True, slots=True)
class FrameCheck:
    """What a quick look at a frame says (the self-test uses it): size, brightness, contrast."""

    width: int
    height: int
    mean: float
    contrast: float

    @property
    def looks_alive(self) -> bool:
        """Not black, not blown out, not a flat field (a covered lens or a dead sensor)."""
        return 10.0 < self.mean < 245.0 and self.contrast > 5.0


def check_frame(frame: Frame) -> FrameCheck:
    gray = frame.mean(axis=2) if frame.ndim == 3 else frame
    return FrameCheck(int(frame.shape[1]), int(frame.shape[0]), float(gray.mean()), float(gray.std()))


class Camera:
    """A camera by address. ``capture()`` returns one frame or raises ``CameraError``."""

    def __init__(self, url: str | int = 0, *, width: int = 640, height: int = 480) -> None:
        if width <= 0 or height <= 0:
            raise BoardConfigError(f"camera {url}: width and height must be positive, got {width}×{height}")
        self.url = str(url)
        self.width, self.height = width, height
        scheme = self.url.split("://", 1)[0] if "://" in self.url else ""
        with _lock:
            opener = _SOURCES.get(scheme)
        if opener is None and scheme not in ("", "v4l2", "file", "rtsp", "http", "https"):
            raise BoardConfigError(
                f"camera {self.url}: no source registered for {scheme}:// "
                "(for emu:// call emulator.devices.register() first)"
            )
        self._source: FrameSource = (opener or OpenCvSource)(self.url, width, height)
        self._closed = False

    def capture(self) -> Frame:
        if self._closed:
            raise CameraError(f"camera {self.url} is closed; open a new Camera")
        return self._source.read()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._source.close()

    def __enter__(self) -> Camera:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
