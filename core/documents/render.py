"""Write a travel document's MRZ in any ICAO 9303 format, computing every check digit.

Used by test generators and by the emulator to make passengers' documents. ``render_mrz`` and
``parse_mrz`` are inverses for every document that fits its format (tests/core/documents checks it).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from core.documents.checkdigit import MRZ_CHARACTERS, check_digit
from core.documents.errors import MrzRenderError
from core.documents.layouts import LAYOUTS, Layout, Pos, Span
from core.documents.model import MrzDate

# Doc 9303 Part 3, 4.6: punctuation in names becomes a filler or disappears.
_NAME_PUNCTUATION = str.maketrans({"-": " ", ",": None, "'": None, ".": None, "’": None})


@dataclass(frozen=True, slots=True)
class TravelDocument:
    """The field values an MRZ carries, as a person would write them.

    ``issuing_state`` and ``nationality`` are MRZ codes (``"IDN"``, ``"D"``). Names may hold spaces,
    hyphens and accented letters; they are transliterated simply (accents dropped) and truncated to
    the field. ``sex`` is ``"M"``, ``"F"``, ``"X"`` or ``"<"``. A partial ``MrzDate`` renders its
    unknown parts as fillers.
    """

    document_code: str
    issuing_state: str
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: date | MrzDate
    sex: str
    expiry_date: date | MrzDate
    optional_data: str = ""
    optional_data_2: str = ""


def mrz_name(surname: str, given_names: str, width: int) -> str:
    """The name field: ``SURNAME<<GIVEN<NAMES``, padded or cut to ``width``.

    Rendering is literal: Doc 9303 Part 3 (4.6) puts a single-name holder's name (common in
    Indonesia) in the primary identifier, so pass it as ``surname``; a name passed only as
    ``given_names`` renders as ``<<NAME``, which some issuers do and the parser also reads.
    Cutting is plain truncation at the field end; Doc 9303's finer truncation rules (shortening
    given names first) are not applied.
    """
    primary = "<".join(_mrz_text(surname).split())
    secondary = "<".join(_mrz_text(given_names).split())
    text = f"{primary}<<{secondary}" if secondary else primary
    return text[:width].ljust(width, "<")


def _mrz_text(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.translate(_NAME_PUNCTUATION))
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    return "".join(c if c in MRZ_CHARACTERS and c != "<" else " " for c in letters)


def _mrz_date(value: date | MrzDate) -> str:
    if isinstance(value, date):
        return value.strftime("%y%m%d")
    month = "<<" if value.month is None else f"{value.month:02d}"
    day = "<<" if value.day is None else f"{value.day:02d}"
    return f"{value.year % 100:02d}{month}{day}"


def _code(value: str, width: int, label: str) -> str:
    text = value.upper()
    if len(text) > width or not set(text) <= MRZ_CHARACTERS:
        raise MrzRenderError(f"{label} {value!r} is not an MRZ code of at most {width} characters A-Z")
    return text.ljust(width, "<")


def _free(value: str, width: int, label: str) -> str:
    text = value.upper().replace(" ", "<")
    if len(text) > width or not set(text) <= MRZ_CHARACTERS:
        raise MrzRenderError(
            f"{label} {value!r} does not fit {width} MRZ characters (A-Z, 0-9, <); "
            "shorten it or use a wider format"
        )
    return text.ljust(width, "<")


class _Canvas:
    """The MRZ being written: lines of characters, all fillers to begin with."""

    def __init__(self, layout: Layout) -> None:
        self.lines = [["<"] * layout.line_length for _ in range(layout.line_count)]

    def put(self, span: Span, text: str) -> None:
        line, start, end = span
        self.lines[line][start:end] = list(text.ljust(end - start, "<"))

    def put_char(self, pos: Pos, char: str) -> None:
        self.lines[pos[0]][pos[1]] = char

    def text(self, span: Span) -> str:
        line, start, end = span
        return "".join(self.lines[line][start:end])


def render_mrz(doc: TravelDocument, fmt: str) -> list[str]:
    """The MRZ lines of ``doc`` in ``fmt`` (``"TD1"``, ``"TD2"``, ``"TD3"``, ``"MRVA"``, ``"MRVB"``)."""
    layout = LAYOUTS.get(fmt)
    if layout is None:
        raise MrzRenderError(f"unknown MRZ format {fmt!r}; choose one of {', '.join(LAYOUTS)}")
    c = _Canvas(layout)
    c.put(layout.document_code, _code(doc.document_code, 2, "document code"))
    c.put(layout.issuing_state, _code(doc.issuing_state, 3, "issuing state"))
    c.put(layout.name, mrz_name(doc.surname, doc.given_names, _width(layout.name)))
    c.put(layout.nationality, _code(doc.nationality, 3, "nationality"))
    c.put(layout.birth_date, _mrz_date(doc.birth_date))
    c.put_char(layout.birth_date_check, _digit(c.text(layout.birth_date)))
    if doc.sex not in ("M", "F", "X", "<"):
        raise MrzRenderError(f"sex {doc.sex!r} must be M, F, X or < (unspecified)")
    c.put_char(layout.sex, doc.sex)
    c.put(layout.expiry_date, _mrz_date(doc.expiry_date))
    c.put_char(layout.expiry_date_check, _digit(c.text(layout.expiry_date)))
    _put_number_and_optional(c, layout, doc)
    if layout.optional_data_2 is not None:
        c.put(
            layout.optional_data_2,
            _free(doc.optional_data_2, _width(layout.optional_data_2), "optional data 2"),
        )
    elif doc.optional_data_2:
        raise MrzRenderError(
            f"{layout.format} has no second optional data field; leave optional_data_2 empty"
        )
    if layout.optional_data_check is not None:
        optional = c.text(layout.optional_data)
        # Doc 9303 Part 4: an empty personal number may have a filler as its check digit.
        c.put_char(layout.optional_data_check, "<" if not optional.strip("<") else _digit(optional))
    if layout.composite_check is not None:
        c.put_char(layout.composite_check, _digit("".join(c.text(span) for span in layout.composite_parts)))
    return ["".join(line) for line in c.lines]


def _width(span: Span) -> int:
    return span[2] - span[1]


def _put_number_and_optional(c: _Canvas, layout: Layout, doc: TravelDocument) -> None:
    number = _free(doc.document_number, len(doc.document_number), "document number")
    optional_width = _width(layout.optional_data)
    if len(number) <= 9:
        c.put(layout.document_number, number)
        c.put_char(layout.document_number_check, _digit(number.ljust(9, "<")))
        c.put(layout.optional_data, _free(doc.optional_data, optional_width, "optional data"))
        return
    if not layout.allows_long_number:
        raise MrzRenderError(
            f"document number {doc.document_number!r} is longer than 9 characters; "
            f"{layout.format} cannot hold it (TD1 and TD2 can)"
        )
    # Doc 9303 Parts 5 and 6: filler in the check-digit place, the rest of the number and its check
    # digit at the start of the optional data, a filler, then the optional data itself.
    c.put(layout.document_number, number[:9])
    c.put_char(layout.document_number_check, "<")
    continued = number[9:] + _digit(number) + "<"
    c.put(
        layout.optional_data,
        _free(continued + doc.optional_data, optional_width, "document number and optional data"),
    )


def _digit(data: str) -> str:
    digit = check_digit(data)
    if digit is None:
        raise MrzRenderError(f"{data!r} holds characters outside A-Z, 0-9 and <; fix the field value")
    return digit
