"""Camera: the emulated scene source through the real ``Camera`` class, and OpenCV's failure path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from emulator.devices import register
from emulator.devices.camera import EmulatedCamera, camera, forget_cameras
from hal.camera import Camera, check_frame
from hal.errors import BoardConfigError, CameraError

# The shared, credited fixture photos (see their CREDITS.md), used in place, never copied.
FACES = Path(
    os.environ.get("IMIGRASI_FACE_FIXTURES", Path(__file__).resolve().parents[3] / "shared/fixtures/faces")
)


@pytest.fixture
def lane_camera() -> Iterator[tuple[EmulatedCamera, Camera]]:
    register()
    forget_cameras()
    emulated = camera("lane1")
    with Camera("emu://camera/lane1") as cam:
        yield emulated, cam
    forget_cameras()


def test_frames_have_the_configured_size_and_look_alive(lane_camera: tuple[EmulatedCamera, Camera]) -> None:
    _, cam = lane_camera
    frame = cam.capture()
    check = check_frame(frame)
    assert frame.dtype == np.uint8 and frame.shape == (480, 640, 3) and check.looks_alive


def test_a_presented_face_changes_the_scene(lane_camera: tuple[EmulatedCamera, Camera]) -> None:
    emulated, cam = lane_camera
    empty = cam.capture().astype(np.int16)
    emulated.present(FACES / "person_a_1.jpg")
    with_face = cam.capture().astype(np.int16)
    assert np.abs(with_face - empty).mean() > 10


def test_successive_face_frames_vary_like_a_real_lane(lane_camera: tuple[EmulatedCamera, Camera]) -> None:
    emulated, cam = lane_camera
    emulated.present(FACES / "person_b_1.jpg")
    first, second = cam.capture(), cam.capture()
    assert not np.array_equal(first, second)


def test_a_failed_camera_raises_camera_error(lane_camera: tuple[EmulatedCamera, Camera]) -> None:
    emulated, cam = lane_camera
    emulated.fail()
    with pytest.raises(CameraError, match="no frame"):
        cam.capture()


def test_a_covered_lens_does_not_look_alive() -> None:
    assert not check_frame(np.zeros((480, 640, 3), np.uint8)).looks_alive


def test_an_unregistered_scheme_names_the_fix() -> None:
    with pytest.raises(BoardConfigError, match="no source registered"):
        Camera("nosuch://camera/x")


def test_a_missing_v4l2_device_is_a_camera_error() -> None:
    with pytest.raises(CameraError, match="could not be opened"):
        Camera("v4l2:///dev/video63")


def test_a_closed_camera_refuses_to_capture(lane_camera: tuple[EmulatedCamera, Camera]) -> None:
    _, cam = lane_camera
    cam.close()
    with pytest.raises(CameraError, match="closed"):
        cam.capture()
