"""``python -m edge.cctv check-gallery``: verify the watcher's gallery copy and list its entries."""

from __future__ import annotations

import argparse
from pathlib import Path

from edge.cctv.errors import CctvError
from edge.cctv.gallery import GalleryCache, load_public_key


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge.cctv check-gallery", description=__doc__)
    parser.add_argument("--gallery", type=Path, required=True, help="the gallery copy the watcher keeps")
    parser.add_argument("--public-key", type=Path, required=True, help="central's gallery key (PEM)")
    args = parser.parse_args(argv)
    try:
        snapshot = GalleryCache(args.gallery, load_public_key(args.public_key)).load()
    except CctvError as exc:
        print(f"refused: {exc}")
        return 1
    if snapshot is None:
        print(f"no gallery copy at {args.gallery}")
        return 1
    print(f"gallery version {snapshot.version}, issued {snapshot.issued_at}, {len(snapshot.entries)} entries")
    for entry in snapshot.entries:
        link = f" (watch list {entry.watchlist_id})" if entry.watchlist_id else ""
        print(f"  {entry.entry_id}: {entry.label}{link}, {len(entry.templates)} template(s)")
    return 0
