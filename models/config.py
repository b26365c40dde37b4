"""Face pipeline settings: which models, how many threads, and every threshold, with documented defaults.

Defaults:

* ``match_threshold`` 0.363: the cosine similarity OpenCV documents as SFace's "same person" operating
  point (LFW accuracy 99.60 % for the float model; OpenCV Zoo reports 99.40 % for the int8 variant).
* detector ``score_threshold`` 0.6 and NMS IoU 0.3: OpenCV's defaults for YuNet; ``detect_size`` 640
  (a 640×480 frame at full resolution; 320 or 480 for a quicker gate camera).
* quality thresholds: our own simple measures after ISO/IEC 29794-5 ideas (see ``docs/face.md``); the
  enrolment profile is stricter on size (60 px between the eyes, the ISO/IEC 19794-5 token-image figure).

A TOML file (``FaceConfig.from_toml``) may override any of them; unknown keys are refused so a typo
cannot silently leave a default in place.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.errors import ConfigError

CONFIG_ENV = "IMIGRASI_FACE_CONFIG"


@dataclass(frozen=True)
class QualityThresholds:
    """Limits a capture must meet (each measure is described in ``models.quality``)."""

    min_inter_eye_px: float = 30.0
    max_yaw_deg: float = 25.0
    max_pitch_deg: float = 25.0
    max_roll_deg: float = 15.0
    min_sharpness: float = 100.0
    min_brightness: float = 60.0
    max_brightness: float = 200.0
    max_clipped_fraction: float = 0.10
    min_detection_score: float = 0.7


ENROL_QUALITY = QualityThresholds(
    min_inter_eye_px=60.0, max_yaw_deg=15.0, max_pitch_deg=15.0, max_roll_deg=8.0
)


@dataclass(frozen=True)
class FaceConfig:
    """All ``FacePipeline.load`` needs; ``model_dir=None``: ``$IMIGRASI_MODEL_DIR`` or the package's."""

    model_dir: Path | None = None
    detector: str = "yunet-2023mar"
    embedder: str = "sface-2021dec-float"
    threads: int = 2
    detect_score_threshold: float = 0.6
    nms_iou: float = 0.3
    top_k: int = 50
    # Long side of the detector's input: the frame is scaled to it (and padded to multiples of 32).
    # 640 runs a 640×480 camera frame at full resolution (CCTV, small distant faces); a gate camera,
    # where the face is large, may use 320 or 480 for a quicker detection (docs/face.md).
    detect_size: int = 640
    match_threshold: float = 0.363
    quality: QualityThresholds = field(default_factory=QualityThresholds)
    enrol_quality: QualityThresholds = ENROL_QUALITY

    def __post_init__(self) -> None:
        if self.threads < 1:
            raise ConfigError(f"threads must be at least 1, got {self.threads}")
        if not 32 <= self.detect_size <= 4096 or self.detect_size % 32:
            raise ConfigError(f"detect_size must be a multiple of 32 from 32 to 4096, got {self.detect_size}")
        if not -1.0 <= self.match_threshold <= 1.0:
            raise ConfigError(f"match_threshold is a cosine, so between -1 and 1; got {self.match_threshold}")
        if not 0.0 < self.detect_score_threshold < 1.0:
            raise ConfigError(f"detect_score_threshold must be in (0, 1), got {self.detect_score_threshold}")

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> FaceConfig:
        """Build from plain values (e.g. a parsed TOML table); nested ``quality``/``enrol_quality`` tables."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ConfigError(f"unknown face config keys {sorted(unknown)}; known keys are {sorted(known)}")
        kwargs = dict(values)
        for key, base in (("quality", QualityThresholds()), ("enrol_quality", ENROL_QUALITY)):
            if key in kwargs:
                table = kwargs[key]
                fields = {f.name for f in dataclasses.fields(QualityThresholds)}
                bad = set(table) - fields
                if bad:
                    raise ConfigError(
                        f"unknown keys in [{key}]: {sorted(bad)}; known keys are {sorted(fields)}"
                    )
                kwargs[key] = dataclasses.replace(base, **{k: float(v) for k, v in table.items()})
        if "model_dir" in kwargs and kwargs["model_dir"] is not None:
            kwargs["model_dir"] = Path(kwargs["model_dir"])
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise ConfigError(f"face config has a value of the wrong type: {exc}") from exc

    @classmethod
    def from_toml(cls, path: Path) -> FaceConfig:
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read face config {path}: {exc}") from exc
        return cls.from_mapping(values.get("face", values))

    @classmethod
    def from_env(cls) -> FaceConfig:
        """``$IMIGRASI_FACE_CONFIG`` (a TOML file) if set, else the defaults."""
        path = os.environ.get(CONFIG_ENV)
        return cls.from_toml(Path(path)) if path else cls()
