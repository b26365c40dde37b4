"""A basic presentation-attack check: an active challenge (head turn or blink) and a passive motion cue.

This is **basic**. It stops a still printed photo or a phone showing a still picture held in front of the
camera. It does not stop a replayed video of the person turning or blinking, a 3-D mask, or a photo bent
and moved by hand with skill; no liveness model is available offline for this project (see
``docs/face.md``). Thresholds are starting points, not calibrated on attack data.

Yaw sign: positive when the nose moves towards the image's right, i.e. the subject turns to *their* left
(the camera sees them mirrored).
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from models.detection import Detection
from models.quality import estimate_pose


class LivenessVerdict(enum.Enum):
    UNDECIDED = "undecided"
    PASSED = "passed"
    FAILED = "failed"


class Challenge(enum.Enum):
    TURN_LEFT = "turn_left"  # the subject's own left
    TURN_RIGHT = "turn_right"
    TURN_EITHER = "turn_either"
    BLINK = "blink"


# What the person is asked to do, (Indonesian, English).
CHALLENGE_TEXT: dict[Challenge, tuple[str, str]] = {
    Challenge.TURN_LEFT: ("Tolehkan kepala ke kiri, lalu kembali", "Turn your head to your left, then back"),
    Challenge.TURN_RIGHT: (
        "Tolehkan kepala ke kanan, lalu kembali",
        "Turn your head to your right, then back",
    ),
    Challenge.TURN_EITHER: (
        "Tolehkan kepala ke samping, lalu kembali",
        "Turn your head to one side, then back",
    ),
    Challenge.BLINK: ("Kedipkan mata Anda", "Blink your eyes"),
}


def eye_openness(frame_bgr: NDArray[np.uint8], detection: Detection) -> float:
    """Contrast in the two eye patches (std / mean of grey): an open eye shows dark iris on white sclera,
    a closed one mostly uniform eyelid skin."""
    grey = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
    half_w = max(2, round(0.22 * detection.inter_eye_distance))
    half_h = max(1, round(0.12 * detection.inter_eye_distance))
    values: list[float] = []
    for x, y in detection.landmarks[:2]:
        cx, cy = round(x), round(y)
        patch = grey[max(0, cy - half_h) : cy + half_h + 1, max(0, cx - half_w) : cx + half_w + 1]
        if patch.size:
            values.append(float(patch.std()) / max(float(patch.mean()), 1.0))
    return float(np.mean(values)) if values else 0.0


class ActiveLiveness:
    """Tracks one challenge over a frame sequence; feed it with ``observe`` until it decides.

    Head turn: the face must first be seen frontal (|yaw| ≤ ``frontal_deg``), then turned past
    ``turn_deg`` in the asked direction, then frontal again. Blink: eye openness (needs the frames) must
    fall below ``blink_drop`` × its open baseline and come back above ``blink_recover`` × baseline.
    Either way, FAILED when ``timeout_s`` passes first (timestamps come from the caller's clock).
    """

    def __init__(
        self,
        challenge: Challenge = Challenge.TURN_EITHER,
        *,
        timeout_s: float = 6.0,
        turn_deg: float = 20.0,
        frontal_deg: float = 10.0,
        blink_drop: float = 0.6,
        blink_recover: float = 0.85,
    ) -> None:
        self.challenge = challenge
        self.timeout_s = timeout_s
        self.turn_deg = turn_deg
        self.frontal_deg = frontal_deg
        self.blink_drop = blink_drop
        self.blink_recover = blink_recover
        self._start: float | None = None
        self._stage = 0  # 0: waiting for frontal/open, 1: waiting for turn/closed, 2: waiting to come back
        self._baseline: list[float] = []
        self.verdict = LivenessVerdict.UNDECIDED

    def instruction(self, language: str = "en") -> str:
        indonesian, english = CHALLENGE_TEXT[self.challenge]
        return indonesian if language == "id" else english

    def observe(
        self, timestamp: float, detection: Detection | None, frame_bgr: NDArray[np.uint8] | None = None
    ) -> LivenessVerdict:
        """Take one frame's face (``None`` if none was found) at ``timestamp`` seconds; return the verdict."""
        if self.verdict is not LivenessVerdict.UNDECIDED:
            return self.verdict
        if self._start is None:
            self._start = timestamp
        if detection is not None:
            if self.challenge is Challenge.BLINK:
                if frame_bgr is None:
                    raise ValueError("the blink challenge needs the frame as well as the detection")
                self._step_blink(eye_openness(frame_bgr, detection))
            else:
                self._step_turn(estimate_pose(detection).yaw_deg)
        if self.verdict is LivenessVerdict.UNDECIDED and timestamp - self._start > self.timeout_s:
            self.verdict = LivenessVerdict.FAILED
        return self.verdict

    def _turned(self, yaw: float) -> bool:
        if self.challenge is Challenge.TURN_LEFT:
            return yaw >= self.turn_deg
        if self.challenge is Challenge.TURN_RIGHT:
            return yaw <= -self.turn_deg
        return abs(yaw) >= self.turn_deg

    def _step_turn(self, yaw: float) -> None:
        frontal = abs(yaw) <= self.frontal_deg
        if self._stage == 0 and frontal:
            self._stage = 1
        elif self._stage == 1 and self._turned(yaw):
            self._stage = 2
        elif self._stage == 2 and frontal:
            self.verdict = LivenessVerdict.PASSED

    def _step_blink(self, openness: float) -> None:
        if self._stage == 0:
            self._baseline.append(openness)
            if len(self._baseline) >= 3:
                self._stage = 1
            return
        baseline = float(np.median(self._baseline))
        if self._stage == 1:
            if openness < self.blink_drop * baseline:
                self._stage = 2
            else:
                self._baseline = [*self._baseline[-9:], openness]
        elif self._stage == 2 and openness >= self.blink_recover * baseline:
            self.verdict = LivenessVerdict.PASSED


# ``LivenessCheck`` is the name the other packages use for the active check.
LivenessCheck = ActiveLiveness


def _similarity_residual(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """RMS distance left after the best least-squares similarity transform maps ``a`` onto ``b``."""
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    ca, cb = a - mean_a, b - mean_b
    # In complex form a 2-D similarity is one complex multiplier: b ≈ z·a.
    za = ca[:, 0] + 1j * ca[:, 1]
    zb = cb[:, 0] + 1j * cb[:, 1]
    denom = float(np.vdot(za, za).real)
    z = np.vdot(za, zb) / denom if denom > 0 else 0.0
    return float(np.sqrt(np.mean(np.abs(zb - z * za) ** 2)))


@dataclass(frozen=True)
class PassiveMotionCue:
    """Non-rigid landmark motion between frames, relative to the inter-eye distance.

    A flat picture (print or screen) moves as one plane: its five landmarks move by a similarity
    transform, up to detector jitter. A live head turns and nods in 3-D, so the nose tip moves relative
    to the eyes and mouth, and the face changes expression. The cue is the median, over consecutive
    frame pairs, of the RMS residual after removing the best similarity transform, divided by the
    inter-eye distance. ``looks_live`` compares it with ``threshold`` (uncalibrated starting value).
    A tilted or bent photo also produces some non-rigid motion: this cue only adds evidence.
    """

    threshold: float = 0.012

    def score(self, landmarks: Sequence[Detection]) -> float:
        residuals: list[float] = []
        for before, after in itertools.pairwise(landmarks):
            a = before.landmarks_array().astype(np.float64)
            b = after.landmarks_array().astype(np.float64)
            scale = max((before.inter_eye_distance + after.inter_eye_distance) / 2.0, 1e-6)
            residuals.append(_similarity_residual(a, b) / scale)
        return float(np.median(residuals)) if residuals else 0.0

    def looks_live(self, landmarks: Sequence[Detection]) -> bool:
        """True when the sequence (≥ 2 faces) shows more non-rigid motion than a flat picture would."""
        return len(landmarks) >= 2 and self.score(landmarks) >= self.threshold
