"""``python -m models verify PROBE REFERENCE [--json]``: is the probe photo the reference photo's person?

Exit status: 0 match, 1 no match, 2 no usable face (or an unreadable image or model).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from models.config import FaceConfig
from models.errors import FaceError
from models.pipeline import FacePipeline, read_image

EXIT_MATCH, EXIT_NO_MATCH, EXIT_NO_FACE = 0, 1, 2


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m models verify",
        description="Compare the face in PROBE with the face in REFERENCE. "
        "Exit 0 match, 1 no match, 2 no usable face.",
    )
    parser.add_argument("probe", type=Path, help="the live capture (JPEG/PNG)")
    parser.add_argument("reference", type=Path, help="the reference photo, e.g. the passport portrait")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--config", type=Path, default=None, help="face config TOML (thresholds, models)")
    args = parser.parse_args(argv)
    try:
        config = FaceConfig.from_toml(args.config) if args.config else None
        pipeline = FacePipeline.load(config)
        reference = pipeline.enrol(read_image(args.reference))
        result = pipeline.verify(read_image(args.probe), reference)
    except FaceError as exc:
        if args.json:
            print(json.dumps({"error": str(exc)}))
        print(f"verify: {exc}", file=sys.stderr)
        return EXIT_NO_FACE
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        verdict = "MATCH" if result.match else "NO MATCH"
        hint = result.quality.guidance("en")
        print(f"{verdict}: score {result.score:.4f} (threshold {result.threshold:g})")
        print(f"quality: {'ok' if result.quality.ok else 'poor'}" + (f" ({hint})" if hint else ""))
        timings = ", ".join(f"{k} {v:.1f} ms" for k, v in result.timings_ms.items())
        print(f"timings: {timings}")
    return EXIT_MATCH if result.match else EXIT_NO_MATCH
