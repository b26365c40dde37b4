"""``python -m models evaluate DIR``: genuine and impostor scores, FNMR at fixed FMRs, and a DET plot.

DIR holds one sub-folder per person, or (flat) files named ``<person>_<n>.jpg``. Every image is
enrolled; every pair of images is compared: same person → genuine, different people → impostor.

Honest numbers: an FMR of x can only be claimed from at least 3/x impostor comparisons (the "rule of
three": with none falsely matched among n, the 95 % upper bound of the FMR is about 3/n). Below that the
report says the set is too small rather than printing a figure. FNMR comes with its exact
(Clopper–Pearson) 95 % interval from the genuine count.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

from models.config import FaceConfig
from models.errors import FaceError
from models.pipeline import FacePipeline, read_image
from models.template import FaceTemplate

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
DEFAULT_FMRS = (0.1, 0.01, 0.001, 0.0001)


def collect_people(directory: Path) -> dict[str, list[Path]]:
    """Images per person: sub-folders if there are any, else ``<person>_<n>`` file names."""
    people: dict[str, list[Path]] = {}
    folders = sorted(p for p in directory.iterdir() if p.is_dir())
    if folders:
        for folder in folders:
            images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if images:
                people[folder.name] = images
        return people
    for image in sorted(p for p in directory.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        person = image.stem.rsplit("_", 1)[0] if "_" in image.stem else image.stem
        people.setdefault(person, []).append(image)
    return people


def _log_binom_pmf(k: int, n: int, p: float) -> float:
    if p <= 0.0:
        return 0.0 if k == 0 else -math.inf
    if p >= 1.0:
        return 0.0 if k == n else -math.inf
    return (
        math.lgamma(n + 1)
        - math.lgamma(k + 1)
        - math.lgamma(n - k + 1)
        + k * math.log(p)
        + (n - k) * math.log1p(-p)
    )


def _binom_cdf(k: int, n: int, p: float) -> float:
    return min(1.0, sum(math.exp(_log_binom_pmf(i, n, p)) for i in range(k + 1)))


def clopper_pearson(errors: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact two-sided binomial confidence interval for a rate of ``errors`` out of ``trials``."""
    if trials <= 0:
        return (0.0, 1.0)
    alpha = 1.0 - confidence

    def solve(target: float, k: int) -> float:
        """The p where P(X ≤ k; p) = target (that probability falls as p grows)."""
        lo, hi = 0.0, 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            if _binom_cdf(k, trials, mid) > target:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    lower = 0.0 if errors == 0 else solve(1 - alpha / 2, errors - 1)
    upper = 1.0 if errors == trials else solve(alpha / 2, errors)
    return (lower, upper)


@dataclass
class OperatingPoint:
    target_fmr: float
    threshold: float | None = None
    fnmr: float | None = None
    fnmr_interval: tuple[float, float] | None = None
    note: str = ""


@dataclass
class Evaluation:
    genuine: list[float]
    impostor: list[float]
    points: list[OperatingPoint]
    threshold: float
    unusable: list[str] = field(default_factory=list)

    def at_threshold(self) -> dict[str, Any]:
        false_non_matches = sum(s < self.threshold for s in self.genuine)
        false_matches = sum(s >= self.threshold for s in self.impostor)
        return {
            "threshold": self.threshold,
            "false_non_matches": false_non_matches,
            "genuine": len(self.genuine),
            "false_matches": false_matches,
            "impostor": len(self.impostor),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "genuine_scores": [round(s, 6) for s in self.genuine],
            "impostor_scores": [round(s, 6) for s in self.impostor],
            "at_configured_threshold": self.at_threshold(),
            "operating_points": [
                {
                    "fmr": p.target_fmr,
                    "threshold": p.threshold,
                    "fnmr": p.fnmr,
                    "fnmr_95ci": list(p.fnmr_interval) if p.fnmr_interval else None,
                    "note": p.note,
                }
                for p in self.points
            ],
            "unusable_images": self.unusable,
        }


def operating_points(
    genuine: Sequence[float], impostor: Sequence[float], fmrs: Sequence[float] = DEFAULT_FMRS
) -> list[OperatingPoint]:
    """FNMR at each target FMR, or a note saying why the set cannot support that figure."""
    points: list[OperatingPoint] = []
    ranked = sorted(impostor, reverse=True)
    for fmr in fmrs:
        point = OperatingPoint(fmr)
        needed = math.ceil(3.0 / fmr)
        if not genuine:
            point.note = "no genuine comparisons: need at least two images of one person"
        elif len(impostor) < needed:
            point.note = (
                f"too few impostor comparisons ({len(impostor)}) to claim FMR {fmr:g}; need ≥ {needed}"
            )
        else:
            allowed = math.floor(fmr * len(ranked))
            # The threshold sits just above the highest impostor score that would exceed the allowance.
            point.threshold = math.nextafter(ranked[allowed], math.inf)
            misses = sum(s < point.threshold for s in genuine)
            point.fnmr = misses / len(genuine)
            point.fnmr_interval = clopper_pearson(misses, len(genuine))
        points.append(point)
    return points


def score_pairs(templates: dict[str, list[FaceTemplate]]) -> tuple[list[float], list[float]]:
    genuine = [a.similarity(b) for items in templates.values() for a, b in itertools.combinations(items, 2)]
    impostor = [
        a.similarity(b)
        for (_, xs), (_, ys) in itertools.combinations(sorted(templates.items()), 2)
        for a in xs
        for b in ys
    ]
    return genuine, impostor


def evaluate(directory: Path, pipeline: FacePipeline, fmrs: Sequence[float] = DEFAULT_FMRS) -> Evaluation:
    templates: dict[str, list[FaceTemplate]] = {}
    unusable: list[str] = []
    for person, images in collect_people(directory).items():
        for image in images:
            try:
                templates.setdefault(person, []).append(pipeline.enrol(read_image(image)))
            except FaceError as exc:
                unusable.append(f"{image.name}: {exc}")
    genuine, impostor = score_pairs(templates)
    return Evaluation(
        genuine=genuine,
        impostor=impostor,
        points=operating_points(genuine, impostor, fmrs),
        threshold=pipeline.config.match_threshold,
        unusable=unusable,
    )


def det_curve(genuine: Sequence[float], impostor: Sequence[float]) -> list[tuple[float, float]]:
    """(FMR, FNMR) at every distinct score used as threshold."""
    curve = []
    for t in sorted({*genuine, *impostor}):
        fmr = sum(s >= t for s in impostor) / len(impostor)
        fnmr = sum(s < t for s in genuine) / len(genuine)
        curve.append((fmr, fnmr))
    return curve


def plot_det(result: Evaluation, path: Path) -> None:
    """A DET plot (FNMR against FMR on normal-deviate axes) written as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    normal = NormalDist()
    clamp = 1e-4

    def deviate(p: float) -> float:
        return normal.inv_cdf(min(max(p, clamp), 1 - clamp))

    figure, axes = plt.subplots(figsize=(5, 5))
    if result.genuine and result.impostor:
        curve = det_curve(result.genuine, result.impostor)
        axes.plot([deviate(f) for f, _ in curve], [deviate(n) for _, n in curve], drawstyle="steps-post")
    ticks = [0.0001, 0.001, 0.01, 0.05, 0.2, 0.5, 0.8]
    axes.set_xticks([deviate(t) for t in ticks], [f"{t:g}" for t in ticks])
    axes.set_yticks([deviate(t) for t in ticks], [f"{t:g}" for t in ticks])
    axes.set_xlim(deviate(clamp), deviate(0.9))
    axes.set_ylim(deviate(clamp), deviate(0.9))
    axes.set_xlabel("false match rate (FMR)")
    axes.set_ylabel("false non-match rate (FNMR)")
    axes.set_title(f"DET: {len(result.genuine)} genuine, {len(result.impostor)} impostor pairs")
    axes.grid(True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)


def render_text(result: Evaluation) -> str:
    lines = [f"genuine comparisons: {len(result.genuine)}, impostor comparisons: {len(result.impostor)}"]
    for name, scores in (("genuine", result.genuine), ("impostor", result.impostor)):
        if scores:
            lines.append(f"  {name:8} scores: min {min(scores):.3f}  max {max(scores):.3f}")
    at = result.at_threshold()
    lines.append(
        f"at threshold {at['threshold']:g}: {at['false_non_matches']}/{at['genuine']} false non-matches, "
        f"{at['false_matches']}/{at['impostor']} false matches"
    )
    for p in result.points:
        if p.fnmr is None or p.fnmr_interval is None:
            lines.append(f"  FMR {p.target_fmr:g}: {p.note}")
        else:
            lo, hi = p.fnmr_interval
            lines.append(
                f"  FMR {p.target_fmr:g}: FNMR {p.fnmr:.4f} (95% CI {lo:.4f}–{hi:.4f}), t={p.threshold:.4f}"
            )
    lines.extend(f"  unusable: {u}" for u in result.unusable)
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m models evaluate",
        description="Genuine/impostor score distributions, FNMR at fixed FMRs and a DET plot for a folder "
        "with one sub-folder per person (or flat <person>_<n>.jpg files).",
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--plot", type=Path, default=Path("det.png"), help="DET plot PNG (default det.png)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--config", type=Path, default=None, help="face config TOML")
    args = parser.parse_args(argv)
    if not args.directory.is_dir():
        print(f"evaluate: {args.directory} is not a folder", file=sys.stderr)
        return 2
    try:
        config = FaceConfig.from_toml(args.config) if args.config else None
        result = evaluate(args.directory, FacePipeline.load(config))
    except FaceError as exc:
        print(f"evaluate: {exc}", file=sys.stderr)
        return 2
    plot_det(result, args.plot)
    if args.json:
        print(json.dumps({**result.to_dict(), "plot": str(args.plot)}, indent=2))
    else:
        print(render_text(result))
        print(f"DET plot: {args.plot}")
    return 0
