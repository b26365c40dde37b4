"""``python -m edge.cctv alarms``: list (or export) the sealed alarms of a stand-alone watcher.

``watch --alarms DIR`` seals each alarm with its face snapshot (issue 12); this opens them with the same
data key (``--data-key-file`` / ``--data-key-env``, else ``DIR/alarms.key``) and prints one JSON line per
alarm without the snapshot. ``--export OUT`` also writes ``<alarm_id>.json`` and ``.jpg`` unsealed into
OUT, for an officer who must hand an alarm on; delete OUT when done.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from edge.cctv.errors import CctvError
from edge.cctv.keys import add_key_options, sealer_for
from edge.cctv.sinks import KEY_NAME, AlarmDirectory
from edge.errors import EdgeError


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge.cctv alarms", description=__doc__)
    parser.add_argument("--alarms", type=Path, required=True, help="the watcher's alarm directory")
    parser.add_argument(
        "--export", type=Path, help="write the alarms unsealed (.json + .jpg) into this folder"
    )
    add_key_options(parser)
    args = parser.parse_args(argv)
    try:
        if not args.alarms.is_dir():
            raise CctvError(f"no alarm directory {args.alarms}")
        default = args.alarms / KEY_NAME
        if not (args.data_key_file or args.data_key_env or default.exists()):
            # A reader never makes a key: a new one would not open what the watcher sealed.
            raise CctvError(
                f"no data key: {default} does not exist; pass the watcher's --data-key-file or --data-key-env"
            )
        directory = AlarmDirectory(args.alarms, sealer=sealer_for(args, default=default))
        for alarm in directory.alarms():
            shown = {k: v for k, v in alarm.to_dict().items() if k != "snapshot_jpeg"}
            print(json.dumps(shown))
            if args.export is not None:
                args.export.mkdir(parents=True, exist_ok=True)
                (args.export / f"{alarm.alarm_id}.jpg").write_bytes(alarm.snapshot_jpeg)
                (args.export / f"{alarm.alarm_id}.json").write_text(json.dumps(shown, indent=1), "utf-8")
    except (CctvError, EdgeError) as exc:
        print(f"python -m edge.cctv alarms: {exc}", file=sys.stderr)
        return 1
    return 0
