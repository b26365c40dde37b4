"""The documents a case produces, rendered to PDF with reportlab and archived with the case.

Each kind is a small template: a bilingual title and the case facts it must show (the VITAS receipt,
SOP-002 Officer 3 c: application number, applicant name, amount paid, date received). PDFs are built
with ``invariant=True`` so the same facts always give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

TITLES: Mapping[str, tuple[str, str, str]] = {
    # kind: (number prefix, Indonesian title, English title)
    "application_receipt": ("TT", "Tanda Terima Permohonan", "Application receipt"),
    "payment_receipt": ("KW", "Kuitansi Pembayaran", "Payment receipt"),
    "approval_letter": ("SP", "Surat Persetujuan", "Approval letter"),
    "register_number": ("NR", "Nomor Register", "Register number"),
    "card_record": ("KT", "Catatan Kartu / Sertifikat", "Card or certificate record"),
}


def render_pdf(kind: str, number: str, lines: Sequence[tuple[str, Any]], *, office: str) -> bytes:
    """One A4 page: office, bilingual title, document number, then label/value lines."""
    _prefix, title_id, title_en = TITLES[kind]
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, invariant=True)
    pdf.setTitle(f"{title_en} {number}")
    _width, height = A4
    y = height - 60
    pdf.setFont("Helvetica", 10)
    pdf.drawString(50, y, office)
    y -= 30
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(50, y, title_id)
    y -= 18
    pdf.setFont("Helvetica-Oblique", 11)
    pdf.drawString(50, y, title_en)
    y -= 24
    pdf.setFont("Helvetica", 11)
    pdf.drawString(50, y, f"Nomor / Number: {number}")
    y -= 24
    for label, value in lines:
        pdf.drawString(50, y, f"{label}: {value}")
        y -= 16
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
