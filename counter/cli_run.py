"""``python -m counter run --config counter.toml``: serve the officer's counter station."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core.clock import SystemClock
from counter.config import load_config
from counter.errors import CounterError
from counter.runtime import build


def _face_pipeline() -> Any:
    """The verified face models; without them the station still takes the photo, unchecked."""
    from models import FacePipeline

    try:
        return FacePipeline.load()
    except (OSError, ValueError) as exc:
        print(
            f"counter: face models unavailable ({exc}); photos are taken without a quality check",
            file=sys.stderr,
        )
        return None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m counter run", description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="the station's counter.toml")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        runtime = build(config, clock=SystemClock(), face_pipeline=_face_pipeline())
    except (CounterError, OSError, ValueError) as exc:
        print(f"counter: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    runtime.start()
    print(f"counter {config.device_id}: http://{config.host}:{config.port}/", flush=True)
    try:
        uvicorn.run(runtime.app, host=config.host, port=config.port, log_level="warning")
    finally:
        runtime.close()
    return 0
