"""The first reports (issue 8): crossings per hour, gate and direction; outcomes; alarms by kind; time per
gate step against the SOP time standards. Plain functions over the store; CSV for export.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from central.store import Row, Store

# SOP-003-A08 time standards for the autogate steps (seconds). Steps the SOP marks "conditional"
# (fingerprint, face) have no standard and are reported without one.
# Step names are the wire's (core.wire.StepTimings).
STEP_STANDARDS: dict[str, float | None] = {
    "scan": 5.0,  # step 3: scan the DPRI, check validity and expiry, check cekal: 5 s in all
    "cekal_check": None,  # part of step 3's 5 s, not a standard of its own
    "entry_door": 1.0,  # step 4: entrance door opens and closes behind the passenger
    "fingerprint": None,  # step 5: conditional
    "face": None,  # step 6: conditional
    "exit_door": 1.0,  # step 8: exit door opens
    "total": None,
}
REPORTS = ("crossings-per-hour", "outcomes", "alarms", "step-times")


def crossings_per_hour(store: Store, since: datetime | None, until: datetime | None) -> list[dict[str, Any]]:
    counts: Counter[tuple[str, str, str]] = Counter()
    for c in store.crossings(since=since, until=until, limit=None):
        if c["outcome"] != "crossed":
            continue
        hour = c["occurred_at"].replace(minute=0, second=0, microsecond=0).isoformat()
        counts[(hour, c["device_id"], c["direction"])] += 1
    return [
        {"hour": hour, "device_id": device, "direction": direction, "crossings": n}
        for (hour, device, direction), n in sorted(counts.items())
    ]


def outcomes(store: Store, since: datetime | None, until: datetime | None) -> list[dict[str, Any]]:
    """Crossed, redirected (by reason) and held: every passenger a gate dealt with."""
    counts: Counter[tuple[str, str]] = Counter(
        (c["outcome"], c["reason"]) for c in store.crossings(since=since, until=until, limit=None)
    )
    return [{"outcome": o, "reason": r, "count": n} for (o, r), n in sorted(counts.items())]


def alarms_by_kind(store: Store, since: datetime | None, until: datetime | None) -> list[dict[str, Any]]:
    counts: Counter[tuple[str, str]] = Counter(
        (a["kind"], a["priority"]) for a in store.alerts_between(since, until)
    )
    return [{"kind": k, "priority": p, "count": n} for (k, p), n in sorted(counts.items())]


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (the value a reader can find in the data)."""
    if not values:
        raise ValueError("percentile of no values; pass at least one")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def step_times(store: Store, since: datetime | None, until: datetime | None) -> list[dict[str, Any]]:
    """Average and p95 per gate and step, with the SOP standard and the share of passengers within it."""
    samples: dict[tuple[str, str], list[float]] = defaultdict(list)
    for c in store.crossings(since=since, until=until, limit=None):
        for step, seconds in (c["step_seconds"] or {}).items():
            if isinstance(seconds, int | float) and math.isfinite(seconds):
                samples[(c["device_id"], step)].append(float(seconds))
    rows = []
    for (device, step), values in sorted(samples.items()):
        standard = STEP_STANDARDS.get(step)
        within = None if standard is None else sum(v <= standard for v in values) / len(values)
        rows.append(
            {
                "device_id": device,
                "step": step,
                "count": len(values),
                "mean_s": round(sum(values) / len(values), 3),
                "p95_s": round(percentile(values, 95), 3),
                "standard_s": standard,
                "within_standard": None if within is None else round(within, 4),
            }
        )
    return rows


def run(store: Store, name: str, since: datetime | None, until: datetime | None) -> list[dict[str, Any]]:
    if name == "crossings-per-hour":
        return crossings_per_hour(store, since, until)
    if name == "outcomes":
        return outcomes(store, since, until)
    if name == "alarms":
        return alarms_by_kind(store, since, until)
    if name == "step-times":
        return step_times(store, since, until)
    raise ValueError(f"unknown report {name!r}; choose one of {', '.join(REPORTS)}")


def to_csv(rows: Iterable[Row], columns: Sequence[str] | None = None) -> str:
    rows = list(rows)
    columns = list(columns or (rows[0].keys() if rows else []))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else value
