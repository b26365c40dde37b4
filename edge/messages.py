"""What the passenger display says, in Bahasa Indonesia and English, with a pictogram name.

The flow only names a key; the display shows both languages at once (SOP-003-A08 serves WNI, and
foreign document holders may use a gate when a policy allows it). Wording is plain and never tells a
held passenger why they are held (SOP-003-A03 step 6: the officer secures the person, the machine
does not alert them).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    id: str
    en: str
    pictogram: str


CATALOGUE: dict[str, Message] = {
    "scan_passport": Message("Silakan pindai paspor Anda", "Please scan your passport", "passport_scan"),
    "reading_document": Message("Membaca dokumen…", "Reading your document…", "hourglass"),
    "document_unreadable": Message(
        "Paspor tidak terbaca. Silakan ke konter manual atau gunakan autogate lain.",
        "Your passport could not be read. Please go to a manual counter or use another gate.",
        "counter",
    ),
    "document_invalid": Message(
        "Paspor tidak valid. Silakan ke konter manual.",
        "Your passport is not valid here. Please go to a manual counter.",
        "counter",
    ),
    "document_expired": Message(
        "Paspor sudah habis masa berlaku. Silakan ke konter manual.",
        "Your passport has expired. Please go to a manual counter.",
        "counter",
    ),
    "document_not_eligible": Message(
        "Autogate ini untuk pemegang paspor RI. Silakan ke konter manual.",
        "This gate is for Indonesian passport holders. Please go to a manual counter.",
        "counter",
    ),
    "manual_counter": Message("Silakan ke konter manual", "Please go to a manual counter", "counter"),
    "please_enter": Message("Silakan masuk", "Please step in", "arrow_forward"),
    "please_wait": Message(
        "Mohon tunggu, petugas akan membantu Anda", "Please wait, an officer will assist you", "officer"
    ),
    "place_finger": Message(
        "Letakkan jari telunjuk kanan pada pemindai", "Place your right index finger on the scanner", "finger"
    ),
    "look_at_camera": Message("Lihat ke kamera", "Please look at the camera", "camera"),
    "try_again": Message("Silakan coba lagi", "Please try again", "retry"),
    "go_to_counter": Message(
        "Silakan keluar dan menuju konter manual",
        "Please step back out and go to a manual counter",
        "counter",
    ),
    "please_proceed": Message("Silakan lanjut. Terima kasih", "Please proceed. Thank you", "arrow_forward"),
    "one_person_only": Message("Satu orang setiap kali", "One person at a time", "one_person"),
    "wrong_way": Message("Dilarang masuk dari arah ini", "No entry from this side", "no_entry"),
    "emergency_exit": Message("Keadaan darurat: silakan keluar", "Emergency: please leave the gate", "exit"),
    "out_of_service": Message(
        "Autogate tidak beroperasi. Silakan gunakan autogate lain.",
        "This gate is out of service. Please use another gate.",
        "closed",
    ),
}


def render(key: str) -> Message:
    """The message for ``key``; an unknown key is a programming error and says which keys exist."""
    try:
        return CATALOGUE[key]
    except KeyError:
        raise KeyError(f"no passenger message {key!r}; known: {', '.join(sorted(CATALOGUE))}") from None
