"""The face pipeline's exceptions: one base, each also the builtin that fits."""

from __future__ import annotations


class FaceError(Exception):
    """Base of every error raised by ``models``."""


class ModelIntegrityError(FaceError, RuntimeError):
    """A prepared model file is missing or does not match its manifest."""


class ModelPreparationError(FaceError, RuntimeError):
    """The shipped model files could not be repaired or failed verification against the reference."""


class NoFaceError(FaceError, ValueError):
    """An image holds no face the pipeline can use."""


class TemplateError(FaceError, ValueError):
    """A face template is malformed or was made by a different model."""


class ConfigError(FaceError, ValueError):
    """A face configuration value is unknown or out of range."""
