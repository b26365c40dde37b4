"""Watch-list benchmark (issue 7): 1,000,000 synthetic entries, the blocking index against a rapidfuzz
brute-force scan of the same list, and the signed snapshots a gate loads (plain and prepared; the
gate-side figures in a fresh process come from bench/watchlist_prepared.py).

    .venv/bin/python bench/bench_watchlist.py [--count 1000000] [--per-kind 200] [--brute 80]
    .venv/bin/python bench/bench_watchlist.py --build-memory [--count 1000000]

``--build-memory`` measures central's list-build process alone, in this fresh process, with the
process RSS and its peak (``ru_maxrss``) after each step; nothing else runs (no queries, no brute
force). By default the entries stream into the index build once and stay compressed there, and
both snapshots are signed from the index's rows (``pack_entries``, ``sign_prepared_index``,
``sign_snapshot_rows``); ``--hold-entries`` keeps every entry as an object first and signs from
them, as the main run does.

Everything is generated here, deterministically (seeded): the list with
``core.watchlist.synthetic.synthetic_entries`` and the labelled queries with ``labelled_variants``.
The brute force scores *every* listed name with ``rapidfuzz.fuzz.token_set_ratio`` (C, one call per
query over all names), keeps those >= 50, and passes them to the same scorer as the index; it runs on
an evenly spread subset of the queries because a full pass costs about a second per query.
Prints Markdown; results are copied by hand into bench/results/watchlist.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import time
from datetime import UTC, date, datetime

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rapidfuzz import fuzz, process

from core.watchlist import (
    Snapshot,
    WatchlistIndex,
    content_hash_rows,
    load_prepared_snapshot,
    name_tokens,
    sign_prepared_index,
    sign_prepared_snapshot,
    sign_snapshot,
    sign_snapshot_rows,
    verify_snapshot,
)
from core.watchlist.evaluate import Evaluation
from core.watchlist.synthetic import labelled_variants, synthetic_entries

TODAY = date(2026, 11, 22)


def rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def peak_mib() -> float:
    """The process's peak RSS so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_memory(count: int, hold_entries: bool) -> None:
    """Central's build steps one after another, RSS and peak RSS after each (see the module doc)."""

    def step(what: str, t0: float) -> None:
        print(f"| {what} | {time.perf_counter() - t0:.1f} s | {rss_mib():.0f} MiB | {peak_mib():.0f} MiB |")

    print("| step | time | RSS after | peak RSS so far |\n|---|---|---|---|")
    step("start (imports)", time.perf_counter())
    key = Ed25519PrivateKey.generate()
    stamp = datetime.now(UTC)
    if hold_entries:  # as the main benchmark: every entry as an object, snapshots from them
        t = time.perf_counter()
        entries = list(synthetic_entries(count, seed=7, today=TODAY))
        step(f"{len(entries):,} entries generated (objects, kept)", t)
        t = time.perf_counter()
        index = WatchlistIndex.build(entries)
        gc.collect()
        step("index built", t)
        snap = Snapshot(1, tuple(entries), stamp)
        t = time.perf_counter()
        prepared = sign_prepared_snapshot(snap, key, index=index)
        size = len(prepared)
        del prepared
        gc.collect()
        step(f"prepared snapshot signed ({size / 2**20:.0f} MiB, then dropped)", t)
        t = time.perf_counter()
        data = sign_snapshot(snap, key)
        step(f"plain snapshot signed ({len(data) / 2**20:.0f} MiB)", t)
        return
    # Streamed, as central builds a list version: the entries pass once into the index, which keeps
    # them compressed; both snapshots are signed from the index's rows.
    t = time.perf_counter()
    index = WatchlistIndex.build(synthetic_entries(count, seed=7, today=TODAY), pack_entries=True)
    gc.collect()
    step(f"{len(index):,} entries generated and streamed into the index build (packed)", t)
    t = time.perf_counter()
    digest = content_hash_rows(1, len(index), index.entry_rows(by_id=True))
    step("content hash from the index rows", t)
    t = time.perf_counter()
    prepared = sign_prepared_index(index, 1, stamp, digest, key)
    size = len(prepared)
    del prepared
    gc.collect()
    step(f"prepared snapshot signed ({size / 2**20:.0f} MiB, then dropped)", t)
    t = time.perf_counter()
    data = sign_snapshot_rows(1, stamp, len(index), index.entry_rows(), key)
    step(f"plain snapshot signed from the rows ({len(data) / 2**20:.0f} MiB)", t)


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values), p))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--per-kind", type=int, default=200)
    ap.add_argument("--brute", type=int, default=80)
    ap.add_argument("--skip-snapshot", action="store_true")
    ap.add_argument("--build-memory", action="store_true", help="only central's build steps, with peak RSS")
    ap.add_argument(
        "--hold-entries", action="store_true", help="with --build-memory: keep every entry as an object"
    )
    args = ap.parse_args()
    if args.build_memory:
        build_memory(args.count, args.hold_entries)
        return

    base = rss_mib()
    t0 = time.perf_counter()
    entries = list(synthetic_entries(args.count, seed=7, today=TODAY))
    t_gen = time.perf_counter() - t0
    after_entries = rss_mib()
    t0 = time.perf_counter()
    index = WatchlistIndex.build(entries)
    t_build = time.perf_counter() - t0
    gc.collect()
    after_index = rss_mib()
    print(f"entries: {len(entries):,}; generated in {t_gen:.1f} s")
    print(f"index build: {t_build:.1f} s")
    print(
        f"RSS: start {base:.0f} MiB, with entries {after_entries:.0f} MiB, with index {after_index:.0f} MiB "
        f"(index alone {after_index - after_entries:.0f} MiB)"
    )

    labelled = labelled_variants(entries, args.per_kind, seed=8, today=TODAY)
    for lq in labelled[:50]:  # warm caches the same way a running gate has them
        index.match(lq.query, today=TODAY)
    lat: list[float] = []
    cpu: list[float] = []
    ev = Evaluation()
    load = os.getloadavg()[0]
    for lq in labelled:
        t, c = time.perf_counter(), time.process_time()
        hits = index.match(lq.query, today=TODAY)
        cpu.append((time.process_time() - c) * 1000)
        lat.append((time.perf_counter() - t) * 1000)
        ev.add(lq, hits)
    print(f"\nqueries: {len(lat)}; latency ms: median {statistics.median(lat):.3f}, p90 {pct(lat, 90):.3f}, "
          f"p99 {pct(lat, 99):.3f}, max {max(lat):.3f}")  # fmt: skip
    print(f"CPU ms per query: median {statistics.median(cpu):.3f}, p90 {pct(cpu, 90):.3f}, "
          f"p99 {pct(cpu, 99):.3f}; load average {load:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after")  # fmt: skip
    d = ev.to_dict()
    print(f"recall {d['recall']:.4f} ({ev.found}/{ev.positives}); precision {d['precision']:.4f}; "
          f"false-alarm rate on negatives {d['false_alarm_rate']:.4f}; "
          f"identik on negatives {ev.identik_on_negatives}")  # fmt: skip
    print("\n| kind | ok | total |\n|---|---|---|")
    for kind, v in sorted(ev.by_kind.items()):
        print(f"| {kind} | {v[0]} | {v[1]} |")

    # Brute force on an evenly spread subset, same scorer.
    step = max(1, len(labelled) // args.brute)
    subset = labelled[::step][: args.brute]
    names = index.name_strings()
    ev_idx, ev_bf = Evaluation(), Evaluation()
    t_idx = t_bf = 0.0
    for lq in subset:
        t = time.perf_counter()
        hits = index.match(lq.query, today=TODAY)
        t_idx += time.perf_counter() - t
        ev_idx.add(lq, hits)
        t = time.perf_counter()
        q = " ".join(name_tokens(lq.query.full_name))
        found = process.extract(q, names, scorer=fuzz.token_set_ratio, score_cutoff=50, limit=None)
        ids = np.asarray(sorted(i for _, _, i in found), dtype=np.int64)
        bf_hits = index.score_candidates(lq.query, ids, today=TODAY)
        t_bf += time.perf_counter() - t
        ev_bf.add(lq, bf_hits)
    n = len(subset)
    print(f"\nbrute force subset: {n} queries")
    print(f"index mean {t_idx / n * 1000:.3f} ms/query, brute force mean {t_bf / n * 1000:.1f} ms/query, "
          f"ratio {t_bf / t_idx:.0f}x")  # fmt: skip
    print(f"recall index {ev_idx.recall:.4f} vs brute force {ev_bf.recall:.4f} "
          f"(difference {ev_bf.recall - ev_idx.recall:+.4f}); precision index {ev_idx.precision:.4f} "
          f"vs brute force {ev_bf.precision:.4f}")  # fmt: skip

    if args.skip_snapshot:
        return
    key = Ed25519PrivateKey.generate()
    snap = Snapshot(1, tuple(entries))
    t = time.perf_counter()
    prepared = sign_prepared_snapshot(snap, key, index=index)
    t_prep = time.perf_counter() - t
    t = time.perf_counter()
    data = sign_snapshot(snap, key)
    t_sign = time.perf_counter() - t
    first = labelled[0].query
    del entries, snap, index, names
    gc.collect()
    t = time.perf_counter()
    loaded_index = load_prepared_snapshot(prepared, key.public_key()).index
    loaded_index.match(first, today=TODAY)
    t_ready = time.perf_counter() - t
    del loaded_index, prepared
    gc.collect()
    t = time.perf_counter()
    verify_snapshot(data, key.public_key())
    t_load = time.perf_counter() - t
    print(f"\nprepared snapshot (index + entries): {t_prep:.1f} s to sign; verify + map + first answer "
          f"{t_ready:.2f} s")  # fmt: skip
    print(f"peak RSS of this process (everything above, queries and brute force included): "
          f"{peak_mib():.0f} MiB")  # fmt: skip
    print(f"plain snapshot: {len(data) / 2**20:.1f} MiB compressed; sign {t_sign:.1f} s; "
          f"verify + decode {t_load:.1f} s + an index build")  # fmt: skip


if __name__ == "__main__":
    main()
