"""Where the prepared models live and the manifest that vouches for them.

The runtime trusts a model file only when its SHA-256 equals the one ``python -m models prepare`` wrote
into ``manifest.json`` beside it; a file changed on disk (tampering, a half-written copy, a different
package version) is refused at start-up instead of silently changing match decisions.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.errors import ModelIntegrityError

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
MODEL_DIR_ENV = "IMIGRASI_MODEL_DIR"


def default_model_dir() -> Path:
    """``$IMIGRASI_MODEL_DIR`` if set, else ``models/prepared/`` inside this package (gitignored)."""
    env = os.environ.get(MODEL_DIR_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent / "prepared"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class ModelEntry:
    """One prepared model file as the manifest records it."""

    name: str
    file: str
    sha256: str
    size: int
    details: dict[str, Any]


@dataclass(frozen=True)
class Manifest:
    """The parsed ``manifest.json`` of a model folder."""

    directory: Path
    models: dict[str, ModelEntry]
    source: dict[str, Any]

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST_NAME
        if not path.is_file():
            raise ModelIntegrityError(
                f"no model manifest at {path}; run `python -m models prepare` (or set {MODEL_DIR_ENV})"
            )
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("format") != MANIFEST_FORMAT:
                raise ValueError(f"manifest format {raw.get('format')!r}, expected {MANIFEST_FORMAT}")
            models = {
                name: ModelEntry(
                    name=name,
                    file=str(entry["file"]),
                    sha256=str(entry["sha256"]),
                    size=int(entry["size"]),
                    details={k: v for k, v in entry.items() if k not in ("file", "sha256", "size")},
                )
                for name, entry in raw["models"].items()
            }
            source = dict(raw["source"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelIntegrityError(
                f"model manifest {path} is unreadable ({exc}); run `python -m models prepare --force`"
            ) from exc
        return cls(directory=directory, models=models, source=source)

    def verified_path(self, name: str) -> Path:
        """The path of model ``name`` after checking its size and SHA-256 against the manifest."""
        entry = self.models.get(name)
        if entry is None:
            raise ModelIntegrityError(
                f"model {name!r} is not in {self.directory / MANIFEST_NAME} (it has: "
                f"{', '.join(sorted(self.models))}); run `python -m models prepare`"
            )
        path = self.directory / entry.file
        if not path.is_file():
            raise ModelIntegrityError(f"model file {path} is missing; run `python -m models prepare`")
        if path.stat().st_size != entry.size or sha256_file(path) != entry.sha256:
            raise ModelIntegrityError(
                f"model file {path} does not match its manifest (SHA-256 {entry.sha256[:12]}…); it was "
                "changed after preparation: run `python -m models prepare --force` to rebuild it"
            )
        return path
