"""On-device face pipeline on onnxruntime: detection, alignment, quality, embedding, comparison, liveness.

Public API (what the gate, kiosk, CCTV watcher and emulator call)::

    from models import FacePipeline, FaceTemplate, Detection, QualityReport, ActiveLiveness, FaceError
"""

from models.config import FaceConfig, QualityThresholds
from models.detection import Detection
from models.errors import (
    ConfigError,
    FaceError,
    ModelIntegrityError,
    ModelPreparationError,
    NoFaceError,
    TemplateError,
)
from models.gallery import Gallery
from models.liveness import ActiveLiveness, Challenge, LivenessCheck, LivenessVerdict, PassiveMotionCue
from models.pipeline import BestFrame, FacePipeline, VerifyResult, read_image
from models.quality import GUIDANCE, QualityReport
from models.template import FaceTemplate

__all__ = [
    "GUIDANCE",
    "ActiveLiveness",
    "BestFrame",
    "Challenge",
    "ConfigError",
    "Detection",
    "FaceConfig",
    "FaceError",
    "FacePipeline",
    "FaceTemplate",
    "Gallery",
    "LivenessCheck",
    "LivenessVerdict",
    "ModelIntegrityError",
    "ModelPreparationError",
    "NoFaceError",
    "PassiveMotionCue",
    "QualityReport",
    "QualityThresholds",
    "TemplateError",
    "VerifyResult",
    "read_image",
]
