"""Gate-side watch-list benchmark (issue 7): load a signed *prepared* snapshot and answer queries.

    .venv/bin/python bench/watchlist_prepared.py prepare --out /tmp/wl [--count 1000000] [--per-kind 100]
    .venv/bin/python bench/watchlist_prepared.py gate --dir /tmp/wl [--repeat 5]
    .venv/bin/python bench/watchlist_prepared.py cache --dir /tmp/wl [--repeat 5] [--changes 1000]
    .venv/bin/python bench/watchlist_prepared.py central --dir /tmp/wl [--count 1000000]

``prepare`` is central's side: generate the synthetic list (seed 7) and the labelled queries (seed 8),
build the index, sign the prepared snapshot and write ``prepared.bin``, ``public.key`` and
``queries.pickle``. ``gate`` runs in a fresh process, as a gate would after receiving a list version:
read the file, verify the signature, map the index and answer the first query (timed ``--repeat``
times, median reported), then every labelled query (latency, recall) and the process RSS.
``cache`` measures the gate's real start-up path: ``edge.watchlist_cache.WatchlistCache.load()`` of a
cache directory holding the prepared snapshot and one signed delta of ``--changes`` changed entries
(kept on an overlay, its result hash checked by one pass over the list), then the first screening;
each load in a fresh process, and the time ``install_delta`` takes on a running gate.
``central`` is central's path for the same list: a streamed build (``pack_entries=True``, no entry
objects), the content hash from the packed rows, ``write_prepared_index`` into a file; time and the
process's peak RSS (central's bound: 1 GB at 1M entries).
Prints Markdown-ready lines; results are copied by hand into bench/results/watchlist.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import pickle
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.clock import SystemClock
from core.watchlist import (
    Delta,
    OverlayIndex,
    Snapshot,
    WatchlistIndex,
    content_hash_rows,
    load_prepared_snapshot,
    sign_delta,
    sign_prepared_snapshot,
    write_prepared_index,
)
from core.watchlist.evaluate import Evaluation
from core.watchlist.synthetic import labelled_variants, synthetic_entries
from edge.watchlist_cache import DELTA_SUFFIX, PREPARED_FILE, WatchlistCache

TODAY = date(2026, 11, 22)


def rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def prepare(out: Path, count: int, per_kind: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    entries = list(synthetic_entries(count, seed=7, today=TODAY))
    labelled = labelled_variants(entries, per_kind, seed=8, today=TODAY)
    t = time.perf_counter()
    index = WatchlistIndex.build(entries)
    t_build = time.perf_counter() - t
    key = Ed25519PrivateKey.generate()
    t = time.perf_counter()
    data = sign_prepared_snapshot(Snapshot(1, tuple(entries)), key, index=index)
    t_sign = time.perf_counter() - t
    (out / "prepared.bin").write_bytes(data)
    (out / "public.key").write_bytes(
        key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    # Only for the ``cache`` mode, which signs a delta on top (a throw-away key of this run).
    (out / "private.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
    )
    (out / "queries.pickle").write_bytes(pickle.dumps(labelled))
    print(f"entries {len(entries):,}; index build {t_build:.1f} s; prepare + sign {t_sign:.1f} s; "
          f"prepared snapshot {len(data) / 2**20:.1f} MiB")  # fmt: skip
    sizes = sorted(
        ((a.nbytes, name) for name, a in vars(index).items() if isinstance(a, np.ndarray)), reverse=True
    )
    print("largest arrays (MiB): " + ", ".join(f"{name} {n / 2**20:.1f}" for n, name in sizes[:8]))


def load_once(directory: Path) -> float:
    """Seconds from reading the file to the first answer, in this process."""
    public = Ed25519PublicKey.from_public_bytes((directory / "public.key").read_bytes())
    labelled = pickle.loads((directory / "queries.pickle").read_bytes())
    t = time.perf_counter()
    data = (directory / "prepared.bin").read_bytes()
    prepared = load_prepared_snapshot(data, public)
    prepared.index.match(labelled[0].query, today=TODAY)
    return time.perf_counter() - t


def gate(directory: Path, repeat: int) -> None:
    loads = []
    for _ in range(repeat):  # each in a fresh process: no page cache of Python objects carries over
        out = subprocess.run(
            [sys.executable, __file__, "load-once", "--dir", str(directory)],
            capture_output=True,
            text=True,
            check=True,
        )
        loads.append(float(out.stdout.strip()))
    print(f"load (read + verify + map + first answer), {repeat} fresh processes: "
          f"median {statistics.median(loads):.2f} s, "
          f"min {min(loads):.2f} s, max {max(loads):.2f} s")  # fmt: skip

    public = Ed25519PublicKey.from_public_bytes((directory / "public.key").read_bytes())
    labelled = pickle.loads((directory / "queries.pickle").read_bytes())
    base = rss_mib()
    index = load_prepared_snapshot((directory / "prepared.bin").read_bytes(), public).index
    gc.collect()
    for lq in labelled[:50]:
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
    a = np.asarray(lat)
    print(f"queries {len(lat)}: median {np.median(a):.3f} ms, p90 {np.percentile(a, 90):.3f} ms, "
          f"p99 {np.percentile(a, 99):.3f} ms, max {a.max():.3f} ms")  # fmt: skip
    b = np.asarray(cpu)
    print(f"CPU per query: median {np.median(b):.3f} ms, p90 {np.percentile(b, 90):.3f} ms, "
          f"p99 {np.percentile(b, 99):.3f} ms; load average {load:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after")  # fmt: skip
    d = ev.to_dict()
    print(f"recall {d['recall']:.4f} ({ev.found}/{ev.positives}); precision {d['precision']:.4f}; "
          f"false-alarm rate on negatives {d['false_alarm_rate']:.4f}; "
          f"identik on negatives {ev.identik_on_negatives}")  # fmt: skip
    print(f"RSS: before load {base:.0f} MiB, after load and queries {rss_mib():.0f} MiB")
    print("\n| kind | ok | total |\n|---|---|---|")
    for kind, v in sorted(ev.by_kind.items()):
        print(f"| {kind} | {v[0]} | {v[1]} |")


def _cache_dir(directory: Path, changes: int) -> tuple[Path, bytes]:
    """``DIR/cache``: the prepared snapshot as the gate stores it, and a signed delta 1 -> 2 that
    changes ``changes`` entries (names of others, so tokens move), removes and adds a tenth as many."""
    cache = directory / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    shutil.copyfile(directory / "prepared.bin", cache / PREPARED_FILE)
    key = Ed25519PrivateKey.from_private_bytes((directory / "private.key").read_bytes())
    prepared = load_prepared_snapshot((directory / "prepared.bin").read_bytes(), key.public_key())
    index = prepared.index
    n = len(index)
    step = max(1, n // max(1, changes))
    picked = [index.entries[i] for i in range(0, n, step)][:changes]
    upserts = [
        dataclasses.replace(e, full_name=picked[(j + 1) % len(picked)].full_name, reason="bench change")
        for j, e in enumerate(picked[: changes - changes // 10])
    ]
    removals = [e.entry_id for e in picked[changes - changes // 10 :]]
    upserts += [
        dataclasses.replace(e, entry_id=f"NEW-{j:07d}")
        for j, e in enumerate(synthetic_entries(changes // 10, seed=99, today=TODAY))
    ]
    upserts.sort(key=lambda e: e.entry_id)
    t = time.perf_counter()
    result = OverlayIndex(index).apply(upserts, removals).content_hash(2)
    t_hash = time.perf_counter() - t
    delta = Delta(2, 1, prepared.content_hash, result, tuple(upserts), tuple(sorted(removals)))
    data = sign_delta(delta, key)
    print(f"delta 1 -> 2: {len(upserts)} upserts, {len(removals)} removals, {len(data) / 1024:.0f} KiB; "
          f"overlay + content hash of version 2: {t_hash:.2f} s")  # fmt: skip
    return cache, data


def cache_once(directory: Path) -> str:
    """Seconds from a new WatchlistCache to its first screening (load + deltas), and the RSS."""
    public = Ed25519PublicKey.from_public_bytes((directory / "public.key").read_bytes())
    labelled = pickle.loads((directory / "queries.pickle").read_bytes())
    t = time.perf_counter()
    cache = WatchlistCache(directory / "cache", public, SystemClock(), max_age_s=1e12)
    version = cache.load()
    assert cache.index is not None
    cache.index.match(labelled[0].query, today=TODAY)
    took = time.perf_counter() - t
    assert cache.prepared is not None, "the cache did not use the prepared snapshot"
    return f"{took:.3f} {rss_mib():.0f} {version}"


def cache_bench(directory: Path, repeat: int, changes: int) -> None:
    cache, delta = _cache_dir(directory, changes)
    for with_delta in (False, True):
        for old in cache.glob(f"*{DELTA_SUFFIX}"):
            old.unlink()
        if with_delta:
            (cache / f"{1:012d}-{2:012d}{DELTA_SUFFIX}").write_bytes(delta)
        runs = []
        for _ in range(repeat):
            out = subprocess.run(
                [sys.executable, __file__, "cache-once", "--dir", str(directory)],
                capture_output=True,
                text=True,
                check=True,
            )
            took, rss, version = out.stdout.split()
            runs.append((float(took), float(rss), int(version)))
        times = [r[0] for r in runs]
        what = f"prepared base + delta of {changes} changes" if with_delta else "prepared base only"
        print(f"WatchlistCache.load() + first screening, {what} (version {runs[0][2]}), {repeat} fresh "
              f"processes: median {statistics.median(times):.2f} s, min {min(times):.2f} s, "
              f"max {max(times):.2f} s; RSS after {statistics.median(r[1] for r in runs):.0f} MiB; "
              f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    for old in cache.glob(f"*{DELTA_SUFFIX}"):
        old.unlink()
    public = Ed25519PublicKey.from_public_bytes((directory / "public.key").read_bytes())
    running = WatchlistCache(cache, public, SystemClock(), max_age_s=1e12)
    running.load()
    t = time.perf_counter()
    running.install_delta(delta)
    print(f"install_delta on a running gate (verify, overlay, result hash): {time.perf_counter() - t:.2f} s")


def central(directory: Path, count: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    t = time.perf_counter()
    index = WatchlistIndex.build(synthetic_entries(count, seed=7, today=TODAY), pack_entries=True)
    t_build = time.perf_counter() - t
    peak_build = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    digest = content_hash_rows(1, len(index), index.entry_rows(by_id=True))
    t_hash = time.perf_counter() - t
    t = time.perf_counter()
    sha, size = write_prepared_index(
        directory / "central.wlp", index, 1, datetime(2026, 11, 22, tzinfo=UTC), digest, key
    )
    t_write = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"central, {count:,} entries: streamed build {t_build:.1f} s (peak RSS {peak_build:.0f} MiB), "
          f"content hash {t_hash:.1f} s, write + sign prepared file {t_write:.1f} s "
          f"({size / 2**20:.1f} MiB, sha256 {sha[:12]}); peak RSS overall {peak:.0f} MiB; "
          f"RSS now {rss_mib():.0f} MiB; load average {os.getloadavg()[0]:.2f}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["prepare", "gate", "load-once", "cache", "cache-once", "central"])
    ap.add_argument("--out", "--dir", dest="dir", type=Path, default=Path("/tmp/watchlist-bench"))
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--per-kind", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--changes", type=int, default=1000, help="cache: entries the delta changes")
    args = ap.parse_args()
    if args.command == "prepare":
        prepare(args.dir, args.count, args.per_kind)
    elif args.command == "gate":
        gate(args.dir, args.repeat)
    elif args.command == "cache":
        cache_bench(args.dir, args.repeat, args.changes)
    elif args.command == "central":
        central(args.dir, args.count)
    elif args.command == "cache-once":
        print(cache_once(args.dir))
    else:
        print(f"{load_once(args.dir):.3f}")


if __name__ == "__main__":
    main()
