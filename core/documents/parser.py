"""Parse the MRZ of any ICAO 9303 document: exact about check digits, forgiving about readers' noise.

Steps: normalise the text (case, whitespace, reader padding ``_``, control characters), find the lines
that have an MRZ shape (stray lines around them are ignored), then read every field through the format's
``Layout``. Check digits are verified; a failing one may be repaired from the usual OCR confusions only
when the repaired text makes the check digits hold (every repair is reported). Bad content becomes a
``FieldError`` in the result; only text with no MRZ shape raises ``MrzFormatError``. A clean, valid TD3
(the common case) takes a fast path at the end of this module that gives the same result sooner.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from operator import mul

from core.documents.checkdigit import MRZ_CHARACTERS, check_digit
from core.documents.countries import ALL_CODES
from core.documents.errors import MrzFormatError
from core.documents.layouts import MRVA, MRVB, TD1, TD2, TD3, Layout, Pos, Span
from core.documents.model import FieldError, MrzDate, MrzResult, Repair

# Whitespace and control characters are reader noise; ``_`` is some readers' filler.
_CLEAN = str.maketrans({**{chr(c): None for c in range(32)}, " ": None, "\x7f": None, "_": "<", "«": "<<"})

# OCR confusions from the issue: in places that must hold a digit, a letter that looks like one.
_TO_DIGIT = str.maketrans(
    {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2", "G": "6"}
)
# Both directions, for alphanumeric fields guarded by a check digit (document numbers).
_CONFUSIONS: dict[str, str] = {
    "O": "0",
    "Q": "0",
    "D": "0",
    "I": "1",
    "L": "1",
    "S": "5",
    "B": "8",
    "Z": "2",
    "G": "6",
    "0": "OQD",
    "1": "IL",
    "5": "S",
    "8": "B",
    "2": "Z",
    "6": "G",
}

_DIGITS = frozenset("0123456789")
_TWO_DIGITS = frozenset(f"{n:02d}" for n in range(100))
_CLEAN_LINE = re.compile("[A-Z0-9<]+")
_NUMERIC = frozenset("0123456789<")
_NAME = re.compile("[A-Z<]*")
_NAME_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ<")
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_SEXES = frozenset("MFX<")
_DOCUMENT_KINDS = {"TD1": "ACI", "TD2": "ACI", "TD3": "P", "MRVA": "V", "MRVB": "V"}
_SHAPES = ((2, 44), (2, 36), (3, 30))
# A single unbroken line this long is a whole MRZ whose line breaks the reader dropped.
_JOINED = {88: 44, 72: 36, 90: 30}
_SHORTEST_LINE = 5  # document code and issuing state: anything shorter is not an MRZ line


def normalise_lines(text: str | Sequence[str]) -> list[str]:
    """Upper-case, strip whitespace and control characters, map ``_`` to ``<``, drop empty lines."""
    if isinstance(text, str):
        chunks = text.splitlines()
    else:
        chunks = []
        for item in text:
            if not isinstance(item, str):
                raise MrzFormatError(
                    f"MRZ lines must be text, got {type(item).__name__}; decode the reader's bytes first"
                )
            chunks.extend(item.splitlines())
    lines = []
    for chunk in chunks:
        # Clean lines (the common case) skip the slower upper-case and translate.
        cleaned = chunk if _CLEAN_LINE.fullmatch(chunk) else chunk.upper().translate(_CLEAN)
        if cleaned:
            lines.append(cleaned)
    if len(lines) == 1 and len(lines[0]) in _JOINED:
        width = _JOINED[len(lines[0])]
        lines = [lines[0][i : i + width] for i in range(0, len(lines[0]), width)]
    return lines


def _find_window(lines: list[str]) -> tuple[int, int, int]:
    """``(first line, line count, line length)`` of the MRZ among ``lines``."""
    for start in range(len(lines)):
        for count, length in _SHAPES:
            window = lines[start : start + count]
            if len(window) == count and all(len(line) == length for line in window):
                return start, count, length
    # Some readers drop trailing fillers: accept shorter lines if one line of the window has the full
    # length, preferring windows with more full lines that start like a document code.
    best: tuple[int, int, int, int] | None = None
    for start in range(len(lines)):
        for count, length in _SHAPES:
            window = lines[start : start + count]
            if len(window) != count or not all(_SHORTEST_LINE <= len(line) <= length for line in window):
                continue
            full = sum(len(line) == length for line in window)
            if not full:
                continue
            score = 2 * full + (window[0][0] in "ACIPV")
            if best is None or score > best[0]:
                best = (score, start, count, length)
    if best is None:
        lengths = [len(line) for line in lines]
        raise MrzFormatError(
            "text does not have the shape of an MRZ (3 lines of 30, 2 of 36 or 2 of 44 characters); "
            f"got line lengths {lengths}: rescan the document's machine readable zone"
        )
    return best[1], best[2], best[3]


def _layout_for(first_line: str, length: int) -> Layout:
    if length == 30:
        return TD1
    visa = first_line[0] == "V"
    if length == 44:
        return MRVA if visa else TD3
    return MRVB if visa else TD2


def _days_in_month(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS_IN_MONTH[month]


def _holds(value: str, digit: str, empty_check_ok: bool) -> bool:
    if empty_check_ok and digit == "<" and not value.strip("<"):
        return True
    return check_digit(value) == digit


def _infer_year(two_digits: int, month: int | None, day: int | None, *, birth: bool, today: date) -> int:
    century = today.year // 100 * 100
    year = century + two_digits
    if birth:
        # A birth date is in the past (unknown parts count as the earliest they could be).
        if (year, month or 1, day or 1) > (today.year, today.month, today.day):
            year -= 100
    elif year > today.year + 50:
        # An expiry date may be in the future, but not by more than a document's life; the window is
        # 50 years either side of today.
        year -= 100
    elif year <= today.year - 50:
        year += 100
    return year


class _Reader:
    """One parse in progress: the lines (repairs are written into them), errors and repairs so far."""

    def __init__(self, lines: list[str], layout: Layout, *, repair: bool) -> None:
        self.lines = lines
        self.layout = layout
        self.repair = repair
        self.errors: list[FieldError] = []
        self.repairs: list[Repair] = []
        self.bad_characters: set[str] = set()

    def text(self, span: Span) -> str:
        line, start, end = span
        return self.lines[line][start:end]

    def at(self, pos: Pos) -> str:
        return self.lines[pos[0]][pos[1]]

    def error(self, field: str, code: str, message: str) -> None:
        self.errors.append(FieldError(field, code, message))

    def _write(self, positions: Sequence[Pos], value: str, field: str, reason: str) -> None:
        for (line, index), new in zip(positions, value, strict=True):
            old = self.lines[line][index]
            if old != new:
                self.lines[line] = self.lines[line][:index] + new + self.lines[line][index + 1 :]
                self.repairs.append(Repair(field, line + 1, index + 1, old, new, reason))

    def composite_holds(self) -> bool:
        if self.layout.composite_check is None:
            return True
        data = "".join(self.text(span) for span in self.layout.composite_parts)
        return check_digit(data) == self.at(self.layout.composite_check)

    def verify(
        self,
        field: str,
        label: str,
        segments: Sequence[Span],
        check: Pos,
        *,
        numeric: bool = False,
        substitute: bool = False,
        empty_check_ok: bool = False,
    ) -> bool:
        """Check ``segments`` against the digit at ``check``; repair OCR confusions the digit confirms."""
        value = "".join([self.lines[line][start:end] for line, start, end in segments])
        digit = self.at(check)
        # _holds implies MRZ characters only, so isdigit() here means ASCII digits.
        if _holds(value, digit, empty_check_ok) and (
            not numeric or value.isdigit() or set(value) <= _NUMERIC
        ):
            return True
        if not self.repair:
            return self._report(field, label, value, digit, numeric=numeric, empty_check_ok=empty_check_ok)
        positions = [p for span in segments for p in _positions(span)]
        fixed_digit = digit.translate(_TO_DIGIT)
        candidates: list[str] = []
        if numeric:
            fixed = value.translate(_TO_DIGIT)
            if (fixed != value or fixed_digit != digit) and _holds(fixed, fixed_digit, empty_check_ok):
                candidates.append(fixed)
        else:
            if fixed_digit != digit and _holds(value, fixed_digit, empty_check_ok):
                candidates.append(value)
            if substitute and fixed_digit in _DIGITS:
                candidates += [
                    c
                    for c in _substitutions(value)
                    if _holds(c, fixed_digit, False)
                    and self._composite_agrees(positions, c, check, fixed_digit)
                ]
        if len(candidates) == 1:
            reason = f"OCR confusion corrected: the {label} check digit holds only with this character"
            self._write(positions, candidates[0], field, reason)
            self._write((check,), fixed_digit, field, reason)
            return True
        return self._report(field, label, value, digit, numeric=numeric, empty_check_ok=empty_check_ok)

    def _report(
        self, field: str, label: str, value: str, digit: str, *, numeric: bool, empty_check_ok: bool
    ) -> bool:
        if numeric and not set(value) <= _NUMERIC:
            self.bad_characters.add(field)
            self.error(
                field, "invalid_character", f"the {label} {value!r} must be digits; rescan the document"
            )
        elif digit not in _DIGITS and not (empty_check_ok and digit == "<"):
            self.error(
                field, "check_digit", f"the {label} check digit {digit!r} is not a digit; rescan the document"
            )
        else:
            expected = check_digit(value)
            detail = (
                f"should be {expected}" if expected is not None else "cannot be computed (invalid characters)"
            )
            self.error(
                field,
                "check_digit",
                f"the {label} check digit is {digit} but {detail}; rescan the document or read the data page",
            )
        return False

    def _composite_agrees(self, positions: Sequence[Pos], candidate: str, check: Pos, digit: str) -> bool:
        """Whether the composite check digit also holds with ``candidate`` and ``digit`` in place.

        It cannot tell confusions in the number apart (it starts with the number and its check digit, so
        it holds whenever they do), but it does catch a "repair" that fits a misread check digit.
        """
        if self.layout.composite_check is None:
            return True
        saved = list(self.lines)
        try:
            for (line, index), new in zip((*positions, check), candidate + digit, strict=True):
                self.lines[line] = self.lines[line][:index] + new + self.lines[line][index + 1 :]
            return self.composite_holds()
        finally:
            self.lines[:] = saved

    def date(self, field: str, label: str, span: Span, *, birth: bool, today: date) -> MrzDate | None:
        text = self.text(span)
        if field in self.bad_characters:
            return None
        year_text, month_text, day_text = text[0:2], text[2:4], text[4:6]
        if year_text not in _TWO_DIGITS:
            self.error(
                field, "invalid_date", f"the {label} {text!r} has no readable year; rescan the document"
            )
            return None
        # Doc 9303 Part 3: unknown parts are fillers. Some issuers write 00 instead; both mean unknown.
        month = None if month_text in ("<<", "00") else month_text
        day = None if day_text in ("<<", "00") else day_text
        if (month is not None and month not in _TWO_DIGITS) or (day is not None and day not in _TWO_DIGITS):
            self.error(
                field, "invalid_date", f"the {label} {text!r} is not a date (YYMMDD); rescan the document"
            )
            return None
        month_number = None if month is None else int(month)
        day_number = None if day is None else int(day)
        year = _infer_year(int(year_text), month_number, day_number, birth=birth, today=today)
        if month_number is not None and not 1 <= month_number <= 12:
            self.error(
                field, "invalid_date", f"the {label} {text!r} has month {month_number}; rescan the document"
            )
            return None
        last_day = _days_in_month(year, month_number) if month_number is not None else 31
        if day_number is not None and not 1 <= day_number <= last_day:
            self.error(
                field, "invalid_date", f"the {label} {text!r} has day {day_number}; rescan the document"
            )
            return None
        result = MrzDate(year, month_number, day_number)
        if result.is_partial:
            self.error(
                field,
                "partial_date",
                f"the {label} is only partly known ({result.isoformat()}; unknown parts are null): "
                "confirm it from the data page",
            )
        return result

    def country(self, field: str, label: str, span: Span) -> str:
        code = self.text(span).rstrip("<")
        if code not in ALL_CODES:
            shown = repr(code) if code else "missing"
            self.error(
                field,
                "unknown_code",
                f"the {label} {shown} is not an ISO 3166-1 alpha-3 or ICAO Doc 9303 code; "
                "check the document or rescan",
            )
        return code


def _substitutions(value: str) -> list[str]:
    """Every single OCR-confusion substitution in ``value`` that fits a neighbour's kind.

    A letter becomes a digit only beside a digit and a digit a letter only beside a letter: document
    numbers group their letters and digits, and this halves the candidates a random misread (one the
    check digit alone cannot tell from a confusion) could wrongly be "repaired" to.
    """
    out: list[str] = []
    for i, char in enumerate(value):
        alternatives = _CONFUSIONS.get(char)
        if not alternatives:
            continue
        neighbours = value[max(i - 1, 0) : i] + value[i + 1 : i + 2]
        wants_digit = char not in _DIGITS
        if not any((n in _DIGITS) == wants_digit and n != "<" for n in neighbours):
            continue
        out += [value[:i] + alternative + value[i + 1 :] for alternative in alternatives]
    return out


def _split_name(field: str) -> tuple[str, str]:
    primary, _, secondary = field.rstrip("<").partition("<<")
    surname = " ".join(part for part in primary.split("<") if part)
    given = " ".join(part for part in secondary.split("<") if part)
    return surname, given


def parse_mrz(text: str | Sequence[str], *, today: date | None = None, repair: bool = True) -> MrzResult:
    """Parse one document's MRZ. Raises ``MrzFormatError`` only if no MRZ shape is found.

    ``today`` (default: the local date) is used to infer centuries: a birth date is in the past, an
    expiry date is within 50 years of today. ``repair=False`` turns OCR repair off (every failing
    check digit is then reported as it was read).
    """
    if not isinstance(text, str | list | tuple | Sequence):
        raise MrzFormatError(f"MRZ must be text or a sequence of lines, got {type(text).__name__}")
    today = today or date.today()
    lines = normalise_lines(text)
    # The common case, exactly one document's lines at full length, needs no search for the window.
    if len(lines) == 2 and len(lines[0]) == 44 and len(lines[1]) == 44:
        start, count, length = 0, 2, 44
    else:
        start, count, length = _find_window(lines)
    if length == 44 and len(lines[start]) == 44 and len(lines[start + 1]) == 44:
        fast = _fast_td3(lines[start], lines[start + 1], today)
        if fast is not None:
            return fast
    return _read(lines, start, count, length, today=today, repair=repair)


def _read(lines: list[str], start: int, count: int, length: int, *, today: date, repair: bool) -> MrzResult:
    """The general reader: every field through the layout, with errors and OCR repairs."""
    window = lines[start : start + count]
    reader_padding = [i for i, line in enumerate(window) if len(line) < length]
    window = [line.ljust(length, "<") for line in window]
    layout = _layout_for(window[0], length)
    r = _Reader(window, layout, repair=repair)
    for i in reader_padding:
        r.repairs.append(
            Repair(
                f"line{i + 1}",
                i + 1,
                len(lines[start + i]) + 1,
                "",
                "<",
                "trailing fillers the reader dropped",
            )
        )

    # Fields that must be numeric first, so that the document number's repair can use the composite.
    r.verify("birth_date", "birth date", (layout.birth_date,), layout.birth_date_check, numeric=True)
    r.verify("expiry_date", "expiry date", (layout.expiry_date,), layout.expiry_date_check, numeric=True)

    number_segments, number_check, optional_span = _document_number_places(r, layout)
    r.verify("document_number", "document number", number_segments, number_check, substitute=True)
    document_number = "".join([r.text(span) for span in number_segments]).rstrip("<")
    if not document_number:
        r.error("document_number", "missing", "the document number is empty; rescan the document")

    if layout.optional_data_check is not None:
        r.verify(
            "optional_data",
            "personal number",
            (layout.optional_data,),
            layout.optional_data_check,
            empty_check_ok=True,
        )
    if layout.composite_check is not None and not r.composite_holds():
        r.verify("composite", "composite", layout.composite_parts, layout.composite_check)

    document_code = r.text(layout.document_code)
    if document_code[0] not in _DOCUMENT_KINDS[layout.format] or document_code[1] not in MRZ_CHARACTERS:
        r.error(
            "document_code",
            "invalid_document_code",
            f"document code {document_code!r} does not fit a {layout.format} document "
            f"(expected it to start with one of {_DOCUMENT_KINDS[layout.format]!r}); check the document type",
        )
    issuing_state = r.country("issuing_state", "issuing state", layout.issuing_state)

    name_field = r.text(layout.name)
    surname, given_names = _split_name(name_field)
    if not _NAME.fullmatch(name_field):
        primary = name_field.partition("<<")[0]
        field = "surname" if not set(primary) <= _NAME_CHARACTERS else "given_names"
        r.error(field, "invalid_character", "names in the MRZ are letters A-Z only; rescan the document")
    if not surname and not given_names:
        r.error("surname", "missing", "the name field is empty; rescan the document")

    nationality = r.country("nationality", "nationality", layout.nationality)
    birth_date = r.date("birth_date", "birth date", layout.birth_date, birth=True, today=today)
    sex = r.at(layout.sex)
    if sex not in _SEXES:
        r.error("sex", "invalid_sex", f"sex {sex!r} is not M, F, X or < (unspecified); rescan the document")
    expiry_date = r.date("expiry_date", "expiry date", layout.expiry_date, birth=False, today=today)

    optional_data = r.text(optional_span).strip("<") if optional_span is not None else ""
    optional_data_2 = r.text(layout.optional_data_2).strip("<") if layout.optional_data_2 is not None else ""
    return MrzResult(
        format=layout.format,
        document_code=document_code.rstrip("<"),
        issuing_state=issuing_state,
        surname=surname,
        given_names=given_names,
        document_number=document_number,
        nationality=nationality,
        birth_date=birth_date,
        sex=sex,
        expiry_date=expiry_date,
        optional_data=optional_data,
        valid=not r.errors,
        errors=tuple(r.errors),
        repairs=tuple(r.repairs),
        lines=tuple(r.lines),
        optional_data_2=optional_data_2,
        name_truncated=name_field[-1] != "<",
    )


def _positions(span: Span) -> list[Pos]:
    line, start, end = span
    return [(line, i) for i in range(start, end)]


def _document_number_places(r: _Reader, layout: Layout) -> tuple[tuple[Span, ...], Pos, Span | None]:
    """Where the document number, its check digit and the optional data are.

    Doc 9303 Part 5 and 6 (TD1, TD2): a number longer than 9 characters puts a filler in the check-digit
    position and continues in the optional data, followed by its check digit.
    """
    number = layout.document_number
    check = layout.document_number_check
    optional = layout.optional_data
    if not (layout.allows_long_number and r.at(check) == "<" and r.at((number[0], number[2] - 1)) != "<"):
        return (number,), check, optional
    line, start, end = optional
    rest = r.lines[line][start:end]
    run = len(rest) - len(rest.lstrip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    if run == 0:
        return (number,), check, optional
    return (number, (line, start, start + run - 1)), (line, start + run - 1), (line, start + run, end)


# --- Fast path (issue 3: at most 30 µs median per valid TD3) -------------------------------------------
# Most reads are one clean, valid passport. For those, one regular expression per line checks every
# character class the general reader would (document kind, letters-only names, digits in dates and check
# digits), the check digits are summed over byte values, and the result is built without the frozen
# dataclass ``__init__``. Anything else (an error, a repair, a partial date) returns ``None`` and the
# general reader above produces the result, so the fast path never changes what a parse returns; the
# equivalence is tested in tests/core/documents/test_fast_path.py.
_TD3_LINE1 = re.compile("P[A-Z0-9<][A-Z<]{42}")
_TD3_LINE2 = re.compile("[A-Z0-9<]{9}[0-9][A-Z<]{3}[0-9]{7}[MFX<][0-9]{7}[A-Z0-9<]{14}[0-9<][0-9]")
# MRZ character -> Doc 9303 Part 3 value (``<`` 0, digits 0-9, A-Z 10-35); only used on matched lines.
_VALUE_BYTES = bytes(b - 48 if 48 <= b <= 57 else b - 55 if 65 <= b <= 90 else 0 for b in range(256))
_WEIGHTS = (7, 3, 1) * 15
_TWO_DIGIT_VALUES = {f"{n:02d}": n for n in range(100)}
_new = object.__new__
_SET = {name: getattr(MrzResult, name).__set__ for name in MrzResult.__slots__}
_SET_DATE = {name: getattr(MrzDate, name).__set__ for name in MrzDate.__slots__}


def _fast_date(text: str, *, birth: bool, today: date) -> MrzDate | None:
    """A full, valid date from six digits, or ``None`` (the general reader then reports why)."""
    month = _TWO_DIGIT_VALUES[text[2:4]]
    day = _TWO_DIGIT_VALUES[text[4:6]]
    if not 1 <= month <= 12 or day == 0:
        return None
    year = _infer_year(_TWO_DIGIT_VALUES[text[0:2]], month, day, birth=birth, today=today)
    if day > _days_in_month(year, month):
        return None
    result = _new(MrzDate)
    _SET_DATE["year"](result, year)
    _SET_DATE["month"](result, month)
    _SET_DATE["day"](result, day)
    return result


def _fast_td3(line1: str, line2: str, today: date) -> MrzResult | None:
    """The result for a clean TD3 with no errors and nothing to repair, else ``None``."""
    if _TD3_LINE1.fullmatch(line1) is None or _TD3_LINE2.fullmatch(line2) is None:
        return None
    values = line2.encode("ascii").translate(_VALUE_BYTES)
    digits = "0123456789"
    if (
        digits[sum(map(mul, values[13:19], _WEIGHTS)) % 10] != line2[19]
        or digits[sum(map(mul, values[21:27], _WEIGHTS)) % 10] != line2[27]
        or digits[sum(map(mul, values[0:9], _WEIGHTS)) % 10] != line2[9]
        or digits[sum(map(mul, values[0:10] + values[13:20] + values[21:43], _WEIGHTS)) % 10] != line2[43]
    ):
        return None
    # Doc 9303 Part 4: an empty personal number may have ``<`` as its check digit.
    if digits[sum(map(mul, values[28:42], _WEIGHTS)) % 10] != line2[42] and not (
        line2[42] == "<" and line2[28:42] == "<<<<<<<<<<<<<<"
    ):
        return None
    document_number = line2[0:9].rstrip("<")
    issuing_state = line1[2:5].rstrip("<")
    nationality = line2[10:13].rstrip("<")
    name_field = line1[5:44]
    surname, given_names = _split_name(name_field)
    if (
        not document_number
        or issuing_state not in ALL_CODES
        or nationality not in ALL_CODES
        or not (surname or given_names)
    ):
        return None
    birth_date = _fast_date(line2[13:19], birth=True, today=today)
    expiry_date = _fast_date(line2[21:27], birth=False, today=today)
    if birth_date is None or expiry_date is None:
        return None
    result = _new(MrzResult)
    s = _SET
    s["format"](result, "TD3")
    s["document_code"](result, line1[0:2].rstrip("<"))
    s["issuing_state"](result, issuing_state)
    s["surname"](result, surname)
    s["given_names"](result, given_names)
    s["document_number"](result, document_number)
    s["nationality"](result, nationality)
    s["birth_date"](result, birth_date)
    s["sex"](result, line2[20])
    s["expiry_date"](result, expiry_date)
    s["optional_data"](result, line2[28:42].strip("<"))
    s["valid"](result, True)
    s["errors"](result, ())
    s["repairs"](result, ())
    s["lines"](result, (line1, line2))
    s["optional_data_2"](result, "")
    s["name_truncated"](result, name_field[-1] != "<")
    return result
