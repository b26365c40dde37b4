"""Recall and precision on a labelled variant set, and the threshold sweep used to calibrate MatchConfig.

Counting rules: a positive is found when its expected entry is among the hits (either verdict); a
negative is a false alarm when it draws any hit. Precision is hits on expected entries over all hits.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.watchlist.index import WatchlistIndex
from core.watchlist.model import Hit
from core.watchlist.synthetic import LabelledQuery


@dataclass
class Evaluation:
    positives: int = 0
    found: int = 0
    negatives: int = 0
    false_alarms: int = 0
    true_hits: int = 0
    all_hits: int = 0
    identik_on_negatives: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind -> [ok, total]
    verdicts: Counter[str] = field(default_factory=Counter)

    @property
    def recall(self) -> float:
        return self.found / self.positives if self.positives else 1.0

    @property
    def precision(self) -> float:
        return self.true_hits / self.all_hits if self.all_hits else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.negatives if self.negatives else 0.0

    def add(self, lq: LabelledQuery, hits: Sequence[Hit]) -> None:
        ids = [h.entry_id for h in hits]
        ok_total = self.by_kind.setdefault(lq.kind, [0, 0])
        ok_total[1] += 1
        self.all_hits += len(hits)
        self.verdicts.update(h.verdict.value for h in hits)
        if lq.expected is not None:
            self.positives += 1
            hit = lq.expected in ids
            self.found += hit
            self.true_hits += hit
            ok_total[0] += hit
        else:
            self.negatives += 1
            self.false_alarms += bool(hits)
            self.identik_on_negatives += sum(h.verdict.value == "identik" for h in hits)
            ok_total[0] += not hits

    def to_dict(self) -> dict[str, Any]:
        return {
            "positives": self.positives,
            "recall": round(self.recall, 5),
            "negatives": self.negatives,
            "false_alarm_rate": round(self.false_alarm_rate, 5),
            "precision": round(self.precision, 5),
            "identik_on_negatives": self.identik_on_negatives,
            "verdicts": dict(self.verdicts),
            "by_kind": {k: {"ok": v[0], "total": v[1]} for k, v in sorted(self.by_kind.items())},
        }


def evaluate(index: WatchlistIndex, labelled: Sequence[LabelledQuery], today: date) -> Evaluation:
    result = Evaluation()
    for lq in labelled:
        result.add(lq, index.match(lq.query, today=today))
    return result


def sweep(
    index: WatchlistIndex, labelled: Sequence[LabelledQuery], today: date, thresholds: Sequence[float]
) -> list[tuple[float, Evaluation]]:
    """Evaluate every ``mirip_threshold`` in ``thresholds`` (other settings as the index has them)."""
    return [
        (
            t,
            evaluate(
                index.with_config(dataclasses.replace(index.config, mirip_threshold=t)), labelled, today
            ),
        )
        for t in thresholds
    ]
