"""Capture quality: each measure fails the capture it should, and the person gets the right hint."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from core.clock import ManualClock
from models import GUIDANCE, Detection, FacePipeline, NoFaceError
from models.align import ARCFACE_TEMPLATE_112
from models.quality import estimate_pose

from .conftest import u8

Photo = Callable[[str], NDArray[np.uint8]]


def _assess(pipeline: FacePipeline, frame: NDArray[np.uint8], enrol: bool = False) -> tuple[bool, str | None]:
    _face, report = pipeline.assess(frame, enrol=enrol)
    return report.ok, report.hint


def test_a_sharp_frontal_well_lit_photo_is_good(pipeline: FacePipeline, photo: Photo) -> None:
    assert _assess(pipeline, photo("person_b_1")) == (True, None)


def test_a_blurred_photo_asks_to_hold_still(pipeline: FacePipeline, photo: Photo) -> None:
    assert _assess(pipeline, u8(cv2.GaussianBlur(photo("person_b_1"), (0, 0), 6))) == (False, "hold_still")


def test_a_dark_photo_asks_for_more_light(pipeline: FacePipeline, photo: Photo) -> None:
    dark = (photo("person_b_1").astype(np.float32) * 0.3).astype(np.uint8)
    assert _assess(pipeline, dark) == (False, "more_light")


def test_a_far_away_face_asks_to_move_closer(pipeline: FacePipeline, photo: Photo) -> None:
    image = photo("person_b_1")
    small = cv2.resize(image, (image.shape[1] // 6, image.shape[0] // 6), interpolation=cv2.INTER_AREA)
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[: small.shape[0], : small.shape[1]] = small
    assert _assess(pipeline, frame) == (False, "move_closer")


def test_a_tilted_head_asks_to_look_at_the_camera(pipeline: FacePipeline, photo: Photo) -> None:
    image = photo("person_b_1")
    h, w = image.shape[:2]
    tilted = cv2.warpAffine(image, cv2.getRotationMatrix2D((w / 2, h / 2), 35, 1.0), (w, h))
    assert _assess(pipeline, u8(tilted)) == (False, "look_at_camera")


def test_two_people_in_view_ask_for_one_person_only(pipeline: FacePipeline, photo: Photo) -> None:
    left, right = photo("person_b_1"), photo("impostor_1")
    height = min(left.shape[0], right.shape[0])
    assert _assess(pipeline, np.hstack([left[:height], right[:height]])) == (False, "one_person_only")


def test_an_empty_view_asks_the_person_to_step_in(pipeline: FacePipeline) -> None:
    assert _assess(pipeline, np.full((480, 640, 3), 90, np.uint8)) == (False, "step_into_view")


def test_enrolment_is_stricter_on_size_than_the_gate(pipeline: FacePipeline, photo: Photo) -> None:
    small = photo("person_a_1")  # about 34 px between the eyes
    assert _assess(pipeline, small) == (True, None)
    assert _assess(pipeline, small, enrol=True) == (False, "move_closer")


def test_every_hint_has_indonesian_and_english_text(pipeline: FacePipeline, photo: Photo) -> None:
    _face, report = pipeline.assess(u8(cv2.GaussianBlur(photo("person_b_2"), (0, 0), 6)))
    assert report.guidance("id") == GUIDANCE["hold_still"][0]
    assert report.guidance("en") == GUIDANCE["hold_still"][1]
    assert all(len(texts) == 2 and all(texts) for texts in GUIDANCE.values())


def _landmark_face(points: NDArray[np.float64]) -> Detection:
    x0, y0 = points.min(axis=0) - 20
    x1, y1 = points.max(axis=0) + 20
    return Detection((x0, y0, x1 - x0, y1 - y0), 0.9, tuple(map(tuple, points.tolist())))  # type: ignore[arg-type]


def test_the_template_face_is_frontal() -> None:
    pose = estimate_pose(_landmark_face(ARCFACE_TEMPLATE_112.astype(np.float64)))
    assert abs(pose.yaw_deg) < 2 and abs(pose.pitch_deg) < 2 and abs(pose.roll_deg) < 1


@pytest.mark.parametrize("shift", [-8.0, -4.0, 4.0, 8.0])
def test_yaw_follows_the_nose_towards_the_image_side(shift: float) -> None:
    points = ARCFACE_TEMPLATE_112.astype(np.float64).copy()
    points[2, 0] += shift
    assert np.sign(estimate_pose(_landmark_face(points)).yaw_deg) == np.sign(shift)


def test_best_frame_prefers_the_sharp_capture(pipeline: FacePipeline, photo: Photo) -> None:
    sharp = photo("person_b_2")
    frames = [u8(cv2.GaussianBlur(sharp, (0, 0), 6)), sharp, u8(cv2.GaussianBlur(sharp, (0, 0), 3))]
    best = pipeline.best_frame(frames)
    assert best.frame is frames[1]
    assert best.quality.ok


def test_best_frame_reads_no_frame_after_the_time_budget(pipeline: FacePipeline, photo: Photo) -> None:
    clock = ManualClock()
    read: list[int] = []

    def camera() -> Iterator[NDArray[np.uint8]]:
        for index in range(10):
            read.append(index)
            yield photo("person_a_2")
            clock.advance(0.5)  # the camera delivers two frames a second

    pipeline.best_frame(camera(), clock=clock, budget_s=1.5)
    assert read == [0, 1, 2, 3]


def test_best_frame_without_any_face_raises(pipeline: FacePipeline) -> None:
    with pytest.raises(NoFaceError):
        pipeline.best_frame([np.zeros((240, 320, 3), np.uint8)] * 2)


def test_best_frame_unpacks_as_frame_detection_and_quality(pipeline: FacePipeline, photo: Photo) -> None:
    frame, detection, quality = pipeline.best_frame([photo("person_a_2")])
    assert frame.shape[2] == 3
    assert detection.score > 0.6
    assert quality.ok
