"""Gate-side watch-list benchmark (issue 7): load a signed *prepared* snapshot and answer queries.

    .venv/bin/python bench/watchlist_prepared.py prepare --out /tmp/wl [--count 1000000] [--per-kind 100]
    .venv/bin/python bench/watchlist_prepared.py gate --dir /tmp/wl [--repeat 5]

``prepare`` is central's side: generate the synthetic list (seed 7) and the labelled queries (seed 8),
build the index, sign the prepared snapshot and write ``prepared.bin``, ``public.key`` and
``queries.pickle``. ``gate`` runs in a fresh process, as a gate would after receiving a list version:
read the file, verify the signature, map the index and answer the first query (timed ``--repeat``
times, median reported), then every labelled query (latency, recall) and the process RSS.
Prints Markdown-ready lines; results are copied by hand into bench/results/watchlist.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.watchlist import Snapshot, WatchlistIndex, load_prepared_snapshot, sign_prepared_snapshot
from core.watchlist.evaluate import Evaluation
from core.watchlist.synthetic import labelled_variants, synthetic_entries

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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["prepare", "gate", "load-once"])
    ap.add_argument("--out", "--dir", dest="dir", type=Path, default=Path("/tmp/watchlist-bench"))
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--per-kind", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if args.command == "prepare":
        prepare(args.dir, args.count, args.per_kind)
    elif args.command == "gate":
        gate(args.dir, args.repeat)
    else:
        print(f"{load_once(args.dir):.3f}")


if __name__ == "__main__":
    main()
