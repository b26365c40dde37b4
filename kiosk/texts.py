# ruff: noqa: E501 (a table of sentences: one entry a line reads better than wrapped strings)
"""The kiosk's screen texts, Bahasa Indonesia first, English second."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "welcome": ("Selamat datang di Kantor Imigrasi", "Welcome to the Immigration Office"),
    "take_ticket": ("Ambil nomor antrean", "Take a queue ticket"),
    "apply": ("Ajukan permohonan", "Apply for a service"),
    "check_status": ("Cek status permohonan", "Check an application's status"),
    "information": ("Informasi layanan", "Service information"),
    "choose_service": ("Pilih layanan", "Choose a service"),
    "your_number": ("Nomor antrean Anda", "Your queue number"),
    "ticket_printed": (
        "Tiket sudah dicetak. Tunggu nomor Anda dipanggil.",
        "Your ticket is printed. Wait for your number to be called.",
    ),
    "scan_passport": (
        "Letakkan halaman data paspor Anda pada pemindai",
        "Place your passport's photo page on the reader",
    ),
    "mrz_damaged": (
        "Paspor tidak terbaca. Bersihkan halaman data, letakkan rata, lalu coba lagi. Jika tetap gagal, silakan ke loket.",
        "We could not read your passport. Wipe the photo page, lay it flat and try again. If it still fails, please go to a counter.",
    ),
    "passport_expired": (
        "Paspor Anda sudah tidak berlaku. Silakan ke loket.",
        "Your passport has expired. Please go to a counter.",
    ),
    "expires_soon": (
        "Paspor Anda berlaku kurang dari 6 bulan; petugas akan memeriksanya.",
        "Your passport is valid for less than 6 months; an officer will check it.",
    ),
    "fill_form": ("Lengkapi data permohonan", "Complete the application"),
    "next": ("Lanjut", "Next"),
    "back": ("Kembali", "Back"),
    "cancel": ("Batal", "Cancel"),
    "documents": ("Foto dokumen", "Document photos"),
    "photograph": ("Foto", "Photograph"),
    "taken": ("Sudah difoto", "Photographed"),
    "place_document": (
        "Letakkan dokumen di bawah kamera lalu tekan Foto",
        "Place the document under the camera and press Photograph",
    ),
    "face": ("Foto wajah", "Face photo"),
    "face_ok": ("Foto wajah sudah baik", "Your face photo is good"),
    "fingerprint": ("Sidik jari", "Fingerprint"),
    "place_finger": (
        "Letakkan jari telunjuk kanan pada pemindai, angkat, lalu letakkan lagi",
        "Place your right index finger on the sensor, lift it, then place it again",
    ),
    "finger_ok": ("Sidik jari sudah direkam", "Fingerprint recorded"),
    "finger_failed": (
        "Sidik jari tidak terbaca. Keringkan jari lalu coba lagi.",
        "We could not read your fingerprint. Dry your finger and try again.",
    ),
    "start_capture": ("Mulai", "Start"),
    "review": ("Periksa dan kirim", "Review and submit"),
    "submit": ("Kirim permohonan", "Submit the application"),
    "submitted": ("Permohonan Anda diterima", "Your application has been received"),
    "application_no": ("Nomor permohonan", "Application number"),
    "fee": ("Biaya", "Fee"),
    "payment_code": ("Kode pembayaran", "Payment code"),
    "payment_later": (
        "Kode pembayaran diberikan petugas setelah verifikasi",
        "An officer gives you the payment code after verification",
    ),
    "queued": (
        "Sistem pusat sedang tidak terhubung. Permohonan Anda tersimpan dengan aman di kiosk ini dan akan dikirim otomatis. Simpan tanda terima ini.",
        "The central system is not reachable right now. Your application is stored safely on this kiosk and will be sent automatically. Keep this receipt.",
    ),
    "next_steps": (
        "Langkah berikutnya: tunggu panggilan verifikasi di loket, bawa dokumen asli, lalu bayar dengan kode pembayaran.",
        "What happens next: wait to be called for verification at a counter, bring your original documents, then pay with the payment code.",
    ),
    "receipt_printed": ("Tanda terima sudah dicetak.", "Your receipt is printed."),
    "finish": ("Selesai", "Finish"),
    "status_prompt": ("Masukkan nomor permohonan", "Enter your application number"),
    "status_unknown": (
        "Nomor permohonan tidak ditemukan. Periksa kembali nomor pada tanda terima.",
        "No application has that number. Check the number on your receipt.",
    ),
    "status_unavailable": (
        "Status tidak dapat diperiksa di kiosk ini saat ini. Silakan tanya petugas di loket informasi.",
        "The status cannot be checked at this kiosk right now. Please ask at the information counter.",
    ),
    "status": ("Status", "Status"),
    "requirements": ("Persyaratan", "Requirements"),
    "duration": ("Lama proses", "Processing time"),
    "hours": ("Jam layanan", "Opening hours"),
    "faq": ("Pertanyaan umum", "Questions"),
    "now_calling": ("Nomor dipanggil", "Now calling"),
    "counter": ("Loket", "Counter"),
    "required": ("wajib", "required"),
    "check": ("Periksa", "Check"),
    "language": ("English", "Bahasa Indonesia"),
    # An application's state as the applicant may see it. "held" (waiting for a linked case, e.g. the
    # cekal SOP) reads exactly like "open": the applicant is never told why a case waits.
    "status_open": ("Sedang diproses", "In progress"),
    "status_held": ("Sedang diproses", "In progress"),
    "status_approved": ("Selesai diproses", "Processing finished"),
    "status_closed": ("Selesai", "Finished"),
    "status_other": (
        "Selesai diproses. Silakan tanya petugas di loket untuk hasilnya.",
        "Processing has finished. Please ask at a counter for the outcome.",
    ),
    "status_number": ("Nomor permohonan", "Application number"),
    "status_step": ("Tahap saat ini", "Current step"),
    "still_needed": ("Yang masih diperlukan dari Anda", "Still needed from you"),
    "still_needed_none": (
        "Tidak ada. Tunggu panggilan atau pemberitahuan dari petugas.",
        "Nothing at the moment. Wait to be called or notified by an officer.",
    ),
    "needed_payment": ("Pembayaran biaya layanan", "Payment of the service fee"),
    "needed_other": ("Silakan tanya petugas di loket", "Please ask at a counter"),
    "pay_with_code": ("Bayar dengan kode pembayaran", "Pay with the payment code"),
    # the on-screen keyboard
    "osk_space": ("Spasi", "Space"),
    "osk_delete": ("Hapus", "Delete"),
    "osk_done": ("Selesai", "Done"),
    "osk_label": ("Papan ketik layar", "On-screen keyboard"),
    "no_device": (
        "Perangkat tidak tersedia. Silakan ke loket.",
        "The device is not available. Please go to a counter.",
    ),
}


def text(key: str, lang: str) -> str:
    indonesian, english = TEXTS[key]
    return indonesian if lang == "id" else english
