"""``python -m core watchlist``: match queries against a list CSV, generate and evaluate a variant set.

``match`` prints one JSON line per query:
``{"query_id", "hits": [{"entry_id", "score", "verdict", "why"}], "latency_us"}`` (issue 7).
Exit status: 0 done, 2 bad input (the message says which file and row).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from core.watchlist.config import MatchConfig
from core.watchlist.csvio import load_entries_csv, write_entries_csv
from core.watchlist.errors import WatchlistError
from core.watchlist.evaluate import sweep
from core.watchlist.index import WatchlistIndex
from core.watchlist.model import Query
from core.watchlist.synthetic import LabelledQuery, labelled_variants, synthetic_entries

PROG = "python -m core watchlist"


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise WatchlistError(
                    f"{path} line {n}: not JSON ({exc.msg}); write one object per line"
                ) from exc
            if not isinstance(data, dict):
                raise WatchlistError(f"{path} line {n}: expected a JSON object")
            yield n, data


def _query(path: Path, n: int, data: dict[str, Any]) -> Query:
    try:
        return Query.from_dict(data)
    except WatchlistError as exc:
        raise WatchlistError(f"{path} line {n}: {exc}") from exc


def _index(args: argparse.Namespace) -> WatchlistIndex:
    config = MatchConfig.load(args.config) if args.config else MatchConfig()
    return WatchlistIndex.build(load_entries_csv(Path(args.list)), config)


def _match(args: argparse.Namespace) -> int:
    index = _index(args)
    lists = args.lists.split(",") if args.lists else None
    out = sys.stdout
    for n, data in _read_jsonl(Path(args.queries)):
        query = _query(Path(args.queries), n, data)
        start = time.perf_counter_ns()
        hits = index.match(query, today=args.today, lists=lists)
        latency_us = (time.perf_counter_ns() - start) // 1000
        record = {"query_id": query.query_id, "hits": [h.to_dict() for h in hits], "latency_us": latency_us}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


def _generate(args: argparse.Namespace) -> int:
    entries = list(synthetic_entries(args.count, seed=args.seed, today=args.today))
    with Path(args.list_out).open("w", encoding="utf-8", newline="") as fh:
        write_entries_csv(entries, fh)
    if args.queries_out:
        labelled = labelled_variants(entries, args.per_kind, seed=args.seed + 1, today=args.today)
        with Path(args.queries_out).open("w", encoding="utf-8") as fh:
            for lq in labelled:
                fh.write(json.dumps(lq.to_dict(), ensure_ascii=False) + "\n")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    index = _index(args)
    path = Path(args.queries)
    labelled = [
        LabelledQuery(str(d.get("kind", "")), _query(path, n, d), d.get("expected_entry_id"))
        for n, d in _read_jsonl(path)
    ]
    thresholds = [float(t) for t in args.thresholds.split(",")]
    for t, ev in sweep(index, labelled, args.today, thresholds):
        print(json.dumps({"mirip_threshold": t, **ev.to_dict()}))
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description="Cekal watch-list matching tools.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--today",
            type=date.fromisoformat,
            default=date.today(),
            metavar="YYYY-MM-DD",
            help="the day entries must be valid on (default: today)",
        )

    m = sub.add_parser("match", help="match queries (JSON lines) against a list CSV; print JSON lines")
    m.add_argument("--list", required=True, metavar="LIST.csv", help="the list CSV (see docs/watchlist.md)")
    m.add_argument("--queries", required=True, metavar="Q.jsonl", help="one query object per line")
    m.add_argument("--config", metavar="CONFIG.json", help="MatchConfig overrides (weights, thresholds)")
    m.add_argument("--lists", metavar="LIST,...", help="only these lists (e.g. pencegahan)")
    common(m)
    m.set_defaults(run=_match)

    g = sub.add_parser("generate", help="write a synthetic list CSV and a labelled variant query set")
    g.add_argument("--count", type=int, default=1000, help="entries in the list (default 1000)")
    g.add_argument("--seed", type=int, default=7, help="random seed (same seed, same files)")
    g.add_argument("--list-out", required=True, metavar="LIST.csv")
    g.add_argument("--queries-out", metavar="Q.jsonl", help="labelled queries (kind, expected_entry_id)")
    g.add_argument("--per-kind", type=int, default=50, help="queries per variant kind (default 50)")
    common(g)
    g.set_defaults(run=_generate)

    c = sub.add_parser("calibrate", help="recall and precision of labelled queries for several thresholds")
    c.add_argument("--list", required=True, metavar="LIST.csv")
    c.add_argument("--queries", required=True, metavar="Q.jsonl", help="labelled queries from `generate`")
    c.add_argument("--config", metavar="CONFIG.json")
    c.add_argument(
        "--thresholds", default="0.70,0.74,0.78,0.82,0.86", help="comma-separated mirip thresholds"
    )
    common(c)
    c.set_defaults(run=_calibrate)

    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except (WatchlistError, OSError) as exc:
        print(f"{PROG} {args.command}: {exc}", file=sys.stderr)
        return 2
    return code
