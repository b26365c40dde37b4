"""The workflow reports as one PDF (reportlab): for each report its chart and its table, bilingual titles."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from central.store import Row
from central.workflows.charts import chart_for

MAX_TABLE_ROWS = 500  # a longer report belongs in the CSV export


def reports_pdf(
    tables: Mapping[str, Sequence[Row]],
    titles: Mapping[str, tuple[str, str]],
    *,
    office: str,
    period: str,
    generated_at: datetime,
) -> bytes:
    """``tables`` maps report name to rows; ``titles`` maps it to its (Indonesian, English) title."""
    styles = getSampleStyleSheet()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"Permit service reports ({period})",
        author=office,
        invariant=True,
    )
    story: list[Flowable] = [
        Paragraph(f"{office}: Laporan layanan izin / Permit service reports", styles["Title"]),
        Paragraph(
            f"Periode / period: {'harian / daily' if period == 'day' else 'bulanan / monthly'} · "
            f"dibuat / generated {generated_at.isoformat(timespec='minutes')}",
            styles["Normal"],
        ),
    ]
    for name, rows in tables.items():
        title_id, title_en = titles[name]
        story += [Spacer(1, 6 * mm), Paragraph(f"{title_id} / {title_en}", styles["Heading2"])]
        if not rows:
            story.append(Paragraph("Belum ada data / No data yet.", styles["Normal"]))
            continue
        story.append(chart_for(name, rows).to_drawing(title_en))
        story.append(_table(rows[:MAX_TABLE_ROWS]))
        if len(rows) > MAX_TABLE_ROWS:
            story.append(
                Paragraph(f"{len(rows) - MAX_TABLE_ROWS} more rows in the CSV export.", styles["Italic"])
            )
    doc.build(story)
    return buf.getvalue()


def _table(rows: Sequence[Row]) -> Table:
    header = list(rows[0])
    body = [["" if r[k] is None else str(r[k]) for k in header] for r in rows]
    table = Table([header, *body], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 7),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#eef2f6")]),
            ]
        )
    )
    return table
