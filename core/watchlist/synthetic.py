"""Deterministic synthetic lists and a labelled variant set, for calibration, tests and benchmarks.

Names are composed from lists written for this project (no external data): Indonesian names of several
traditions (Javanese names built from syllables, Arabic-origin names, modern given names, Batak and
Chinese-Indonesian family names, single-name holders), and foreign names for the nationalities most
often met at Indonesian checkpoints. Syllable composition gives the long tail of distinct tokens a real
list has, so common tokens stay common and the blocking index is exercised realistically.

``labelled_variants`` makes queries from list entries, one positive per variant kind the issue names
(transliteration, one or two typing/OCR errors, swapped / missing / extra name parts, a single-name
MRZ, day and month swapped, year only, an alias, a document number) and negatives: the hard ones (the
same name with a different birth date) and random people. Every query carries its expected entry.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from core.watchlist.model import PENANGKALAN, PENCEGAHAN, PartialDate, Query, WatchlistEntry
from core.watchlist.normalise import TRANSLITERATIONS


def _w(text: str) -> list[str]:
    return text.split()


_JAVA_HEAD = _w(
    "SU SRI WI DWI TRI PUR SAP HAR BAM BUD JOK AG EK AD PRA YU RAT SET WAH KUS SUG SUR WID HEN RUD TEG "
    "DAR MAR SAR NUG SUL PAR SUK TAR WAR"
)
_JAVA_MID = _w("YA TO RI NI MAN WAN DI SAN TI KAR JO DA WA NA HAR MIN RAH LIS PRI YAN GI")
_JAVA_TAIL = _w("NO TO DI WATI NINGSIH YANTI SIH MAN JO YONO WIBOWO ANTO ADI ATI ARTI IYAH ONO UDIN")
_ISLAMIC_FIRST = _w(
    "MUHAMMAD AHMAD ABDUL SITI NUR FATIMAH AISYAH ZAINAL HASAN HUSAIN IBRAHIM YUSUF UMAR ALI RAHMAT"
)
_ISLAMIC_REST = _w(
    "RAHMAN HAKIM AZIZ KARIM RASYID HIDAYAT FAUZI RIDWAN SYARIF HAMID LATIF MAJID GHANI SALIM ARIFIN"
)
_MODERN = _w(
    "RIZKY DIMAS PUTRI AYU DEWI ANDI RINA FAJAR ADITYA INDAH BAYU CITRA DIAN EKA FITRI GILANG HANA IRFAN "
    "JIHAN KIKI LINDA MEGA NANDA OKTA PUTRA RANI SALSA TAUFIK WULAN YOGA ZAHRA ARIF BELLA"
)
_SURNAMES_ID = _w(
    "PRATAMA SAPUTRA HIDAYAT NUGROHO SANTOSO WIJAYA KUSUMA LESTARI PERMATA SARI RAHAYU SETIAWAN GUNAWAN "
    "HALIM SALIM SIMANJUNTAK SIREGAR NASUTION HUTAPEA SITORUS PANJAITAN LUBIS HARAHAP TAN LIM WIBOWO "
    "SUSANTO HARTONO KURNIAWAN FIRMANSYAH"
)
#: nationality -> (given names, family names) for foreign subjects.
_FOREIGN: dict[str, tuple[list[str], list[str]]] = {
    "MYS": (
        _w("AHMAD MUHAMMAD NUR SITI AZMAN FARID HAFIZ SYAFIQ AMIRUL NURUL"),
        _w("ISMAIL HASSAN OTHMAN YUSOF ABDULLAH RAZAK HAMZAH"),
    ),
    "CHN": (
        _w("WEI FANG JING LEI YAN HUI MIN JUN XIAO LING"),
        _w("ZHANG WANG LI LIU CHEN YANG HUANG ZHAO WU"),
    ),
    "IND": (
        _w("RAJESH PRIYA AMIT SUNITA VIKRAM ANITA RAHUL DEEPA SANJAY KAVITA"),
        _w("KUMAR SHARMA SINGH PATEL GUPTA REDDY NAIR IYER"),
    ),
    "NGA": (
        _w("CHINEDU NGOZI EMEKA AMAKA OLUWASEUN FUNMI IBRAHIM AISHA TUNDE KEMI"),
        _w("OKAFOR ADEYEMI OKONKWO BELLO OKEKE ADEBAYO EZE NWOSU"),
    ),
    "RUS": (
        _w("DMITRY OLGA SERGEY NATALIA ALEXEI TATIANA IVAN ELENA"),
        _w("IVANOV PETROV SMIRNOV POPOV VOLKOV"),
    ),
    "AUS": (
        _w("JOHN SARAH MICHAEL EMMA JAMES OLIVIA DAVID CHLOE"),
        _w("SMITH JONES WILLIAMS BROWN WILSON TAYLOR"),
    ),
    "NLD": (
        _w("JAN PIETER SANNE DAAN LOTTE JOOST"),
        ["VAN DER BERG", "DE VRIES", "VAN DIJK", "BAKKER", "VISSER"],
    ),
    "SAU": (
        _w("MOHAMMED ABDULLAH KHALED FAHAD NOURA SARA OMAR"),
        _w("AL-RASHID AL-QAHTANI AL-OTAIBI AL-HARBI"),
    ),
    "PAK": (
        _w("MUHAMMAD IMRAN ASIF AYESHA BILAL SANA USMAN"),
        _w("KHAN AHMED HUSSAIN MALIK CHAUDHRY QURESHI"),
    ),
    "BGD": (_w("MD ABDUL RAHIM KARIM NASRIN FARHANA"), _w("HOSSAIN RAHMAN ISLAM UDDIN AKTER")),
    "PHL": (_w("JOSE MARIA JUAN ANA MARK GRACE"), _w("SANTOS REYES CRUZ BAUTISTA GARCIA MENDOZA")),
    "VNM": (_w("MINH LAN HUNG THU DUC HOA"), _w("NGUYEN TRAN PHAM HOANG VU DANG")),
}
_SYLLABLES = [c + v for c in "KRMSTNLDWYBGPJH" for v in "AIUO"]
AGENCIES = (
    "Komisi Pemberantasan Korupsi",
    "Kejaksaan Agung",
    "Bareskrim POLRI",
    "Badan Narkotika Nasional",
    "Direktorat Jenderal Pajak",
    "Direktorat Jenderal Imigrasi",
    "NCB Interpol Indonesia",
    "Kementerian Keuangan",
)
REASONS = (
    "tersangka tindak pidana korupsi",
    "tunggakan pajak",
    "narkotika",
    "pelanggaran keimigrasian",
    "red notice",
    "overstay dan deportasi",
    "perkara perdata",
    "terorisme",
)
INSTRUCTIONS = (
    "Tunda keberangkatan, tahan paspor, buat STP 2 rangkap, serahkan ke instansi pemohon melalui Inteldakim",
    "Tolak masuk, koordinasi dengan pihak pengangkut untuk pemulangan",
    "Amankan subjek, hubungi instansi pemohon, serahkan dengan BAST",
    "Laporkan ke Kasi Pemeriksaan, koordinasi dengan NCB Interpol",
)
_OCR = dict(zip("ODILMNEFBRCGUVHK", "DOLINMFERBGCVUNX", strict=True))
_ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _syllable_name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4))))


def indonesian_name(rng: random.Random) -> str:
    """One Indonesian name, drawn from the traditions listed in the module docstring."""
    r = rng.random()
    if r < 0.10:  # single-name holder (common in Java)
        return rng.choice(_JAVA_HEAD) + rng.choice(_JAVA_MID) + rng.choice(_JAVA_TAIL)
    if r < 0.35:
        first = rng.choice(_ISLAMIC_FIRST)
        rest = [rng.choice(_ISLAMIC_REST if rng.random() < 0.6 else _MODERN)]
        if rng.random() < 0.8:  # most carry a third, rarer part: the long tail of a real list
            rest.append(rng.choice(_SURNAMES_ID) if rng.random() < 0.3 else _syllable_name(rng))
        return " ".join([first, *rest])
    if r < 0.65:
        first = rng.choice(_MODERN) if rng.random() < 0.6 else _syllable_name(rng)
        parts = [first, rng.choice(_SURNAMES_ID) if rng.random() < 0.4 else _syllable_name(rng)]
        if rng.random() < 0.3:
            parts.insert(1, rng.choice(_MODERN))
        return " ".join(parts)
    javanese = rng.choice(_JAVA_HEAD) + rng.choice(_JAVA_MID) + rng.choice(_JAVA_TAIL)
    return " ".join([rng.choice(_MODERN) if rng.random() < 0.4 else _syllable_name(rng), javanese])


def foreign_name(rng: random.Random, nationality: str) -> str:
    given, family = _FOREIGN[nationality]
    parts = [rng.choice(given)]
    if rng.random() < 0.6:
        parts.append(rng.choice(given) if rng.random() < 0.3 else _syllable_name(rng))
    parts.append(rng.choice(family) if rng.random() < 0.5 else _syllable_name(rng))
    if nationality == "MYS" and rng.random() < 0.5:  # Malay patronymic
        parts[-1:] = ["BIN" if rng.random() < 0.5 else "BINTI", rng.choice(family)]
    return " ".join(parts)


def synthetic_entry(rng: random.Random, n: int, today: date = date(2026, 11, 22)) -> WatchlistEntry:
    """Entry number ``n`` of a synthetic list: mostly valid today, some expired or not yet valid."""
    foreign = rng.random() < 0.35
    nationality = rng.choice(list(_FOREIGN)) if foreign else "IDN"
    name = foreign_name(rng, nationality) if foreign else indonesian_name(rng)
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 65))
    b = rng.random()
    birth = (
        PartialDate(born.year, born.month, born.day)
        if b < 0.85
        else PartialDate(born.year)
        if b < 0.97
        else None
    )
    aliases: tuple[str, ...] = ()
    if rng.random() < 0.15:
        aliases = (foreign_name(rng, nationality) if foreign else indonesian_name(rng),)
    docs = (f"{rng.choice('ABCEX')}{rng.randrange(10**7):07d}",) if rng.random() < 0.8 else ()
    start = today - timedelta(days=rng.randrange(3650))
    v = rng.random()
    until = (
        None
        if v < 0.3
        else today + timedelta(days=rng.randrange(1, 1500))
        if v < 0.95
        else today - timedelta(days=rng.randrange(1, 400))
    )
    if until is not None and until < start:
        start = until - timedelta(days=rng.randrange(30, 3000))
    if rng.random() < 0.02:
        start = today + timedelta(days=rng.randrange(1, 60))
        until = None
    listed = PENANGKALAN if foreign else PENCEGAHAN
    if rng.random() < 0.03:
        listed = "interpol"
    return WatchlistEntry(
        entry_id=f"CKL-{n:07d}",
        list=listed,
        full_name=name,
        aliases=aliases,
        birth_date=birth,
        nationality=nationality,
        sex=rng.choice("MF"),
        document_numbers=docs,
        valid_from=start,
        valid_until=until,
        agency=rng.choice(AGENCIES),
        reason=rng.choice(REASONS),
        instructions=rng.choice(INSTRUCTIONS),
        created_by="generator",
    )


def synthetic_entries(
    count: int, seed: int = 7, today: date = date(2026, 11, 22)
) -> Iterator[WatchlistEntry]:
    """``count`` entries, the same ones for the same seed (lazily, so 1,000,000 need little memory)."""
    rng = random.Random(seed)
    for n in range(count):
        yield synthetic_entry(rng, n, today)


# -- the labelled variant set ---------------------------------------------------------------------

POSITIVE_KINDS = (
    "exact",
    "transliteration",
    "typo_1",
    "typo_2",
    "ocr_2",
    "swapped_order",
    "missing_part",
    "extra_part",
    "single_name_field",
    "dob_day_month_swapped",
    "dob_year_only",
    "alias",
    "document_number",
)
NEGATIVE_KINDS = ("hard_negative_same_name", "random_person", "expired_or_not_yet_valid")


@dataclass(frozen=True, slots=True)
class LabelledQuery:
    """A query with the entry it must hit (``expected`` None: it must hit nothing)."""

    kind: str
    query: Query
    expected: str | None

    def to_dict(self) -> dict[str, Any]:
        q = self.query
        return {
            "query_id": q.query_id,
            "kind": self.kind,
            "expected_entry_id": self.expected,
            "full_name": q.full_name,
            "birth_date": q.birth_date.isoformat() if q.birth_date else None,
            "nationality": q.nationality,
            "sex": q.sex,
            "document_number": q.document_number,
        }


def _typo(rng: random.Random, name: str, errors: int, ocr: bool = False) -> str:
    chars = list(name)
    for _ in range(errors):
        letters = [i for i, c in enumerate(chars) if c.isalpha()]
        i = rng.choice(letters)
        op = "sub" if ocr else rng.choice(("sub", "ins", "del", "swap"))
        if op == "sub":
            chars[i] = _OCR.get(chars[i], "O") if ocr else rng.choice(_ALPHA.replace(chars[i].upper(), ""))
        elif op == "ins":
            chars.insert(i, rng.choice(_ALPHA))
        elif op == "del" and len(letters) > 3:
            del chars[i]
        elif i + 1 < len(chars) and chars[i + 1].isalpha():
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            chars[i] = rng.choice(_ALPHA.replace(chars[i].upper(), ""))
    return "".join(chars)


def _transliterate(rng: random.Random, name: str) -> str | None:
    parts = name.split()
    options = [i for i, p in enumerate(parts) if p in TRANSLITERATIONS]
    if options:
        i = rng.choice(options)
        parts[i] = rng.choice(TRANSLITERATIONS[parts[i]].split())
        return " ".join(parts)
    old = [(i, p) for i, p in enumerate(parts) if "U" in p or "J" in p]
    if not old:
        return None
    i, p = rng.choice(old)  # old Indonesian spelling: U written OE, J written DJ
    parts[i] = p.replace("U", "OE", 1) if "U" in p else p.replace("J", "DJ", 1)
    return " ".join(parts)


def _positive(rng: random.Random, kind: str, e: WatchlistEntry) -> tuple[str, PartialDate | None, str] | None:
    """(name, birth date, document number) of one positive variant, or None when ``e`` cannot make it."""
    name, birth = e.full_name, e.birth_date
    parts = name.split()
    doc = ""
    if kind == "transliteration":
        got = _transliterate(rng, name)
        if got is None:
            return None
        name = got
    elif kind in ("typo_1", "typo_2"):
        name = _typo(rng, name, 1 if kind == "typo_1" else 2)
    elif kind == "ocr_2":
        name = _typo(rng, name, 2, ocr=True)
    elif kind == "swapped_order":
        if len(parts) < 2:
            return None
        name = " ".join(reversed(parts))
    elif kind == "missing_part":
        if len(parts) < 3:
            return None
        del parts[rng.randrange(len(parts))]
        name = " ".join(parts)
    elif kind == "extra_part":
        parts.insert(rng.randrange(len(parts) + 1), rng.choice(_MODERN + _SURNAMES_ID))
        name = " ".join(parts)
    elif kind == "single_name_field":
        name = "".join(parts) if len(parts) == 1 else name.replace(" ", "<")  # all in the surname field
    elif kind == "dob_day_month_swapped":
        if birth is None or birth.day is None or birth.day > 12 or birth.day == birth.month:
            return None
        birth = PartialDate(birth.year, birth.day, birth.month)
    elif kind == "dob_year_only":
        if birth is None:
            return None
        birth = PartialDate(birth.year)
    elif kind == "alias":
        if not e.aliases:
            return None
        name = e.aliases[0]
    elif kind == "document_number":
        if not e.document_numbers:
            return None
        name, doc = _typo(rng, name, 1), e.document_numbers[0]
    return name, birth, doc


def labelled_variants(
    entries: list[WatchlistEntry], per_kind: int, seed: int = 11, today: date = date(2026, 11, 22)
) -> list[LabelledQuery]:
    """``per_kind`` queries of every positive and negative kind, drawn from ``entries``."""
    rng = random.Random(seed)
    live = [e for e in entries if e.is_valid_on(today)]
    dead = [e for e in entries if not e.is_valid_on(today)]
    out: list[LabelledQuery] = []

    def add(
        kind: str,
        name: str,
        birth: PartialDate | None,
        e: WatchlistEntry | None,
        doc: str = "",
        expected: str | None = None,
        nationality: str | None = None,
        sex: str | None = None,
    ) -> None:
        q = Query(
            full_name=name,
            birth_date=birth,
            nationality=nationality if nationality is not None else (e.nationality if e else ""),
            sex=sex if sex is not None else (e.sex if e else ""),
            document_number=doc,
            query_id=f"{kind}-{len(out):06d}",
        )
        out.append(LabelledQuery(kind, q, expected))

    for kind in POSITIVE_KINDS:
        made, tries = 0, 0
        while made < per_kind and tries < per_kind * 50:
            tries += 1
            e = rng.choice(live)
            got = _positive(rng, kind, e)
            if got is None:
                continue
            add(kind, got[0], got[1], e, got[2], expected=e.entry_id)
            made += 1
    for _ in range(per_kind):
        e = rng.choice([x for x in (rng.choice(live) for _ in range(20)) if x.birth_date] or live)
        b = e.birth_date or PartialDate(1980, 1, 1)
        # another year, or (only when the full date is listed) the same year and another day
        unit = 365 if rng.random() < 0.5 or not b.is_full else 1
        shift = rng.choice((1, -1)) * rng.randrange(1, 30) * unit + rng.randrange(1, 20)
        other = date(b.year, b.month or 6, b.day or 15) + timedelta(days=shift)
        if b.day and (other.month, other.day) == (b.day, b.month):
            other += timedelta(days=1)
        add("hard_negative_same_name", e.full_name, PartialDate(other.year, other.month, other.day), e)
    for _ in range(per_kind):
        nat = rng.choice(["IDN", "IDN", *_FOREIGN])
        name = indonesian_name(rng) if nat == "IDN" else foreign_name(rng, nat)
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 65))
        add(
            "random_person",
            name,
            PartialDate(born.year, born.month, born.day),
            None,
            nationality=nat,
            sex=rng.choice("MF"),
        )
    for _ in range(per_kind if dead else 0):
        e = rng.choice(dead)
        add("expired_or_not_yet_valid", e.full_name, e.birth_date, e)
    return out
