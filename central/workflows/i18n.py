"""Words of the officers' workflow screens, Bahasa Indonesia first as in the SOPs, English second.

Merged over the dashboard's words (``central.web.i18n``) so the shared layout keeps its own.
"""

from __future__ import annotations

from central.web.i18n import translator as dashboard_words

TEXT: dict[str, tuple[str, str]] = {
    "workflows": ("Layanan izin", "Permit services"),
    "queues": ("Antrean kerja", "Work queues"),
    "queue": ("Antrean", "Queue"),
    "lane": ("Lajur / peran", "Lane / role"),
    "open_tasks": ("Tugas terbuka", "Open tasks"),
    "no_tasks": ("Tidak ada tugas di antrean ini.", "No tasks in this queue."),
    "search": ("Cari", "Search"),
    "search_hint": (
        "Nomor permohonan, nama atau nomor paspor",
        "Application number, name or passport number",
    ),
    "no_results": ("Tidak ditemukan.", "Nothing found."),
    "case": ("Permohonan", "Case"),
    "application_no": ("Nomor permohonan", "Application number"),
    "applicant": ("Pemohon", "Applicant"),
    "passport": ("Paspor", "Passport"),
    "sop": ("SOP", "SOP"),
    "step": ("Tahap", "Step"),
    "status": ("Status", "Status"),
    "entered": ("Masuk tahap", "Entered step"),
    "due": ("Batas waktu", "Due"),
    "standard": ("Mutu baku waktu", "Time standard"),
    "sla": ("SLA", "SLA"),
    "on_time": ("tepat waktu", "on time"),
    "due_soon": ("segera jatuh tempo", "due soon"),
    "breached": ("melewati standar", "breached"),
    "no_standard": ("tanpa standar waktu", "no time standard"),
    "assignee": ("Petugas yang ditunjuk", "Assignee"),
    "data": ("Data", "Data"),
    "documents": ("Dokumen", "Documents"),
    "history": ("Riwayat", "History"),
    "when": ("Waktu", "When"),
    "who": ("Oleh", "Who"),
    "action": ("Tindakan", "Action"),
    "decision": ("Keputusan", "Decision"),
    "reason": ("Alasan", "Reason"),
    "step_cited": ("Tahap SOP", "SOP step"),
    "actions": ("Tindakan tersedia", "Available actions"),
    "approve": ("Setujui / lanjutkan", "Approve / carry on"),
    "reject": ("Tolak", "Reject"),
    "return": ("Kembalikan untuk perbaikan", "Return for correction"),
    "assign": ("Tugaskan", "Assign"),
    "to_step": ("Ke tahap", "To step"),
    "payments": ("Pembayaran", "Payments"),
    "billing_code": ("Kode billing", "Billing code"),
    "amount": ("Jumlah (Rp)", "Amount (IDR)"),
    "reference": ("Nomor bukti bayar", "Proof-of-payment reference"),
    "paid_at": ("Dibayar", "Paid"),
    "record_payment": ("Catat pembayaran", "Record payment"),
    "needs_payment": (
        "Tahap ini memerlukan bukti pembayaran.",
        "This step needs proof of payment.",
    ),
    "linked_cases": ("Permohonan terkait", "Linked cases"),
    "parent_case": ("Permohonan induk", "Parent case"),
    "done": ("Tindakan tercatat.", "Action recorded."),
    "closed": ("Permohonan ini sudah selesai.", "This case is closed."),
    "held": (
        "Permohonan ini ditahan menunggu permohonan terkait.",
        "This case is held until its linked case ends.",
    ),
    "not_your_lane": (
        "Tahap ini milik lajur lain; peran Anda tidak dapat bertindak di sini.",
        "This step belongs to another lane; your role may not act on it.",
    ),
    "wf_reports": ("Laporan layanan izin", "Permit service reports"),
    "daily": ("Harian", "Daily"),
    "monthly": ("Bulanan", "Monthly"),
    "export_pdf": ("Unduh PDF", "Download PDF"),
    "report_sla_sop": ("Kepatuhan SLA per SOP", "SLA compliance per SOP"),
    "report_sla": ("Kepatuhan SLA per tahap", "SLA compliance per step"),
    "report_throughput": ("Permohonan dan tunggakan per layanan", "Throughput and backlog per service"),
    "report_cekal": ("Hit cekal dan hasilnya", "Cekal hits and outcomes"),
    "report_revenue": ("Penerimaan per layanan", "Revenue by service"),
    "report_overstay": ("Biaya beban overstay", "Overstay fees"),
    "no_rows": ("Belum ada data.", "No data yet."),
}


def translator(language: str) -> dict[str, str]:
    index = 1 if language == "en" else 0
    return {**dashboard_words(language), **{key: pair[index] for key, pair in TEXT.items()}}
