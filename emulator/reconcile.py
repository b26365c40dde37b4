"""Proof of no loss: the union of the gates' ledgers against the event ids central stored.

Central's database is opened read-only (SQLite ``mode=ro``) through SQLAlchemy with the table from
``central.store.schema``. ``lost`` = emitted - stored; ``duplicates_stored`` counts event ids with more
than one row, which the primary key makes 0 by construction: counting proves it rather than assumes it.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from central.store.schema import commands, events
from emulator.wiregate import read_ledger

# The outcome keys the JSON summary always carries (issue 11), then every other CrossingOutcome value.
OUTCOME_KEYS = (
    "crossed", "redirected", "held_cekal", "held_review", "timeouts", "rejected_document", "not_eligible",
    "abandoned", "fault",
)  # fmt: skip


def read_only_engine(db_path: Path) -> sa.Engine:
    """An engine that cannot write to central's SQLite file."""
    return sa.create_engine(f"sqlite:///file:{db_path}?mode=ro&uri=true")


def stored_event_counts(db_path: Path, device_ids: Iterable[str] | None = None) -> Counter[str]:
    """Rows per event id in central's ``events`` table (only these devices' when given)."""
    engine = read_only_engine(db_path)
    try:
        query = sa.select(events.c.event_id, sa.func.count()).group_by(events.c.event_id)
        if device_ids is not None:
            query = query.where(events.c.device_id.in_(list(device_ids)))
        with engine.connect() as conn:
            return Counter({str(row[0]): int(row[1]) for row in conn.execute(query)})
    finally:
        engine.dispose()


def command_states(db_path: Path) -> dict[str, int]:
    """How central's supervisor commands ended, by count: ``acknowledged``, ``refused``, ``pending``,
    ``failed``, and ``refused_unauthenticated`` (refused by the gate's signature, target, freshness or
    nonce check, ``edge.commands_auth``; a subset of ``refused``)."""
    from edge.commands_auth import BAD_SIGNATURE, REPLAYED, STALE, UNSIGNED, WRONG_TARGET

    auth = {UNSIGNED, BAD_SIGNATURE, STALE, REPLAYED, WRONG_TARGET}
    engine = read_only_engine(db_path)
    try:
        with engine.connect() as conn:
            rows = list(conn.execute(sa.select(commands.c.state, commands.c.answer)))
    finally:
        engine.dispose()
    counts = Counter(str(state) for state, _ in rows)
    counts["refused_unauthenticated"] = sum(
        1 for state, answer in rows if state == "refused" and str(answer) in auth
    )
    return dict(counts)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (as central's reports use), or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def summarise(
    ledgers: Sequence[Path],
    stored: Counter[str],
    *,
    passengers: int,
    gates: int,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON summary of issue 11 from the gates' ledgers and central's stored ids."""
    rows = [row for path in ledgers for row in read_ledger(path) if row.get("line") == "event"]
    emitted = {str(r["event_id"]) for r in rows}
    outcomes: Counter[str] = Counter()
    cycles: list[float] = []
    emit_ms: list[float] = []
    # The real gate (engine runtime) writes one "outcome" line per passenger; the stand-in puts the
    # outcome on its crossing event line.
    for r in (row for path in ledgers for row in read_ledger(path) if row.get("line") == "outcome"):
        outcomes[str(r["outcome"])] += 1
        if "cycle_s" in r:
            cycles.append(float(r["cycle_s"]))
    for r in rows:
        if "emit_ms" in r:
            emit_ms.append(float(r["emit_ms"]))
        if r.get("type") == "crossing" and "outcome" in r:
            outcomes["timeouts" if r["outcome"] == "timeout" else str(r["outcome"])] += 1
            cycles.append(float(r["cycle_s"]))
        elif r.get("type") == "alarm" and r.get("kind") == "wrong_way":
            outcomes["abandoned"] += 1
    lost = sorted(emitted - set(stored))
    played = len(
        {(str(p), r.get("passenger")) for p in ledgers for r in read_ledger(p) if r.get("line") == "session"}
    )
    busy_s = sum(cycles)
    summary: dict[str, Any] = {
        "passengers": passengers,
        "passengers_played": played,
        "outcomes": {key: outcomes.get(key, 0) for key in OUTCOME_KEYS}
        | {k: v for k, v in outcomes.items() if k not in OUTCOME_KEYS},
        "events_emitted": len(emitted),
        "events_stored": len(emitted & set(stored)),
        "lost": len(lost),
        "lost_ids": lost[:20],
        "duplicates_stored": sum(1 for count in stored.values() if count > 1),
        "gate_cycle_s": {"p50": _round(percentile(cycles, 50)), "p95": _round(percentile(cycles, 95))},
        "controller_ms": {"p50": _round(percentile(emit_ms, 50)), "p95": _round(percentile(emit_ms, 95))},
        # Capacity with passengers back to back: sessions per hour of lane occupancy, per gate.
        "passengers_per_hour_per_gate": _round(3600 * len(cycles) / busy_s) if busy_s else None,
        "gates": gates,
        "mean_gate_cycle_s": _round(statistics.fmean(cycles)) if cycles else None,
    }
    if extra:
        summary.update(extra)
    return summary


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
