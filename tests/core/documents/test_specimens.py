"""The ICAO Doc 9303 specimens and published real documents parse to their printed fields."""

from __future__ import annotations

from datetime import date

from core.documents import MrzDate, parse_mrz
from tests.core.documents.specimens import (
    FRENCH_ID_CARD,
    MRVA_ERIKSSON,
    MRVB_ERIKSSON,
    TD1_ERIKSSON,
    TD1_LONG_NUMBER,
    TD2_ERIKSSON,
    TD3_ERIKSSON,
    TD3_ERIKSSON_8TH,
    TD3_NETHERLANDS_SPECIMEN,
    TODAY,
)


def test_td3_specimen_parses_every_field() -> None:
    r = parse_mrz(TD3_ERIKSSON, today=TODAY)
    assert (r.format, r.document_code, r.issuing_state) == ("TD3", "P", "UTO")
    assert (r.surname, r.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert (r.document_number, r.nationality, r.sex) == ("L898902C3", "UTO", "F")
    assert r.birth_date == MrzDate(1974, 8, 12)
    assert r.expiry_date == MrzDate(2012, 4, 15)
    assert r.optional_data == "ZE184226B"
    assert r.valid and r.errors == () and r.repairs == ()


def test_td3_eighth_edition_specimen_with_short_document_number_is_valid() -> None:
    r = parse_mrz(TD3_ERIKSSON_8TH, today=TODAY)
    assert r.valid
    assert r.document_number == "L898902C"
    assert r.birth_date == MrzDate(1969, 8, 6)
    assert r.expiry_date == MrzDate(1994, 6, 23)


def test_td1_specimen_parses_every_field() -> None:
    r = parse_mrz(TD1_ERIKSSON, today=TODAY)
    assert (r.format, r.document_code, r.issuing_state, r.nationality) == ("TD1", "I", "UTO", "UTO")
    assert (r.surname, r.given_names, r.document_number) == ("ERIKSSON", "ANNA MARIA", "D23145890")
    assert (r.birth_date, r.expiry_date) == (MrzDate(1974, 8, 12), MrzDate(2012, 4, 15))
    assert r.optional_data == "" and r.optional_data_2 == ""
    assert r.valid


def test_td1_long_document_number_continues_into_optional_data() -> None:
    r = parse_mrz(TD1_LONG_NUMBER, today=TODAY)
    assert r.valid
    assert r.document_number == "D23145890734"
    assert r.optional_data == ""
    assert (r.surname, r.given_names, r.sex) == ("STEVENSON", "PETER JOHN", "M")


def test_td2_specimen_parses_every_field() -> None:
    r = parse_mrz(TD2_ERIKSSON, today=TODAY)
    assert (r.format, r.document_number, r.sex) == ("TD2", "D23145890", "F")
    assert (r.birth_date, r.expiry_date) == (MrzDate(1974, 8, 12), MrzDate(2012, 4, 15))
    assert r.valid


def test_mrv_a_specimen_is_a_visa_of_format_a() -> None:
    r = parse_mrz(MRVA_ERIKSSON, today=TODAY)
    assert (r.format, r.document_code) == ("MRVA", "V")
    assert r.document_number == "L898902C"
    assert r.optional_data == "ZE184226B"
    assert r.valid


def test_mrv_b_specimen_is_a_visa_of_format_b() -> None:
    r = parse_mrz(MRVB_ERIKSSON, today=TODAY)
    assert (r.format, r.document_number, r.nationality) == ("MRVB", "L8988901C", "XXX")
    assert (r.birth_date, r.expiry_date) == (MrzDate(1940, 9, 7), MrzDate(1996, 12, 10))
    assert r.valid


def test_netherlands_specimen_passport_checks_its_personal_number() -> None:
    r = parse_mrz(TD3_NETHERLANDS_SPECIMEN, today=TODAY)
    assert r.valid
    assert (r.surname, r.given_names) == ("DE BRUIJN", "WILLEKE LISELOTTE")
    assert (r.document_number, r.optional_data) == ("SPECI2014", "999999990")
    assert r.expiry_date is not None and r.expiry_date.as_date() == date(2024, 3, 9)


def test_french_national_id_card_is_reported_not_raised() -> None:
    r = parse_mrz(FRENCH_ID_CARD, today=TODAY)
    assert r.format == "TD2"
    assert not r.valid
    assert "nationality" in r.error_fields


def test_expired_specimen_is_still_a_valid_mrz() -> None:
    # ``valid`` speaks of the MRZ's integrity; expiry is a travel rule (core.documents.rules).
    r = parse_mrz(TD3_ERIKSSON, today=TODAY)
    assert r.valid
    assert r.expiry_date is not None and r.expiry_date.as_date() == date(2012, 4, 15)
