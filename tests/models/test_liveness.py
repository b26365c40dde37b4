"""The basic presentation-attack check: head-turn and blink challenges, and the passive motion cue."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray

from models import ActiveLiveness, Challenge, Detection, FacePipeline, LivenessVerdict, PassiveMotionCue
from models.align import ARCFACE_TEMPLATE_112

Photo = Callable[[str], NDArray[np.uint8]]
FRONTAL = ARCFACE_TEMPLATE_112.astype(np.float64) * 2.0 + 100.0


def _face(points: NDArray[np.float64]) -> Detection:
    x0, y0 = points.min(axis=0) - 30
    x1, y1 = points.max(axis=0) + 30
    return Detection((x0, y0, x1 - x0, y1 - y0), 0.9, tuple(map(tuple, points.tolist())))  # type: ignore[arg-type]


def _turned(yaw_deg: float) -> Detection:
    """Landmarks of a head turned by ``yaw_deg``: eyes close up, the nose tip swings sideways."""
    points = FRONTAL.copy()
    centre_x = points[:2, 0].mean()
    eye_distance = points[1, 0] - points[0, 0]
    yaw = math.radians(yaw_deg)
    points[[0, 1, 3, 4], 0] = centre_x + (points[[0, 1, 3, 4], 0] - centre_x) * math.cos(yaw)
    points[2, 0] = centre_x + 0.5 * eye_distance * math.sin(yaw)
    return _face(points)


def _run(check: ActiveLiveness, yaws: list[float | None]) -> LivenessVerdict:
    verdict = LivenessVerdict.UNDECIDED
    for index, yaw in enumerate(yaws):
        verdict = check.observe(index * 0.1, None if yaw is None else _turned(yaw))
    return verdict


def test_a_turn_to_the_asked_side_and_back_passes() -> None:
    assert _run(ActiveLiveness(Challenge.TURN_LEFT), [0, 5, 15, 30, 15, 3]) is LivenessVerdict.PASSED


def test_a_turn_to_the_other_side_does_not_pass() -> None:
    assert _run(ActiveLiveness(Challenge.TURN_LEFT), [0, -15, -30, -15, 0]) is LivenessVerdict.UNDECIDED


def test_a_turn_not_yet_brought_back_is_undecided() -> None:
    assert _run(ActiveLiveness(Challenge.TURN_EITHER), [0, -15, -30]) is LivenessVerdict.UNDECIDED


def test_a_still_face_fails_when_the_time_is_up() -> None:
    check = ActiveLiveness(Challenge.TURN_EITHER, timeout_s=2.0)
    assert _run(check, [0.0] * 30) is LivenessVerdict.FAILED


def test_a_lost_face_still_counts_towards_the_timeout() -> None:
    check = ActiveLiveness(Challenge.TURN_RIGHT, timeout_s=1.0)
    assert _run(check, [0.0, *([None] * 20)]) is LivenessVerdict.FAILED


def test_the_verdict_does_not_change_once_given() -> None:
    check = ActiveLiveness(Challenge.TURN_RIGHT, timeout_s=0.5)
    _run(check, [0.0] * 10)
    assert check.observe(0.6, _turned(-30)) is LivenessVerdict.FAILED


def test_the_instruction_is_bilingual() -> None:
    check = ActiveLiveness(Challenge.BLINK)
    assert check.instruction("id") != check.instruction("en")


def _closed_eyes(frame: NDArray[np.uint8], face: Detection) -> NDArray[np.uint8]:
    """The photo with both eyes covered by flat skin tone, as during a blink."""
    closed = frame.copy()
    half_w, half_h = round(0.3 * face.inter_eye_distance), round(0.18 * face.inter_eye_distance)
    cheek_x, cheek_y = round(face.landmarks[0][0]), round(face.landmarks[2][1])
    skin = frame[cheek_y - 3 : cheek_y + 3, cheek_x - 3 : cheek_x + 3].reshape(-1, 3).mean(axis=0)
    for x, y in face.landmarks[:2]:
        closed[round(y) - half_h : round(y) + half_h, round(x) - half_w : round(x) + half_w] = skin
    return closed


def test_a_blink_passes_the_blink_challenge(pipeline: FacePipeline, photo: Photo) -> None:
    frame = photo("person_b_1")
    face = pipeline.detect(frame)[0]
    check = ActiveLiveness(Challenge.BLINK)
    frames = [frame] * 4 + [_closed_eyes(frame, face)] * 2 + [frame] * 2
    verdicts = [check.observe(i * 0.1, face, f) for i, f in enumerate(frames)]
    assert verdicts[-1] is LivenessVerdict.PASSED


def test_open_eyes_throughout_fail_the_blink_challenge(pipeline: FacePipeline, photo: Photo) -> None:
    frame = photo("person_b_1")
    face = pipeline.detect(frame)[0]
    check = ActiveLiveness(Challenge.BLINK, timeout_s=1.0)
    verdicts = [check.observe(i * 0.1, face, frame) for i in range(15)]
    assert verdicts[-1] is LivenessVerdict.FAILED


def test_the_blink_challenge_needs_the_frames() -> None:
    with pytest.raises(ValueError, match="frame"):
        ActiveLiveness(Challenge.BLINK).observe(0.0, _turned(0))


def _similar(points: NDArray[np.float64], angle: float, scale: float, shift: float) -> NDArray[np.float64]:
    c, s = math.cos(angle), math.sin(angle)
    moved: NDArray[np.float64] = (points @ np.array([[c, s], [-s, c]])) * scale + shift
    return moved


def test_a_flat_picture_moved_about_shows_little_non_rigid_motion() -> None:
    rng = np.random.default_rng(7)
    frames = [
        _face(
            _similar(FRONTAL, rng.uniform(-0.2, 0.2), rng.uniform(0.9, 1.1), rng.uniform(-20, 20))
            + rng.normal(0, 0.3, FRONTAL.shape)
        )
        for _ in range(12)
    ]
    cue = PassiveMotionCue()
    assert cue.score(frames) < cue.threshold
    assert not cue.looks_live(frames)


def test_a_live_head_moving_in_depth_shows_non_rigid_motion() -> None:
    frames = [_turned(yaw) for yaw in (0, 4, 8, 4, 0, -4, -8, -4, 0)]
    assert PassiveMotionCue().looks_live(frames)


def test_one_frame_is_not_enough_for_the_passive_cue() -> None:
    assert not PassiveMotionCue().looks_live([_turned(0)])
