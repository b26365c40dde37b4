"""Incident reports (laporan kejadian, LK) for cekal and Interpol hits, as SOP-003-A03 and A04 require.

The fields follow the SOPs' steps: who was found and on which list (A03 step 4), who requested the
listing and was contacted (step 7), what was done (step 7-WNI: departure delayed, passport withheld,
STP in 2 copies; step 7-WNA: entry refused or handover), the handover (steps 8-9; for Interpol the
NCB coordination and the BAST to the Polda, A04 steps 8-9), and to whom the report goes (step 10: the
Kabid TPI). Each field has an Indonesian and an English label.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from central.errors import Invalid
from central.store import Row, Store

KINDS = ("cekal", "interpol")


@dataclass(frozen=True)
class Field:
    name: str
    label_id: str
    label_en: str
    required: bool = False
    long: bool = False
    choices: tuple[str, ...] = ()


COMMON = (
    Field("incident_at", "Waktu kejadian", "Time of the incident", required=True),
    Field("location", "Lokasi (autogate / konter)", "Location (autogate / counter)", required=True),
    Field("subject_name", "Nama subjek", "Subject's name", required=True),
    Field("document_number", "Nomor dokumen perjalanan", "Travel document number", required=True),
    Field("nationality", "Kewarganegaraan", "Nationality", required=True),
    Field("chronology", "Kronologi", "What happened", required=True, long=True),
)
CEKAL = (
    Field("list_name", "Daftar", "List", required=True, choices=("pencegahan", "penangkalan")),
    Field("list_entry_id", "Nomor entri cekal", "Watch-list entry number", required=True),
    Field("requesting_agency", "Instansi pengusul", "Requesting agency", required=True),
    Field(
        "agency_contacted", "Instansi yang dihubungi dan hasilnya", "Agency contacted and outcome", long=True
    ),
    Field(
        "action_taken",
        "Tindakan",
        "Action taken",
        required=True,
        choices=(
            "penundaan keberangkatan",  # A03 step 7-WNI (a)
            "penolakan masuk",  # A03 step 7-WNA (a)
            "diserahkan kepada instansi",  # A03 step 7 (d) / 7-WNA (b)
            "bukan subjek (dilepas)",  # not a true match: released
        ),
    ),
    Field("passport_withheld", "Paspor ditahan", "Passport withheld", choices=("ya", "tidak")),
    Field("stp_number", "Nomor STP (2 rangkap)", "STP receipt number (2 copies)"),
    Field("handed_over_to", "Diserahkan kepada (Inteldakim / instansi)", "Handed over to"),
)
INTERPOL = (
    Field("notice", "Notice / alert Interpol", "Interpol notice / alert", required=True),
    Field(
        "i247_result",
        "Hasil verifikasi ulang I-24/7",
        "I-24/7 re-verification result",
        required=True,
        long=True,
    ),
    Field("ncb_contact", "Koordinasi NCB Interpol", "NCB Interpol coordination", long=True),
    Field("bast_number", "Nomor BAST ke Polda", "BAST (handover) number to the Polda"),
)
CLOSING = (
    Field("addressed_to", "Ditujukan kepada", "Addressed to", required=True),  # A03 step 10: Kabid TPI
    Field("officer", "Pejabat yang ditunjuk", "Designated officer", required=True),
)


def fields_for(kind: str) -> tuple[Field, ...]:
    if kind == "cekal":
        return COMMON + CEKAL + CLOSING
    if kind == "interpol":
        return COMMON + INTERPOL + CLOSING
    raise Invalid(f"incident report kind {kind!r} must be one of {', '.join(KINDS)}")


def validate(kind: str, values: dict[str, Any]) -> dict[str, str]:
    """The report's fields, trimmed; an Invalid naming every missing or wrong field."""
    clean: dict[str, str] = {}
    problems = []
    for f in fields_for(kind):
        value = str(values.get(f.name, "") or "").strip()
        if f.required and not value:
            problems.append(f"{f.name} ({f.label_en}) is required")
        elif f.choices and value and value not in f.choices:
            problems.append(f"{f.name} must be one of: {', '.join(f.choices)}")
        clean[f.name] = value[:4000]
    if problems:
        raise Invalid("the incident report is incomplete: " + "; ".join(problems))
    return clean


def submit(
    store: Store,
    kind: str,
    values: dict[str, Any],
    *,
    author: str,
    now: datetime,
    alert_id: int | None = None,
) -> Row:
    clean = validate(kind, values)
    if alert_id is not None:
        store.alert(alert_id)
    report = store.add_incident_report(kind, author=author, fields=clean, now=now, alert_id=alert_id)
    store.audit(author, "incident_report.add", now=now, target=str(report["report_id"]), kind=kind)
    return report


def flat(report: Row) -> dict[str, Any]:
    """One CSV row: the report's own columns followed by every field of both kinds."""
    out = {k: report[k] for k in ("report_id", "kind", "alert_id", "author", "created_at")}
    out |= report["fields"]
    return out


def csv_columns() -> list[str]:
    names = ["report_id", "kind", "alert_id", "author", "created_at"]
    for f in COMMON + CEKAL + INTERPOL + CLOSING:
        if f.name not in names:
            names.append(f.name)
    return names
