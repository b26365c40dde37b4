"""Bahasa Indonesia and English for the dashboard; Indonesian first, as in the SOPs."""

from __future__ import annotations

LANGUAGES = ("id", "en")

TEXT: dict[str, tuple[str, str]] = {
    "title": ("Pemantauan Autogate", "Autogate supervision"),
    "login": ("Masuk", "Log in"),
    "logout": ("Keluar", "Log out"),
    "username": ("Nama pengguna", "User name"),
    "password": ("Kata sandi", "Password"),
    "login_failed": ("Nama pengguna atau kata sandi salah.", "Wrong user name or password."),
    "gates": ("Gerbang dan loket", "Gates and counters"),
    "kind_gate": ("autogate", "autogate"),
    "kind_counter": ("loket petugas", "officer counter"),
    "kind_kiosk": ("kios", "kiosk"),
    "kind_cctv": ("CCTV", "CCTV"),
    "feed": ("Kejadian terkini", "Live events"),
    "alerts": ("Antrean peringatan", "Alert queue"),
    "online": ("daring", "online"),
    "offline": ("luring", "offline"),
    "in_service": ("beroperasi", "in service"),
    "out_of_service": ("tidak beroperasi", "out of service"),
    "passenger_inside": ("penumpang di dalam", "passenger inside"),
    "doors": ("Pintu", "Doors"),
    "lane_state": ("Status lajur", "Lane state"),
    "do_release_passenger": ("Lepaskan penumpang", "Release passenger"),
    "do_grant_retry": ("Izinkan ulang", "Grant retry"),
    "do_refuse_retry": ("Tolak ulang", "Refuse retry"),
    "do_out_of_service": ("Hentikan layanan", "Take out of service"),
    "do_in_service": ("Layani kembali", "Back in service"),
    "do_clear_alarm": ("Hapus alarm", "Clear alarm"),
    "do_resync_watchlist": ("Sinkronkan daftar cekal", "Resync watch list"),
    "acknowledge": ("Terima", "Acknowledge"),
    "close": ("Tutup", "Close"),
    "incident_report": ("Laporan kejadian", "Incident report"),
    "incident_reports": ("Laporan kejadian", "Incident reports"),
    "new_report": ("Laporan baru", "New report"),
    "save": ("Simpan", "Save"),
    "export_csv": ("Unduh CSV", "Download CSV"),
    "reports": ("Laporan", "Reports"),
    "dashboard": ("Dasbor", "Dashboard"),
    "workflows": ("Layanan izin", "Permit services"),
    "watchlist_nav": ("Daftar cekal", "Watch lists"),
    "list_entry": ("Entri daftar cekal", "Watch-list entry"),
    "instructions": ("Instruksi", "Instructions"),
    "captured_face": ("Wajah tertangkap", "Captured face"),
    "commands": ("Perintah", "Commands"),
    "pending": ("menunggu", "pending"),
    "acknowledged": ("dikonfirmasi", "acknowledged"),
    "refused": ("ditolak", "refused"),
    "failed": ("gagal", "failed"),
    "no_alerts": ("Tidak ada peringatan.", "No alerts."),
    "crossings_per_hour": ("Perlintasan per jam", "Crossings per hour"),
    "outcomes": ("Hasil pemeriksaan", "Outcomes"),
    "alarms": ("Alarm per jenis", "Alarms by kind"),
    "step_times": ("Waktu per tahap vs standar SOP", "Time per step vs SOP standard"),
    "report_saved": ("Laporan kejadian tersimpan.", "Incident report saved."),
    "kind": ("Jenis", "Kind"),
}


def translator(language: str) -> dict[str, str]:
    index = 1 if language == "en" else 0
    return {key: pair[index] for key, pair in TEXT.items()}
