"""``python -m edge.cctv enrol PHOTO...``: face templates (base64) for an alert-gallery entry.

Central has no face models (it imports only ``core``), so a reference photo is turned into a
template here, with the same model the watchers run, and the template is sent to central.
"""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path

from models import FaceError, FacePipeline, read_image


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge.cctv enrol", description=__doc__)
    parser.add_argument("photos", nargs="+", type=Path, help="reference photos (JPEG or PNG), one face each")
    args = parser.parse_args(argv)
    pipeline = FacePipeline.load()
    out = []
    for path in args.photos:
        try:
            template = pipeline.enrol(read_image(path))
        except FaceError as exc:
            parser.exit(2, f"{path}: {exc}\n")
        out.append({"photo": str(path), "template": base64.b64encode(template.to_bytes()).decode("ascii")})
    print(json.dumps(out, indent=1))
    return 0
