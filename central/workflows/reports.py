"""Reports that hold the office to its time standards: SLA per SOP step, throughput and backlog,
cekal hits and outcomes, revenue by service, overstay fees; by day or month (office calendar).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from central.store import Row
from central.workflows import schema as t
from central.workflows.errors import BadAction

if TYPE_CHECKING:
    from central.workflows.engine import Workflows

PERIODS = {"day": "%Y-%m-%d", "month": "%Y-%m"}


def _percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (no interpolation, so the figure is a duration that really happened)."""
    ordered = sorted(values)
    rank = max(1, -(-int(share * 100) * len(ordered) // 100))
    return ordered[rank - 1]


def sla(wf: Workflows, period: str) -> list[Row]:
    """Per period, SOP and step: finished steps, share on time, median and p95 duration (seconds)."""
    return _sla(wf, period, by_step=True)


def sla_sop(wf: Workflows, period: str) -> list[Row]:
    """Per period and SOP (all its steps together): the same figures as :func:`sla`."""
    return _sla(wf, period, by_step=False)


def _sla(wf: Workflows, period: str, *, by_step: bool) -> list[Row]:
    groups: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
    with wf.store.engine.connect() as conn:
        tasks = wf._rows(conn, sa.select(t.wf_tasks).where(t.wf_tasks.c.done_at.is_not(None)))
    for task in tasks:
        step = task["step_no"] if by_step else ""
        groups[(_period(wf, task["done_at"], period), task["sop_id"], step)].append(task)
    out = []
    for (when, sop_id, step_no), rows in sorted(groups.items()):
        durations = [(r["done_at"] - r["entered_at"]).total_seconds() for r in rows]
        timed = [r for r in rows if r["due_at"] is not None]
        on_time = sum(1 for r in timed if r["breached_at"] is None and r["done_at"] < r["due_at"])
        key: Row = {"period": when, "sop_id": sop_id}
        if by_step:
            key["step_no"] = step_no
        out.append(
            {
                **key,
                "finished": len(rows),
                "with_standard": len(timed),
                "on_time": on_time,
                "share_on_time": round(on_time / len(timed), 4) if timed else None,
                "median_seconds": statistics.median(durations),
                "p95_seconds": _percentile(durations, 0.95),
            }
        )
    return out


def throughput(wf: Workflows, period: str) -> list[Row]:
    """Per period and service: cases opened, closed (by outcome) and still open (backlog, now)."""
    with wf.store.engine.connect() as conn:
        cases = wf._rows(conn, sa.select(t.wf_cases))
    counts: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"opened": 0, "closed": 0, "approved": 0}
    )
    for case in cases:
        counts[(_period(wf, case["opened_at"], period), case["service_code"])]["opened"] += 1
        if case["closed_at"] is not None:
            row = counts[(_period(wf, case["closed_at"], period), case["service_code"])]
            row["closed"] += 1
            row["approved"] += case["status"] in ("approved", "cleared")
    backlog: dict[str, int] = defaultdict(int)
    for case in cases:
        if case["closed_at"] is None:
            backlog[case["service_code"]] += 1
    return [
        {"period": p, "service_code": s, **v, "backlog_now": backlog[s]}
        for (p, s), v in sorted(counts.items())
    ]


def cekal(wf: Workflows, period: str) -> list[Row]:
    """Every cekal hit with its linked case's outcome."""
    with wf.store.engine.connect() as conn:
        cases = wf._rows(conn, sa.select(t.wf_cases))
    children = {
        c["parent_case_id"]: c
        for c in cases
        if c["parent_case_id"] is not None and c["sop_id"] == "SOP-003-A03"
    }
    out = []
    for case in cases:
        hits = case["data"].get("cekal_hits") or []
        if hits:
            child = children.get(case["case_id"])
            out.append(
                {
                    "period": _period(wf, case["opened_at"], period),
                    "application_no": case["application_no"],
                    "sop_id": case["sop_id"],
                    "hits": len(hits),
                    "verdicts": ",".join(sorted({h["verdict"] for h in hits})),
                    "linked_case": child["application_no"] if child else "",
                    "outcome": child["status"] if child else "",
                    "application_status": case["status"],
                }
            )
    return out


def revenue(wf: Workflows, period: str, kind: str | None = None) -> list[Row]:
    """Paid amounts per period and service (whole rupiah); ``kind="overstay"`` for overstay fees."""
    query = sa.select(t.wf_payments).where(t.wf_payments.c.paid_at.is_not(None))
    if kind:
        query = query.where(t.wf_payments.c.kind == kind)
    with wf.store.engine.connect() as conn:
        rows = wf._rows(conn, query)
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        cell = sums[(_period(wf, row["paid_at"], period), row["service_code"])]
        cell[0] += 1
        cell[1] += int(row["amount"])
    return [
        {"period": p, "service_code": s, "payments": n, "amount": a}
        for (p, s), (n, a) in sorted(sums.items())
    ]


def _period(wf: Workflows, at: datetime, period: str) -> str:
    return at.astimezone(wf.zone).strftime(PERIODS[period])


REPORTS: dict[str, Callable[[Workflows, str], list[Row]]] = {
    "sla": sla,
    "sla_sop": sla_sop,
    "throughput": throughput,
    "cekal": cekal,
    "revenue": revenue,
    "overstay": lambda wf, period: revenue(wf, period, kind="overstay"),
}


def build(wf: Workflows, name: str, period: str) -> list[Row]:
    if name not in REPORTS:
        raise BadAction(f"unknown report {name!r}; use one of {', '.join(REPORTS)}")
    if period not in PERIODS:
        raise BadAction(f"unknown period {period!r}; use 'day' or 'month'")
    return REPORTS[name](wf, period)
