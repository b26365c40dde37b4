"""Report charts drawn on the server: one description, two renderings (inline SVG for the page,
a reportlab drawing for the PDF), so the screen and the export always show the same bars.

No JavaScript and nothing fetched from the internet: the page works on an office network without
outside access.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors

from central.store import Row

MAX_BARS = 40  # the most recent rows; the table and the CSV carry the rest
COLOURS = ("#3d8bfd", "#2e9d5b", "#d98e04")
LABEL_WIDTH = 200
BAR_AREA = 380
ROW_HEIGHT = 16
GAP = 6


@dataclass(frozen=True)
class Chart:
    """Horizontal bars: one group per label, one bar per series (e.g. opened and closed)."""

    labels: tuple[str, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]
    unit: str = ""
    top: float | None = None  # a fixed scale (100 for shares), else the largest value

    @property
    def scale(self) -> float:
        largest = max((v for _, values in self.series for v in values), default=0.0)
        return self.top or largest or 1.0

    @property
    def height(self) -> int:
        return 24 + len(self.labels) * (len(self.series) * ROW_HEIGHT + GAP)

    def bars(self) -> list[tuple[int, str, float, float, int]]:
        """(y, label-or-empty, value, bar width, series index) for each bar, top to bottom."""
        out = []
        y = 24
        for i, label in enumerate(self.labels):
            for s, (_name, values) in enumerate(self.series):
                value = values[i]
                out.append((y, label if s == 0 else "", value, BAR_AREA * value / self.scale, s))
                y += ROW_HEIGHT
            y += GAP
        return out

    def to_svg(self, title: str) -> str:
        width = LABEL_WIDTH + BAR_AREA + 90
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{width}" '
            f'height="{self.height}" viewBox="0 0 {width} {self.height}"><title>{escape(title)}</title>'
        ]
        legend_x = LABEL_WIDTH
        for s, (name, _values) in enumerate(self.series):
            parts.append(
                f'<rect x="{legend_x}" y="4" width="10" height="10" fill="{COLOURS[s % len(COLOURS)]}"/>'
                f'<text x="{legend_x + 14}" y="13" font-size="11" fill="currentColor">{escape(name)}</text>'
            )
            legend_x += 20 + 7 * len(name)
        for y, label, value, bar, s in self.bars():
            if label:
                parts.append(
                    f'<text x="{LABEL_WIDTH - 6}" y="{y + 12}" font-size="11" text-anchor="end" '
                    f'fill="currentColor">{escape(label)}</text>'
                )
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{bar:.1f}" height="{ROW_HEIGHT - 4}" '
                f'fill="{COLOURS[s % len(COLOURS)]}"/>'
                f'<text x="{LABEL_WIDTH + bar + 4:.1f}" y="{y + 12}" font-size="11" '
                f'fill="currentColor">{_number(value)}{escape(self.unit)}</text>'
            )
        parts.append("</svg>")
        return "".join(parts)

    def to_drawing(self, title: str) -> Drawing:
        width = LABEL_WIDTH + BAR_AREA + 90
        drawing = Drawing(width, self.height + 16)
        top = self.height + 16
        drawing.add(String(0, top - 12, title, fontName="Helvetica-Bold", fontSize=10))
        legend_x = float(LABEL_WIDTH)
        for s, (name, _values) in enumerate(self.series):
            colour = colors.HexColor(COLOURS[s % len(COLOURS)])
            drawing.add(Rect(legend_x, top - 30, 8, 8, fillColor=colour, strokeColor=None))
            drawing.add(String(legend_x + 11, top - 29, name, fontName="Helvetica", fontSize=8))
            legend_x += 20 + 5 * len(name)
        for y, label, value, bar, s in self.bars():
            base = top - 16 - y - ROW_HEIGHT
            if label:
                drawing.add(
                    String(
                        LABEL_WIDTH - 6, base + 5, label, fontName="Helvetica", fontSize=8, textAnchor="end"
                    )
                )
            colour = colors.HexColor(COLOURS[s % len(COLOURS)])
            drawing.add(Rect(LABEL_WIDTH, base + 2, bar, ROW_HEIGHT - 4, fillColor=colour, strokeColor=None))
            drawing.add(String(LABEL_WIDTH + bar + 4, base + 5, f"{_number(value)}{self.unit}", fontSize=8))
        return drawing


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _recent(rows: Sequence[Row]) -> Sequence[Row]:
    return rows[-MAX_BARS:]


def chart_for(name: str, rows: Sequence[Row]) -> Chart:
    """The chart of one report (see ``central.workflows.reports.REPORTS``) from its rows."""
    if name in ("sla", "sla_sop"):
        timed = [r for r in _recent(rows) if r["share_on_time"] is not None]
        labels = tuple(" ".join(str(r[k]) for k in ("period", "sop_id", "step_no") if k in r) for r in timed)
        shares = tuple(round(100 * float(r["share_on_time"]), 1) for r in timed)
        return Chart(labels, (("on time", shares),), unit="%", top=100.0)
    if name == "throughput":
        # Backlog is a figure of now, not of a period, so it stays in the table, not among the bars.
        recent = _recent(rows)
        return Chart(
            tuple(f"{r['period']} {r['service_code']}" for r in recent),
            (
                ("opened", tuple(float(r["opened"]) for r in recent)),
                ("closed", tuple(float(r["closed"]) for r in recent)),
            ),
        )
    if name == "cekal":
        outcomes = Counter(str(r["outcome"] or "pending") for r in rows)
        ordered = sorted(outcomes)
        return Chart(tuple(ordered), (("hits", tuple(float(outcomes[o]) for o in ordered)),))
    if name in ("revenue", "overstay"):
        recent = _recent(rows)
        return Chart(
            tuple(f"{r['period']} {r['service_code']}" for r in recent),
            (("IDR", tuple(float(r["amount"]) for r in recent)),),
        )
    raise ValueError(f"no chart for report {name!r}")
