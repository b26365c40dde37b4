"""CCTV watch benchmark (issue 15): 1:N search over 100,000 templates, and watcher throughput on 720p.

    .venv/bin/python bench/bench_cctv.py [--entries 100000] [--frames 120] [--repeat 200]

Prints Markdown; figures are recorded in bench/results/cctv.md. Emulated video is a fixture photo
walking across a 1280×720 scene (tests/cctv/video.py); detection runs on every frame.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.clock import ManualClock
from core.wire.cctv import GalleryEntry, GallerySnapshot
from edge.cctv.gallery import AlertGallery
from edge.cctv.sinks import AlarmList
from edge.cctv.source import SequenceSource
from edge.cctv.watcher import CctvWatcher
from models import FacePipeline, FaceTemplate, Gallery
from models.prepare import prepare
from tests.cctv.video import Frame, photo, walk


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def big_gallery(pipeline: FacePipeline, entries: int) -> tuple[AlertGallery, FaceTemplate, Gallery]:
    rng = np.random.default_rng(1)
    model, version = pipeline.embedder.model_id, pipeline.embedder.version
    vectors = rng.normal(size=(entries, 128)).astype(np.float32)
    listed = pipeline.enrol(photo("person_a_1"))
    vectors[entries // 2] = listed.vector
    items = tuple(
        GalleryEntry(f"e{i}", None, "", (FaceTemplate.from_embedding(model, version, v).to_bytes(),))
        for i, v in enumerate(vectors)
    )
    gallery = AlertGallery(
        GallerySnapshot(1, "2026-11-22T00:00:00+00:00", items), model_id=model, version=version
    )
    reference = Gallery.from_templates(
        (f"e{i}", FaceTemplate.from_embedding(model, version, v)) for i, v in enumerate(vectors)
    )
    probe = pipeline.enrol(photo("person_a_2"))
    return gallery, probe, reference


def time_searches(
    fns: dict[str, Callable[[FaceTemplate], object]], probes: list[FaceTemplate]
) -> dict[str, tuple[list[float], float]]:
    """Wall ms per search and CPU ms per search, the implementations interleaved probe by probe so
    that load on the shared machine falls on all of them alike (same-run A/B)."""
    walls: dict[str, list[float]] = {name: [] for name in fns}
    cpu: dict[str, float] = dict.fromkeys(fns, 0.0)
    for fn in fns.values():
        fn(probes[0])
    for probe in probes:
        for name, fn in fns.items():
            c0, t0 = time.process_time(), time.perf_counter()
            fn(probe)
            walls[name].append((time.perf_counter() - t0) * 1e3)
            cpu[name] += time.process_time() - c0
    return {name: (walls[name], cpu[name] / len(probes) * 1e3) for name in fns}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    prepare()
    pipeline = FacePipeline.load()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"onnxruntime threads {pipeline.config.threads}\n"
    )

    gallery, probe, reference = big_gallery(pipeline, args.entries)
    hit = gallery.best_match(probe)
    assert hit is not None and hit.entry.entry_id == f"e{args.entries // 2}", "search found the wrong entry"
    plain = gallery.best_match_float32(probe)
    assert plain is not None and (plain.entry, round(plain.score, 5)) == (hit.entry, round(hit.score, 5))
    # Probes: the listed face's second photo, and random faces (no match: the most rows near the top).
    rng = np.random.default_rng(2)
    model, version = pipeline.embedder.model_id, pipeline.embedder.version
    probes = [probe] + [
        FaceTemplate.from_embedding(model, version, rng.normal(size=128)) for _ in range(args.repeat - 1)
    ]
    for extra in probes[1:20]:
        fast, exact = gallery.best_match(extra), gallery.best_match_float32(extra)
        assert fast is not None and exact is not None and fast.entry == exact.entry
    results = time_searches(
        {
            "edge.cctv `AlertGallery.best_match` (int8 copy + exact re-scoring)": gallery.best_match,
            "`AlertGallery.best_match_float32` (before: float32 matvec over all rows)": (
                gallery.best_match_float32
            ),
            "`models.Gallery.search(k=1)` (int8 copy + exact re-scoring, top-k)": lambda p: reference.search(
                p, 1
            ),
        },
        probes,
    )
    print(f"## 1:N search, {args.entries:,} templates × 128, {args.repeat} probes (load: {load()})\n")
    print("| implementation | median ms | p95 ms | min ms | CPU ms per search |\n|---|---|---|---|---|")
    for name, (values, cpu_ms) in results.items():
        print(
            f"| {name} | {statistics.median(values):.2f} | {percentile(values, 95):.2f} | "
            f"{min(values):.2f} | {cpu_ms:.2f} |"
        )

    small = AlertGallery(
        GallerySnapshot(
            1, "x", (GalleryEntry("a", None, "", (pipeline.enrol(photo("person_a_1")).to_bytes(),)),)
        ),
        model_id=pipeline.embedder.model_id,
        version=pipeline.embedder.version,
    )
    frames: list[Frame] = []
    names = ["person_a_2", "impostor_1", "person_b_2", "impostor_2"]
    per_walk = max(args.frames // len(names), 1)
    for name in names:
        frames.extend(walk(name, frames=per_walk))
    watcher = CctvWatcher("bench", pipeline, small, AlarmList(), clock=ManualClock())
    cpu0, wall0 = time.process_time(), time.perf_counter()
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    stats = watcher.run(SequenceSource(frames))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    print(f"\n## Watcher on 1280×720 frames, {stats.frames} frames, detection on every frame ({load()})\n")
    print("| measure | value |\n|---|---|")
    print(f"| frames per second (wall) | {stats.frames / wall:.1f} |")
    print(f"| CPU seconds per wall second (process, all threads) | {cpu / wall:.2f} |")
    print(
        f"| user / system CPU s | {usage1.ru_utime - usage0.ru_utime:.2f} / "
        f"{usage1.ru_stime - usage0.ru_stime:.2f} |"
    )
    for step, seconds in stats.seconds.items():
        print(f"| {step} ms per frame (mean) | {seconds / stats.frames * 1e3:.1f} |")
    print(f"| tracks / searches / alarms | {stats.tracks} / {stats.searches} / {stats.alarms} |")
    print(f"| peak RSS MiB | {usage1.ru_maxrss / 1024:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
