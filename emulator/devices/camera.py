"""An emulated camera: a passenger's face photo placed in a scene, with the variation a lane sees.

Each frame puts the photo (a fixture face, see ``shared/fixtures/faces``) into a ``width``×``height``
scene at a random scale, small rotation, lighting gain/bias and blur, drawn from a seeded RNG, over a
textured background. Modes: ``face`` (a photo is presented), ``no-face`` (the lane is empty),
``failed`` (the camera is dead: ``read()`` raises ``CameraError``).
"""

from __future__ import annotations

import random
import threading
import urllib.parse
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from hal.camera import Frame
from hal.errors import CameraError

Mode = Literal["face", "no-face", "failed"]


class EmulatedCamera:
    def __init__(self, *, width: int = 640, height: int = 480, seed: int = 0) -> None:
        self.width, self.height = width, height
        self.rng = random.Random(seed)
        self.mode: Mode = "no-face"
        self.frames_served = 0
        self._photo: Frame | None = None
        self._lock = threading.Lock()
        self.background = self._background(np.random.default_rng(seed))

    # -- the emulator's hands ----------------------------------------------------------------------------
    def present(self, photo: Path | Frame) -> None:
        """A passenger stands in front of the camera."""
        if isinstance(photo, Path):
            image = cv2.imread(str(photo), cv2.IMREAD_COLOR)
            if image is None:
                raise FileNotFoundError(f"cannot read face photo {photo}")
            photo = np.asarray(image, dtype=np.uint8)
        with self._lock:
            self._photo, self.mode = photo, "face"

    def empty(self) -> None:
        with self._lock:
            self._photo, self.mode = None, "no-face"

    def fail(self) -> None:
        with self._lock:
            self.mode = "failed"

    # -- FrameSource ---------------------------------------------------------------------------------------
    def read(self) -> Frame:
        with self._lock:
            if self.mode == "failed":
                raise CameraError("emulated camera failed (no frame); call empty() or present() to revive it")
            frame = self.background.copy()
            if self.mode == "face" and self._photo is not None:
                self._place(frame, self._photo)
            self.frames_served += 1
            return frame

    def close(self) -> None:
        """Nothing to release."""

    def _background(self, rng: np.random.Generator) -> Frame:
        ramp = np.linspace(70, 150, self.width, dtype=np.float32)[None, :, None]
        noise = rng.normal(0, 6, (self.height, self.width, 3)).astype(np.float32)
        scene = np.clip(ramp + noise + np.array([10, 0, -10], np.float32), 0, 255)
        background: Frame = scene.astype(np.uint8)
        return background

    def _place(self, frame: Frame, photo: Frame) -> None:
        r = self.rng
        target_h = int(self.height * r.uniform(0.55, 0.8))
        scale = target_h / photo.shape[0]
        face = cv2.resize(
            photo, (max(1, int(photo.shape[1] * scale)), target_h), interpolation=cv2.INTER_AREA
        )
        if face.shape[1] > self.width:
            face = face[:, : self.width]
        angle = r.uniform(-6.0, 6.0)
        centre = (face.shape[1] / 2, face.shape[0] / 2)
        matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
        face = cv2.warpAffine(face, matrix, (face.shape[1], face.shape[0]), borderMode=cv2.BORDER_REPLICATE)
        gain, bias = r.uniform(0.7, 1.2), r.uniform(-20, 20)
        face = np.clip(face.astype(np.float32) * gain + bias, 0, 255).astype(np.uint8)
        kernel = r.choice([1, 1, 3, 5])
        if kernel > 1:
            face = cv2.GaussianBlur(face, (kernel, kernel), 0)
        h, w = face.shape[:2]
        x = min(max(0, (self.width - w) // 2 + r.randint(-40, 40)), self.width - w)
        y = min(max(0, (self.height - h) // 2 + r.randint(-20, 20)), self.height - h)
        frame[y : y + h, x : x + w] = face


_CAMERAS: dict[str, EmulatedCamera] = {}
_CAMERAS_LOCK = threading.Lock()


def camera(name: str = "default", *, width: int = 640, height: int = 480) -> EmulatedCamera:
    """The emulated camera ``emu://camera/NAME`` reaches (created on first use)."""
    with _CAMERAS_LOCK:
        if name not in _CAMERAS:
            _CAMERAS[name] = EmulatedCamera(width=width, height=height, seed=len(_CAMERAS))
        return _CAMERAS[name]


def forget_camera(name: str) -> None:
    with _CAMERAS_LOCK:
        _CAMERAS.pop(name, None)


def forget_cameras() -> None:
    with _CAMERAS_LOCK:
        _CAMERAS.clear()


def open_source(url: str, width: int, height: int) -> EmulatedCamera:
    """``hal.camera`` opener for ``emu://camera/NAME`` (URL options: none)."""
    parts = urllib.parse.urlsplit(url)
    if parts.netloc != "camera" or parts.query:
        raise CameraError(f"expected emu://camera/NAME with no options, got {url!r}")
    return camera(parts.path.strip("/") or "default", width=width, height=height)
