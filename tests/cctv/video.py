"""Emulated checkpoint video made from the credited fixture photos (read in place, never copied).

A "walk" is a photo pasted on a fixed 1280×720 textured background, moving from left to right and
growing (the person approaches the camera) over ``frames`` frames.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

FACES = Path(
    os.environ.get("IMIGRASI_FACE_FIXTURES", Path(__file__).resolve().parents[3] / "shared/fixtures/faces")
)
Frame = NDArray[np.uint8]


@lru_cache(maxsize=16)
def photo(name: str) -> Frame:
    image = cv2.imread(str(FACES / f"{name}.jpg"))
    if image is None:
        raise FileNotFoundError(f"fixture photo {name}.jpg missing from {FACES}")
    return np.asarray(image, dtype=np.uint8)


@lru_cache(maxsize=4)
def background(width: int = 1280, height: int = 720) -> Frame:
    """A fixed, faceless scene: a grey gradient with seeded noise (a wall and floor)."""
    rng = np.random.default_rng(7)
    ramp = np.linspace(70, 160, height, dtype=np.float32)[:, None, None]
    noise = rng.normal(0, 8, (height, width, 3)).astype(np.float32)
    return np.asarray(np.clip(ramp + noise, 0, 255), dtype=np.uint8)


def walk(
    name: str,
    *,
    frames: int = 12,
    size: tuple[int, int] = (1280, 720),
    start_height: float = 0.35,
    end_height: float = 0.6,
    y_offset: float = 0.2,
) -> Iterator[Frame]:
    """Frames of ``name``'s photo crossing the scene left to right while growing from ``start_height``
    to ``end_height`` of the frame height."""
    width, height = size
    scene = background(width, height)
    picture = photo(name)
    for i in range(frames):
        t = i / max(frames - 1, 1)
        h = int(height * (start_height + (end_height - start_height) * t))
        w = int(picture.shape[1] * h / picture.shape[0])
        resized = cv2.resize(picture, (w, h), interpolation=cv2.INTER_AREA)
        x = int((width - w) * (0.1 + 0.8 * t))
        y = int(height * y_offset)
        y = min(y, height - h)
        frame = scene.copy()
        frame[y : y + h, x : x + w] = resized
        yield frame


def walk_video(path: Path, name: str) -> Path:
    """``walk(name)`` as an MJPG video file at ``path``, for the ``watch --source FILE`` command."""
    frames = list(walk(name))
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path
