"""Where each field sits in each ICAO 9303 format, shared by the parser and the renderer.

Positions are 0-based ``(line, start, end)`` slices; a check digit is ``(line, index)``.
Sources: Doc 9303 Part 4 (TD3 passports), Part 5 (TD1 cards), Part 6 (TD2), Part 7 (MRV-A, MRV-B visas).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.documents.model import MrzFormat

Span = tuple[int, int, int]
Pos = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Layout:
    format: MrzFormat
    line_count: int
    line_length: int
    document_code: Span
    issuing_state: Span
    name: Span
    document_number: Span
    document_number_check: Pos
    nationality: Span
    birth_date: Span
    birth_date_check: Pos
    sex: Pos
    expiry_date: Span
    expiry_date_check: Pos
    optional_data: Span
    # TD3 only: the personal number has its own check digit (a ``<`` is valid when the field is empty).
    optional_data_check: Pos | None
    # TD1 only: the second optional field on line 2.
    optional_data_2: Span | None
    composite_check: Pos | None
    composite_parts: tuple[Span, ...]
    # TD1 and TD2: a document number longer than 9 characters continues into this optional field
    # (Doc 9303 Part 5 and Part 6, note j): filler in the check-digit position, the rest of the number,
    # then its check digit.
    allows_long_number: bool


def _line2_common(
    fmt: MrzFormat,
    length: int,
    optional_end: int,
    *,
    optional_data_check: Pos | None,
    composite_check: Pos | None,
    composite_parts: tuple[Span, ...],
    allows_long_number: bool,
) -> Layout:
    """TD2, TD3, MRV-A and MRV-B share line 1 (code, state, name) and the start of line 2."""
    return Layout(
        format=fmt,
        line_count=2,
        line_length=length,
        document_code=(0, 0, 2),
        issuing_state=(0, 2, 5),
        name=(0, 5, length),
        document_number=(1, 0, 9),
        document_number_check=(1, 9),
        nationality=(1, 10, 13),
        birth_date=(1, 13, 19),
        birth_date_check=(1, 19),
        sex=(1, 20),
        expiry_date=(1, 21, 27),
        expiry_date_check=(1, 27),
        optional_data=(1, 28, optional_end),
        optional_data_check=optional_data_check,
        optional_data_2=None,
        composite_check=composite_check,
        composite_parts=composite_parts,
        allows_long_number=allows_long_number,
    )


TD1 = Layout(
    format="TD1",
    line_count=3,
    line_length=30,
    document_code=(0, 0, 2),
    issuing_state=(0, 2, 5),
    document_number=(0, 5, 14),
    document_number_check=(0, 14),
    optional_data=(0, 15, 30),
    birth_date=(1, 0, 6),
    birth_date_check=(1, 6),
    sex=(1, 7),
    expiry_date=(1, 8, 14),
    expiry_date_check=(1, 14),
    nationality=(1, 15, 18),
    optional_data_2=(1, 18, 29),
    composite_check=(1, 29),
    composite_parts=((0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29)),
    name=(2, 0, 30),
    optional_data_check=None,
    allows_long_number=True,
)
TD2 = _line2_common(
    "TD2",
    36,
    35,
    optional_data_check=None,
    composite_check=(1, 35),
    composite_parts=((1, 0, 10), (1, 13, 20), (1, 21, 35)),
    allows_long_number=True,
)
TD3 = _line2_common(
    "TD3",
    44,
    42,
    optional_data_check=(1, 42),
    composite_check=(1, 43),
    composite_parts=((1, 0, 10), (1, 13, 20), (1, 21, 43)),
    allows_long_number=False,
)
MRVA = _line2_common(
    "MRVA",
    44,
    44,
    optional_data_check=None,
    composite_check=None,
    composite_parts=(),
    allows_long_number=False,
)
MRVB = _line2_common(
    "MRVB",
    36,
    36,
    optional_data_check=None,
    composite_check=None,
    composite_parts=(),
    allows_long_number=False,
)

LAYOUTS: dict[str, Layout] = {layout.format: layout for layout in (TD1, TD2, TD3, MRVA, MRVB)}
