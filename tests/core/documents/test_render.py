"""The renderer writes every format with every check digit, and refuses what does not fit."""

from __future__ import annotations

from datetime import date

import pytest

from core.documents import MrzRenderError, TravelDocument, render_mrz
from tests.core.documents.specimens import (
    MRVA_ERIKSSON,
    MRVB_ERIKSSON,
    TD1_ERIKSSON,
    TD1_LONG_NUMBER,
    TD2_ERIKSSON,
    TD3_ERIKSSON,
)

ANNA = {
    "issuing_state": "UTO",
    "surname": "Eriksson",
    "given_names": "Anna María",
    "nationality": "UTO",
    "sex": "F",
}


def test_renders_the_td3_specimen() -> None:
    doc = TravelDocument("P", **ANNA, document_number="L898902C3", birth_date=date(1974, 8, 12),
                         expiry_date=date(2012, 4, 15), optional_data="ZE184226B")  # fmt: skip
    assert tuple(render_mrz(doc, "TD3")) == TD3_ERIKSSON


def test_renders_the_td1_and_td2_specimens() -> None:
    doc = TravelDocument("I", **ANNA, document_number="D23145890", birth_date=date(1974, 8, 12),
                         expiry_date=date(2012, 4, 15))  # fmt: skip
    assert tuple(render_mrz(doc, "TD1")) == TD1_ERIKSSON
    assert tuple(render_mrz(doc, "TD2")) == TD2_ERIKSSON


def test_renders_the_td1_long_document_number_specimen() -> None:
    doc = TravelDocument("I", "UTO", "Stevenson", "Peter John", "D23145890734", "UTO", date(1934, 7, 12), "M",
                         date(1995, 7, 12))  # fmt: skip
    assert tuple(render_mrz(doc, "TD1")) == TD1_LONG_NUMBER


def test_renders_the_visa_specimens() -> None:
    mrva = TravelDocument("V", **ANNA, document_number="L898902C", birth_date=date(1969, 8, 6),
                          expiry_date=date(1994, 6, 23), optional_data="ZE184226B")  # fmt: skip
    mrvb = TravelDocument("V", **{**ANNA, "nationality": "XXX"}, document_number="L8988901C",
                          birth_date=date(1940, 9, 7), expiry_date=date(1996, 12, 10))  # fmt: skip
    assert tuple(render_mrz(mrva, "MRVA")) == MRVA_ERIKSSON
    assert tuple(render_mrz(mrvb, "MRVB")) == MRVB_ERIKSSON


def test_hyphens_and_apostrophes_in_names_follow_doc_9303() -> None:
    doc = TravelDocument(
        "P", "IDN", "O'Neil-Smith", "Siti", "X1", "IDN", date(1980, 1, 1), "F", date(2030, 1, 1)
    )
    assert render_mrz(doc, "TD3")[0].startswith("P<IDNONEIL<SMITH<<SITI<")


def test_long_document_number_does_not_fit_a_passport() -> None:
    doc = TravelDocument("P", "IDN", "A", "", "X123456789", "IDN", date(1980, 1, 1), "F", date(2030, 1, 1))
    with pytest.raises(MrzRenderError, match="longer than 9"):
        render_mrz(doc, "TD3")


def test_unknown_format_is_refused() -> None:
    doc = TravelDocument("P", "IDN", "A", "", "X1", "IDN", date(1980, 1, 1), "F", date(2030, 1, 1))
    with pytest.raises(MrzRenderError, match="unknown MRZ format"):
        render_mrz(doc, "TD4")
