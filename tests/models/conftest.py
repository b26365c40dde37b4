"""Shared pieces for the face pipeline tests: the credited fixture photos and one loaded pipeline."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from models import FacePipeline
from models.prepare import prepare

FACES = Path(
    os.environ.get("IMIGRASI_FACE_FIXTURES", Path(__file__).resolve().parents[3] / "shared/fixtures/faces")
)
GENUINE_PAIRS = [("person_a_1", "person_a_2"), ("person_b_1", "person_b_2")]
# Who is in each photo (CREDITS.md beside them): impostor_1 and impostor_2 are two different people.
IDENTITY = {
    "person_a_1": "a",
    "person_a_2": "a",
    "person_b_1": "b",
    "person_b_2": "b",
    "impostor_1": "obama",
    "impostor_2": "sunak",
}
PHOTOS = sorted(IDENTITY)


def u8(image: object) -> NDArray[np.uint8]:
    """An OpenCV result as the uint8 image type the pipeline takes (OpenCV's stubs are loose)."""
    return np.asarray(image, dtype=np.uint8)


@pytest.fixture(scope="session")
def pipeline() -> FacePipeline:
    """The default pipeline on the prepared models (prepared here if ``make`` has not done it yet)."""
    prepare()
    return FacePipeline.load()


@pytest.fixture(scope="session")
def photo() -> Callable[[str], NDArray[np.uint8]]:
    """Load a fixture photo by name (without ``.jpg``) as a BGR array."""
    cache: dict[str, NDArray[np.uint8]] = {}

    def load(name: str) -> NDArray[np.uint8]:
        if name not in cache:
            image = cv2.imread(str(FACES / f"{name}.jpg"))
            assert image is not None, f"fixture photo {name}.jpg missing from {FACES}"
            cache[name] = u8(image)
        return cache[name].copy()

    return load
