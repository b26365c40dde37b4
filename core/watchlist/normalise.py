"""Name and document-number normalisation: the canonical forms that both the index and the scorer see.

Steps for a name (each applied identically to list entries and to queries, so they only need to agree
with themselves, not with any spelling authority):

1. Unicode compatibility decomposition, diacritics dropped, upper case (``Sérgio`` -> ``SERGIO``).
2. MRZ fillers ``<`` and punctuation become spaces; apostrophes vanish (``O'BRIEN`` -> ``OBRIEN``).
3. Honorifics and academic titles (``H.``, ``HJ``, ``DR``, ``IR``, ``S.H.``...) and name particles
   (``BIN``, ``BINTI``, ``VAN``, ``AL-``...) are dropped, unless nothing else would remain.
4. Old Indonesian spelling is folded (``OE``->``U``, ``DJ``->``J``, ``TJ``->``C``), and known
   transliteration families (compared with doubled letters collapsed) map to one form
   (``MOHAMMED``, ``MUHAMAD``, ``MOHD`` -> ``MUHAMMAD``; ``ABD`` -> ``ABDUL``).
5. Repeated tokens are dropped and the rest sorted: token order carries no weight, since single-name
   holders and swapped surname/given-name fields are common in Indonesian documents.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_HONORIFICS_TEXT = """
H HJ HAJI HAJJAH HAJAH HJH KH KYAI DR DRS DRA IR PROF MR MRS MS MISS MME MLLE SIR TUAN TN NY NYONYA
BPK BAPAK IBU SDR SDRI SH SE MM MBA SKOM SPD ST MT MSI SSOS SIP SKED SPOG MH MKN SAG SPSI AMD BSC MSC
PHD JR SR II III IV SHEIKH SYEKH
"""
HONORIFICS = frozenset(_HONORIFICS_TEXT.split())
_PARTICLES_TEXT = "BIN BINTI BINT BT BTE BEN IBN IBNU VAN VON DER DEN DE DOS DAS DEL DELLA AL EL UL"
PARTICLES = frozenset(_PARTICLES_TEXT.split())

#: Transliteration families: canonical form -> space-separated variants. Keys and variants are folded
#: the same way as names (step 4) when the table is built, so only genuinely different spellings appear.
TRANSLITERATIONS: dict[str, str] = {
    "MUHAMMAD": (
        "MOHAMMED MOHAMMAD MOHAMAD MOHAMED MUHAMAD MUHAMMED MUHAMED MOHAMET MUHAMMET MEHMET MAHOMED "
        "MOHD MUHD MHD MOH MD MUH MOCHAMAD MOCHAMMAD MOCHAMMED MUCHAMMAD MUCHAMAD MOEHAMMAD MOHAMMAD "
        "MUHAMMADH MUHAMMADU MOHAMADOU MOUHAMED"
    ),
    "ABDUL": "ABD ABDOEL ABDOL ABDEL ABDULL ABDU ABDOUL",
    "AHMAD": "AHMED AHMET ACHMAD ACHMED AHMAT AHAMAD AHAMED",
    "YUSUF": "YUSOF YOUSSEF YOUSEF YOUSUF JUSUF YUSOFF YOUSOUF",
    "HUSAIN": "HUSSEIN HUSSAIN HUSEIN HOSSEIN HUSIN HUSAYN",
    "HASAN": "HASSAN HASAN HASSEN",
    "IBRAHIM": "EBRAHIM IBRAHEEM IBROHIM IBRAHEM",
    "ISMAIL": "ISMAEL ISMAIEL ISMAYIL",
    "MUSTAFA": "MUSTAPHA MOSTAFA MUSTOFA MOUSTAFA",
    "SULAIMAN": "SULEIMAN SULEYMAN SOLEIMAN SULAYMAN SOLEMAN SULEMAN",
    "RAHMAN": "RACHMAN REHMAN RAKHMAN RAHMAAN",
    "RAHMAT": "RACHMAT RACHMAD RAHMAD",
    "KHALID": "KHALED CHALID KHALIED",
    "YAHYA": "JAHJA YAHIA YAHIYA",
    "NUR": "NOOR NOER NOUR NURR",
    "SITI": "SITTI SYITI",
    "ABUBAKAR": "ABUBAKR ABUBAKER",
    "UMAR": "OMAR OUMAR OMER",
    "USMAN": "OSMAN OTHMAN UTHMAN USMAAN",
    "HAMID": "HAMEED HAMEID",
    "RASYID": "RASHID RASHEED RASYEED",
    "SYAHRIL": "SHAHRIL SJAHRIL",
    "ZAINAL": "ZAINUL ZAYNAL",
    "FATIMAH": "FATIMA FATMA FATIMAH FATEMEH",
    "AISYAH": "AISHA AISHAH AYSHA AISAH",
    "KHADIJAH": "KHADIJA KHADEEJA HADIJAH",
    "ZAINAB": "ZAYNAB ZEINAB",
    "MAHMUD": "MAHMOUD MAHMOOD MACHMUD",
    "SUTRISNO": "SOETRISNO",
    "WAHYU": "WACHJU WAHJU",
    "JOKO": "DJOKO JOCO",
    "YANTI": "JANTI",
    "SURYA": "SURJA SOERJA",
    "CAHYA": "CAHJA TJAHJA TJAHYA",
}

_OLD_SPELLING = (("OE", "U"), ("DJ", "J"), ("TJ", "C"))
_PUNCT = re.compile(r"[^A-Z0-9 ]+")
_SPACES = re.compile(r"\s+")
_DOUBLED = re.compile(r"(.)\1+")


def fold_token(token: str) -> str:
    """Old Indonesian spelling folded (``SOEHARTO`` -> ``SUHARTO``, ``DJOKO`` -> ``JOKO``)."""
    for old, new in _OLD_SPELLING:
        token = token.replace(old, new)
    return token


def _collapse(token: str) -> str:
    return _DOUBLED.sub(r"\1", token)


def _build_canonical() -> dict[str, str]:
    table: dict[str, str] = {}
    for canonical, variants in TRANSLITERATIONS.items():
        for v in (canonical, *variants.split()):
            table[_collapse(fold_token(v))] = canonical
    return table


_CANONICAL = _build_canonical()


def canonical_token(token: str) -> str:
    """The folded form of one upper-case token, mapped to its transliteration family when it has one.

    Doubled letters are collapsed only for the family look-up (``HASSAN`` -> ``HASAN``); other tokens
    keep them, because a collapsed typo (``FAJAR`` -> ``FAAR`` -> ``FAR``) would cost an extra edit."""
    folded = fold_token(token)
    return _CANONICAL.get(_collapse(folded), folded)


def raw_tokens(name: str) -> list[str]:
    """Upper-case ASCII tokens with diacritics, punctuation and MRZ fillers removed (steps 1-2)."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).upper()
    text = text.replace("'", "").replace("`", "").replace("’", "").replace("<", " ")
    text = _PUNCT.sub(" ", text)
    return [t for t in _SPACES.split(text) if t and not t.isdigit()]


def _drop_split_titles(tokens: list[str]) -> list[str]:
    """Drop dotted titles split in two by punctuation (``S.H.`` -> ``S H``; ``S.Kom`` -> ``S KOM``)."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if len(tokens[i]) == 1 and i + 1 < len(tokens) and tokens[i] + tokens[i + 1] in HONORIFICS:
            i += 2
            continue
        out.append(tokens[i])
        i += 1
    return out


@lru_cache(maxsize=65536)
def name_tokens(name: str) -> tuple[str, ...]:
    """The canonical, de-duplicated, sorted tokens of a name (all five steps)."""
    tokens = raw_tokens(name)
    kept = [t for t in _drop_split_titles(tokens) if t not in HONORIFICS and t not in PARTICLES]
    if not kept:  # a name made only of particles or titles is still a name
        kept = tokens
    return tuple(sorted({canonical_token(t) for t in kept}))


def canonical_name(name: str) -> str:
    """``name_tokens`` joined by single spaces: the form the scorer compares."""
    return " ".join(name_tokens(name))


_DOC_FOLD = str.maketrans({"O": "0", "Q": "0", "I": "1"})
_DOC_DROP = re.compile(r"[^A-Z0-9]")


def document_key(number: str) -> str:
    """A document number with fillers, spaces and dashes removed and the MRZ's commonest OCR confusions
    folded (O/Q->0, I->1), so that a misread letter-digit pair still finds the listed document."""
    return _DOC_DROP.sub("", number.upper()).translate(_DOC_FOLD)
