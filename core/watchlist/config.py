"""Matching thresholds and weights. Defaults are calibrated on the generated variant set
(``python -m core watchlist calibrate``; see docs/watchlist.md); a deployment may load its own JSON."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.watchlist.errors import WatchlistError


@dataclass(frozen=True, slots=True)
class MatchConfig:
    """How features combine into a score, and where the verdicts start.

    ``score = w_name*name + w_birth_date*date + w_nationality*nationality + w_sex*sex`` (weights sum to 1),
    where each feature is in 0..1. A hit is ``mirip`` when ``name >= name_floor`` and
    ``score >= mirip_threshold``; ``identik`` on a document-number match with a plausible name, or on a
    full name with the full birth date and the same nationality (issue 7).
    """

    weight_name: float = 0.55
    weight_birth_date: float = 0.25
    weight_nationality: float = 0.12
    weight_sex: float = 0.08
    date_exact: float = 1.0
    date_swapped: float = 0.85  # day and month swapped: a common data-entry slip
    date_partial: float = 0.7  # the parts both sides know agree (e.g. only the year is listed)
    date_unknown: float = 0.5  # one side has no birth date at all
    unknown_credit: float = 0.5  # nationality or sex missing on one side
    name_floor: float = 0.6
    mirip_threshold: float = 0.78
    identik_name: float = 0.97
    document_identik_name: float = 0.6
    partial_name_weight: float = 0.25  # weight of the longer name's coverage: missing parts cost a little
    token_pair_floor: float = 0.5  # token pairs less alike than this are not aligned at all
    edits_long_token: int = 2  # tokens of >= 5 letters: up to two typing or OCR errors (issue 7)
    edits_short_token: int = 1  # tokens of 2-4 letters
    rare_posting: int = 64  # a token this rare (within the birth year) makes candidates on its own
    long_token: int = 5

    def __post_init__(self) -> None:
        total = self.weight_name + self.weight_birth_date + self.weight_nationality + self.weight_sex
        if abs(total - 1.0) > 1e-6:
            raise WatchlistError(f"MatchConfig weights sum to {total:.4f}; they must sum to 1")
        if not 0 < self.mirip_threshold <= 1:
            raise WatchlistError("mirip_threshold must be in (0, 1]")

    def max_edits(self, length: int) -> int:
        if length >= self.long_token:
            return self.edits_long_token
        return self.edits_short_token if length >= 2 else 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise WatchlistError(f"unknown MatchConfig keys {unknown}; valid keys are {sorted(known)}")
        return cls(**data)

    @classmethod
    def load(cls, path: str | Path) -> MatchConfig:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise WatchlistError(f"cannot read match config {path}: {exc}") from exc
        return cls.from_dict(data)
