"""Capture quality: simple measures after ISO/IEC 29794-5 ideas, and the guidance a person gets.

These are our own plain measures, not an implementation of ISO/IEC 29794-5 and not its quality score:

* **face size**: distance between the eye centres in frame pixels;
* **pose**: yaw, pitch and roll estimated from the five landmarks with a crude head model (the nose tip
  sits about half an inter-eye distance in front of the eyes), good to a few degrees near frontal;
* **sharpness**: variance of the Laplacian of the aligned 112×112 grey crop (blur removes fine edges);
* **exposure**: mean grey level of the crop's centre, and the fraction of clipped (near-black or
  near-white) pixels there;
* **one face only**: the number of faces the detector found in the frame.

SOP-003-A08 step 6: a face "not captured well" sends the passenger back out of the gate, so the gate
picks its best frame and the kiosk guides the applicant until the photo is good enough to enrol.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from models.config import QualityThresholds
from models.detection import Detection

# Guidance for each hint key, (Indonesian, English), shown on the passenger display or the kiosk screen.
GUIDANCE: dict[str, tuple[str, str]] = {
    "step_into_view": ("Posisikan wajah Anda di depan kamera", "Place your face in front of the camera"),
    "one_person_only": ("Hanya satu orang di depan kamera", "Only one person in front of the camera, please"),
    "move_closer": ("Mendekatlah ke kamera", "Move closer to the camera"),
    "look_at_camera": ("Tatap lurus ke kamera", "Look straight at the camera"),
    "more_light": ("Pencahayaan kurang, hadapkan wajah ke cahaya", "Too dark: face the light"),
    "less_light": ("Terlalu terang, hindari cahaya langsung", "Too bright: avoid direct light"),
    "hold_still": ("Tahan posisi, jangan bergerak", "Hold still"),
}

# Where the eye-line-to-nose distance sits between eyes and mouth on the ArcFace template, frontal pose.
_FRONTAL_NOSE_RATIO = (71.7366 - 51.6) / (92.28 - 51.6)


@dataclass(frozen=True)
class Pose:
    """Approximate head pose in degrees. Yaw > 0: nose towards the image's right (the subject's left)."""

    yaw_deg: float
    pitch_deg: float
    roll_deg: float


def estimate_pose(detection: Detection) -> Pose:
    """Yaw, pitch and roll from the five landmarks (see module notes; approximate)."""
    points = detection.landmarks_array().astype(np.float64)
    right_eye, left_eye, nose = points[0], points[1], points[2]
    mouth = (points[3] + points[4]) / 2.0
    eye_mid = (right_eye + left_eye) / 2.0
    roll = math.atan2(left_eye[1] - right_eye[1], left_eye[0] - right_eye[0])
    # Undo roll so yaw and pitch are measured along the face's own axes.
    c, s = math.cos(-roll), math.sin(-roll)
    rotate = np.array([[c, -s], [s, c]])
    nose_r, mouth_r = rotate @ (nose - eye_mid), rotate @ (mouth - eye_mid)
    eye_distance = max(float(np.linalg.norm(left_eye - right_eye)), 1e-6)
    # A nose tip ~0.5·IED in front of the eye plane moves 0.5·IED·sin(yaw) while the eyes close up by
    # cos(yaw): offset / IED_seen = 0.5·tan(yaw).
    yaw = math.degrees(math.atan(2.0 * nose_r[0] / eye_distance))
    eye_to_mouth = max(float(mouth_r[1]), 1e-6)
    dy = nose_r[1] - _FRONTAL_NOSE_RATIO * eye_to_mouth
    pitch = math.degrees(math.atan(2.0 * dy / eye_distance))
    return Pose(yaw_deg=yaw, pitch_deg=pitch, roll_deg=math.degrees(roll))


def sharpness(crop_bgr: NDArray[np.uint8]) -> float:
    grey = cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def exposure(crop_bgr: NDArray[np.uint8]) -> tuple[float, float]:
    """Mean grey level and clipped fraction over the crop's centre (skin, not the black warp border)."""
    grey = cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2GRAY)
    h, w = grey.shape
    centre = grey[h // 4 : h - h // 8, w // 5 : w - w // 5]
    clipped = float(np.mean((centre <= 5) | (centre >= 250)))
    return float(centre.mean()), clipped


@dataclass(frozen=True)
class QualityReport:
    """Whether a capture is good enough, the measures behind it, and what to tell the person."""

    ok: bool
    hint: str | None
    failures: tuple[str, ...]
    measures: dict[str, float] = field(default_factory=dict)

    def guidance(self, language: str = "en") -> str | None:
        """The hint as text, ``language`` ``"id"`` or ``"en"``; ``None`` when the capture is good."""
        if self.hint is None:
            return None
        indonesian, english = GUIDANCE[self.hint]
        return indonesian if language == "id" else english

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "hint": self.hint,
            "failures": list(self.failures),
            "measures": {k: round(v, 4) for k, v in self.measures.items()},
        }


def no_face_report() -> QualityReport:
    return QualityReport(ok=False, hint="step_into_view", failures=("no_face",), measures={"face_count": 0.0})


def assess(
    detection: Detection,
    crop_bgr: NDArray[np.uint8],
    thresholds: QualityThresholds,
    *,
    face_count: int = 1,
) -> QualityReport:
    """Measure one detected face (with its aligned crop) against ``thresholds``.

    The hint is the first failure in the order a person can best fix it: other people out of view, then
    distance, then pose, then light, then blur (which often goes away once the person stops moving).
    """
    pose = estimate_pose(detection)
    brightness, clipped = exposure(crop_bgr)
    measures = {
        "face_count": float(face_count),
        "detection_score": detection.score,
        "inter_eye_px": detection.inter_eye_distance,
        "yaw_deg": pose.yaw_deg,
        "pitch_deg": pose.pitch_deg,
        "roll_deg": pose.roll_deg,
        "sharpness": sharpness(crop_bgr),
        "brightness": brightness,
        "clipped_fraction": clipped,
    }
    checks: list[tuple[str, str, bool]] = [
        ("several_faces", "one_person_only", face_count > 1),
        ("face_too_small", "move_closer", detection.inter_eye_distance < thresholds.min_inter_eye_px),
        ("low_detection_score", "look_at_camera", detection.score < thresholds.min_detection_score),
        ("yaw", "look_at_camera", abs(pose.yaw_deg) > thresholds.max_yaw_deg),
        ("pitch", "look_at_camera", abs(pose.pitch_deg) > thresholds.max_pitch_deg),
        ("roll", "look_at_camera", abs(pose.roll_deg) > thresholds.max_roll_deg),
        ("too_dark", "more_light", brightness < thresholds.min_brightness),
        ("too_bright", "less_light", brightness > thresholds.max_brightness),
        (
            "clipped",
            "more_light" if brightness < 128 else "less_light",
            clipped > thresholds.max_clipped_fraction,
        ),
        ("blurred", "hold_still", measures["sharpness"] < thresholds.min_sharpness),
    ]
    failed = [(name, hint) for name, hint, bad in checks if bad]
    return QualityReport(
        ok=not failed,
        hint=failed[0][1] if failed else None,
        failures=tuple(name for name, _ in failed),
        measures=measures,
    )


def ranking_key(report: QualityReport, thresholds: QualityThresholds) -> tuple[bool, int, float]:
    """Order captures: good ones first, then fewer failures, then larger, sharper and more frontal."""
    m = report.measures
    if not m.get("face_count"):
        return (False, -99, float("-inf"))
    merit = (
        min(m["inter_eye_px"] / thresholds.min_inter_eye_px, 3.0)
        + min(m["sharpness"] / thresholds.min_sharpness, 3.0)
        - abs(m["yaw_deg"]) / thresholds.max_yaw_deg
        - abs(m["pitch_deg"]) / thresholds.max_pitch_deg
    )
    return (report.ok, -len(report.failures), merit)
