"""Properties: render then parse is the identity; one corrupted character is named; nothing else raises."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from core.documents import MrzDate, MrzFormatError, MrzResult, TravelDocument, parse_mrz, render_mrz
from core.documents.checkdigit import MRZ_CHARACTERS
from core.documents.countries import ALL_CODES
from core.documents.layouts import LAYOUTS, Layout, Span
from tests.core.documents.specimens import TODAY

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ALNUM = LETTERS + "0123456789"
CODES = sorted(ALL_CODES)
DOCUMENT_LETTERS = {"TD1": "ACI", "TD2": "ACI", "TD3": "P", "MRVA": "V", "MRVB": "V"}
# Room left in the optional data once a number continues into it: TD1 15, TD2 7 (minus check and filler).
OPTIONAL_WIDTH = {"TD1": 15, "TD2": 7, "TD3": 14, "MRVA": 16, "MRVB": 8}

words = st.text(LETTERS, min_size=1, max_size=6)


@st.composite
def documents(draw: st.DrawFn, short_numbers: bool = False) -> tuple[TravelDocument, str]:
    fmt = draw(st.sampled_from(sorted(LAYOUTS)))
    code = draw(st.sampled_from(DOCUMENT_LETTERS[fmt])) + draw(st.sampled_from(["", *LETTERS]))
    long_ok = fmt in ("TD1", "TD2") and not short_numbers
    number = draw(st.text(ALNUM, min_size=1, max_size=12 if long_ok else 9))
    room = OPTIONAL_WIDTH[fmt] - (len(number) - 9 + 2 if len(number) > 9 else 0)
    optional = draw(st.text(ALNUM, max_size=room))
    birth = draw(st.dates(TODAY - timedelta(days=99 * 365), TODAY))
    expiry = draw(st.dates(date(TODAY.year - 45, 1, 1), date(TODAY.year + 45, 12, 31)))
    doc = TravelDocument(
        document_code=code,
        issuing_state=draw(st.sampled_from(CODES)),
        surname=" ".join(draw(st.lists(words, min_size=1, max_size=2))),
        given_names=" ".join(draw(st.lists(words, max_size=2))),
        document_number=number,
        nationality=draw(st.sampled_from(CODES)),
        birth_date=birth,
        sex=draw(st.sampled_from("MFX<")),
        expiry_date=expiry,
        optional_data=optional,
        optional_data_2=draw(st.text(ALNUM, max_size=11)) if fmt == "TD1" else "",
    )
    return doc, fmt


def _fields(r: MrzResult) -> tuple[object, ...]:
    names = ("format", "document_code", "issuing_state", "surname", "given_names", "document_number")
    rest = ("nationality", "birth_date", "sex", "expiry_date", "optional_data", "optional_data_2")
    return tuple(getattr(r, name) for name in names + rest)


@settings(max_examples=150, deadline=None)
@given(documents())
def test_rendered_documents_parse_back_identical(case: tuple[TravelDocument, str]) -> None:
    doc, fmt = case
    r = parse_mrz(render_mrz(doc, fmt), today=TODAY)
    assert r.valid, r.errors
    assert r.repairs == ()
    assert r.birth_date is not None and r.expiry_date is not None
    assert isinstance(doc.birth_date, date) and isinstance(doc.expiry_date, date)
    expected = (
        *(fmt, doc.document_code, doc.issuing_state, doc.surname, doc.given_names, doc.document_number),
        *(doc.nationality, MrzDate.from_date(doc.birth_date), doc.sex, MrzDate.from_date(doc.expiry_date)),
        *(doc.optional_data, doc.optional_data_2),
    )
    assert _fields(r) == expected


def _protected_fields(layout: Layout) -> dict[tuple[int, int], str]:
    """Each position a check digit guards, mapped to the field the error must name."""

    def cover(span: Span, field: str, into: dict[tuple[int, int], str]) -> None:
        for i in range(span[1], span[2]):
            into.setdefault((span[0], i), field)

    out: dict[tuple[int, int], str] = {}
    for field, span, check in (
        ("document_number", layout.document_number, layout.document_number_check),
        ("birth_date", layout.birth_date, layout.birth_date_check),
        ("expiry_date", layout.expiry_date, layout.expiry_date_check),
    ):
        cover(span, field, out)
        out[check] = field
    if layout.optional_data_check is not None:
        cover(layout.optional_data, "optional_data", out)
        out[layout.optional_data_check] = "optional_data"
    if layout.composite_check is not None:
        for span in layout.composite_parts:
            cover(span, "composite", out)
        out[layout.composite_check] = "composite"
    return out


def _weight(layout: Layout, line: int, column: int, field: str) -> int:
    """The check-digit weight at a position: a change by a multiple of 10 there cannot be seen."""
    if field == "composite":
        offset = 0
        for span in layout.composite_parts:
            if span[0] == line and span[1] <= column < span[2]:
                return (7, 3, 1)[(offset + column - span[1]) % 3]
            offset += span[2] - span[1]
        return 1
    for name, span in (
        ("document_number", layout.document_number),
        ("birth_date", layout.birth_date),
        ("expiry_date", layout.expiry_date),
        ("optional_data", layout.optional_data),
    ):
        if name == field and span[0] == line and span[1] <= column < span[2]:
            return (7, 3, 1)[(column - span[1]) % 3]
    return 1


VALUES = {c: (0 if c == "<" else int(c, 36)) for c in MRZ_CHARACTERS}


@settings(max_examples=150, deadline=None)
@given(documents(short_numbers=True), st.data())
def test_one_corrupted_character_is_reported_by_its_field(
    case: tuple[TravelDocument, str], data: st.DataObject
) -> None:
    doc, fmt = case
    layout = LAYOUTS[fmt]
    lines = render_mrz(doc, fmt)
    protected = _protected_fields(layout)
    (line, column) = data.draw(st.sampled_from(sorted(protected)))
    field = protected[(line, column)]
    old = lines[line][column]
    # Doc 9303 check digits cannot see a change by a multiple of 10 (A for 0 at weight 1): skip those.
    seen = [c for c in sorted(MRZ_CHARACTERS) if c != old and (VALUES[c] - VALUES[old]) % 10]
    new = data.draw(st.sampled_from(seen))
    lines[line] = lines[line][:column] + new + lines[line][column + 1 :]
    r = parse_mrz(lines, today=TODAY, repair=False)
    assert not r.valid
    assert field in r.error_fields


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_any_text_parses_or_raises_only_the_typed_error(text: str) -> None:
    try:
        r = parse_mrz(text, today=TODAY)
    except MrzFormatError:
        return
    assert r.valid == (not r.errors)


mrz_lines = st.sampled_from([(2, 44), (2, 36), (3, 30)]).flatmap(
    lambda shape: st.lists(
        st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<<<<<<_ ", min_size=shape[1] - 3, max_size=shape[1]),
        min_size=shape[0],
        max_size=shape[0] + 1,
    )
)


@settings(max_examples=300, deadline=None)
@given(mrz_lines)
def test_mrz_shaped_noise_never_raises_anything_but_the_typed_error(lines: list[str]) -> None:
    try:
        r = parse_mrz(lines, today=TODAY)
    except MrzFormatError:
        return
    assert r.format in LAYOUTS
    assert all(len(line) == LAYOUTS[r.format].line_length for line in r.lines)
    assert r.to_dict()["valid"] == r.valid
