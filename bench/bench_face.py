"""Face pipeline benchmarks: per-frame time (2 and 1 threads), start-up, peak memory, 1:N search.

Run: ``.venv/bin/python bench/bench_face.py [--runs 50] [--no-ab]``. The A/B tables (default on) time,
interleaved in the same run, the prepared SFace against the previous prepared form (PRelu nodes kept) and
against OpenCV's DNN on the shipped graph, and the detector at each input size against the old square
640×640 canvas. Each measurement that depends on process
state (start-up, peak RSS) runs in a fresh subprocess; peak RSS is the child's own VmHWM. Results are
printed as Markdown; copy them into ``bench/results/face.md`` with the date and machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from models.pipeline import read_image

ROOT = Path(__file__).resolve().parent.parent
FACES = ROOT.parent / "shared" / "fixtures" / "faces"

CHILD_STARTUP = """
import time, json
t0 = time.perf_counter()
from models import FacePipeline, FaceConfig
t1 = time.perf_counter()
pipeline = FacePipeline.load(FaceConfig(embedder={embedder!r}))
t2 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "load_s": t2 - t1}}))
"""

# Peak = VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork+exec, so a child started by this
# (already large) benchmark process would report the parent's peak instead of its own.
CHILD_RSS = """
import json, cv2, numpy as np
from models import FacePipeline, FaceConfig
def status(field):
    return int(open("/proc/self/status").read().split(field + ":")[1].split()[0]) / 1024
imports_mb = status("VmRSS")
pipeline = FacePipeline.load(FaceConfig(embedder={embedder!r}))
loaded_mb = status("VmRSS")
frame = cv2.imread({photo!r})
reference = pipeline.enrol(frame)
pipeline.verify(frame, reference)
print(json.dumps({{"max_rss_mb": status("VmHWM"), "rss_mb": status("VmRSS"),
                  "imports_mb": imports_mb, "loaded_mb": loaded_mb}}))
"""


def _child(code: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def frame_640x480() -> NDArray[np.uint8]:
    """A fixture portrait placed in a 640×480 camera-sized frame."""
    import cv2

    photo = read_image(FACES / "person_b_1.jpg")
    scale = min(640 / photo.shape[1], 480 / photo.shape[0])
    small = cv2.resize(photo, (round(photo.shape[1] * scale), round(photo.shape[0] * scale)))
    frame = np.full((480, 640, 3), 40, np.uint8)
    x = (640 - small.shape[1]) // 2
    frame[: small.shape[0], x : x + small.shape[1]] = small
    return frame


def per_frame(threads: int, embedder: str, runs: int, detect_size: int = 640) -> dict[str, float]:
    from models import FaceConfig, FacePipeline

    pipeline = FacePipeline.load(FaceConfig(threads=threads, embedder=embedder, detect_size=detect_size))
    frame = frame_640x480()
    reference = pipeline.enrol(frame)
    for _ in range(5):
        pipeline.verify(frame, reference)
    totals: list[float] = []
    parts: dict[str, list[float]] = {"detect": [], "align": [], "embed": []}
    for _ in range(runs):
        result = pipeline.verify(frame, reference)
        totals.append(sum(result.timings_ms.values()))
        for key, value in result.timings_ms.items():
            parts[key].append(value)
    ordered = sorted(totals)
    return {
        "median_ms": statistics.median(totals),
        "p90_ms": ordered[int(0.9 * (len(ordered) - 1))],
        **{f"{k}_median_ms": statistics.median(v) for k, v in parts.items()},
    }


def _timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall and median CPU (process) time of ``fn`` in ms."""
    wall, cpu = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(wall) * 1e3, statistics.median(cpu) * 1e3


def embed_ab(runs: int, rounds: int = 3) -> None:
    """SFace on one aligned crop: prepared file vs previous form vs OpenCV DNN, interleaved rounds."""
    import dataclasses
    import tempfile

    import cv2
    import onnx

    from models import FacePipeline
    from models.prepare import RECIPES, SFACE_SOURCE, load_source, repair
    from models.runtime import make_session

    pipeline = FacePipeline.load()
    frame = frame_640x480()
    crop = pipeline.align(frame, pipeline.detect(frame)[0])
    blob = crop[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32)
    recipes = {r.name: r for r in RECIPES}
    with tempfile.TemporaryDirectory() as tmp:
        old_float, shipped = Path(tmp) / "old-float.onnx", Path(tmp) / "shipped-graph.onnx"
        source = load_source(SFACE_SOURCE)
        old = dataclasses.replace(recipes["sface-2021dec-float"], rewrite_prelu=False)
        onnx.save(repair(old, source)[0], str(old_float))
        graph_only = dataclasses.replace(recipes["sface-2021dec-int8"], rewrite_prelu=False)
        onnx.save(repair(graph_only, source)[0], str(shipped))
        header = " | ".join(f"round {i + 1}" for i in range(rounds))
        print(f"\n| SFace, one 112×112 crop | threads | {header} |")
        print("|---|---|" + "---|" * rounds)
        for threads in (2, 1):
            from models import FaceConfig

            ours = FacePipeline.load(FaceConfig(threads=threads)).embedder
            int8 = FacePipeline.load(FaceConfig(threads=threads, embedder="sface-2021dec-int8")).embedder
            before = make_session(old_float, threads)
            cv2.setNumThreads(threads)
            opencv = cv2.FaceRecognizerSF.create(str(shipped), "")
            cases: dict[str, Callable[[], object]] = {
                "prepared float (PRelu as depthwise convs)": lambda e=ours: e.embed_aligned(crop),
                "previous float (PRelu nodes)": lambda s=before: s.run(None, {"data": blob}),
                "prepared int8 (weights dequantised per run)": lambda e=int8: e.embed_aligned(crop),
                "OpenCV DNN FaceRecognizerSF (shipped graph)": lambda r=opencv: r.feature(crop),
            }
            results: dict[str, list[str]] = {name: [] for name in cases}
            for _ in range(rounds):
                for name, fn in cases.items():
                    for _ in range(5):
                        fn()
                    wall, cpu = _timed(fn, runs)
                    results[name].append(f"{wall:.1f} ms (CPU {cpu:.1f})")
            for name, cells in results.items():
                print(f"| {name} | {threads} | " + " | ".join(cells) + " |")
        cv2.setNumThreads(-1)


def detect_ab(runs: int, rounds: int = 3) -> None:
    """YuNet on the 640×480 frame: old square 640×640 canvas vs 640×480 vs reduced sizes, interleaved."""
    from models import FaceConfig, FacePipeline

    frame = frame_640x480()
    square = np.zeros((640, 640, 3), np.uint8)
    square[:480] = frame  # the old letterbox: the frame in the top-left of a 640×640 canvas
    header = " | ".join(f"round {i + 1}" for i in range(rounds))
    print(f"\n| YuNet, 640×480 frame | threads | {header} |")
    print("|---|---|" + "---|" * rounds)
    for threads in (2, 1):
        full, mid, small = (
            FacePipeline.load(FaceConfig(threads=threads, detect_size=s)) for s in (640, 480, 320)
        )
        cases: dict[str, Callable[[], object]] = {
            "640×640 canvas (before)": lambda p=full: p.detect(square),
            "640×480 canvas (detect_size 640, default)": lambda p=full: p.detect(frame),
            "480×384 canvas (detect_size 480)": lambda p=mid: p.detect(frame),
            "320×256 canvas (detect_size 320)": lambda p=small: p.detect(frame),
        }
        results: dict[str, list[str]] = {name: [] for name in cases}
        for _ in range(rounds):
            for name, fn in cases.items():
                for _ in range(3):
                    fn()
                wall, cpu = _timed(fn, runs)
                results[name].append(f"{wall:.1f} ms (CPU {cpu:.1f})")
        for name, cells in results.items():
            print(f"| {name} | {threads} | " + " | ".join(cells) + " |")


def gallery_search(size: int, runs: int) -> float:
    from models import FaceTemplate, Gallery

    rng = np.random.default_rng(1)
    gallery = Gallery("m", "1", 128)
    vectors = rng.normal(size=(size, 128)).astype(np.float32)
    for index, vector in enumerate(vectors):
        gallery.add(index, FaceTemplate.from_embedding("m", "1", vector))
    probe = FaceTemplate.from_embedding("m", "1", vectors[7])
    gallery.search(probe, 5)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        gallery.search(probe, 5)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--no-ab", action="store_true", help="skip the A/B tables")
    args = parser.parse_args()
    print(f"Load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}\n")
    print("| measure | value |\n|---|---|")
    for embedder in ("sface-2021dec-float", "sface-2021dec-int8"):
        for threads in (2, 1):
            r = per_frame(threads, embedder, args.runs)
            print(
                f"| detect+align+embed, 640×480, {embedder}, {threads} thread(s): median (p90) | "
                f"{r['median_ms']:.1f} ms ({r['p90_ms']:.1f} ms); detect {r['detect_median_ms']:.1f}, "
                f"align {r['align_median_ms']:.2f}, embed {r['embed_median_ms']:.1f} |"
            )
    for detect_size in (480, 320):
        for threads in (2, 1):
            r = per_frame(threads, "sface-2021dec-float", args.runs, detect_size)
            print(
                f"| detect+align+embed, 640×480, sface-2021dec-float, detect_size {detect_size}, "
                f"{threads} thread(s): median (p90) | {r['median_ms']:.1f} ms ({r['p90_ms']:.1f} ms); "
                f"detect {r['detect_median_ms']:.1f}, align {r['align_median_ms']:.2f}, "
                f"embed {r['embed_median_ms']:.1f} |"
            )
    for embedder in ("sface-2021dec-float", "sface-2021dec-int8"):
        startups = [_child(CHILD_STARTUP.format(embedder=embedder)) for _ in range(3)]
        load = statistics.median(s["load_s"] for s in startups)
        imports = statistics.median(s["import_s"] for s in startups)
        print(
            f"| start-up, {embedder}: load + verify models (median of 3) | "
            f"{load:.2f} s (imports {imports:.2f} s) |"
        )
        rss = _child(CHILD_RSS.format(embedder=embedder, photo=str(FACES / "person_b_1.jpg")))
        print(
            f"| RSS of a process holding both models ({embedder}): peak (after one verify; after "
            f"load; after imports) | {rss['max_rss_mb']:.0f} MB ({rss['rss_mb']:.0f}; "
            f"{rss['loaded_mb']:.0f}; {rss['imports_mb']:.0f} MB) |"
        )
    print(f"| gallery search, 100 000 × 128, top-5 (median of 50) | {gallery_search(100_000, 50):.2f} ms |")
    if not args.no_ab:
        embed_ab(max(10, args.runs // 2))
        detect_ab(max(10, args.runs // 2))
    print(f"\nLoad average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
