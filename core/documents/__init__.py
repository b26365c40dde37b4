"""ICAO 9303 travel documents: parse and render machine readable zones (pure, no I/O).

>>> from core.documents import parse_mrz
>>> r = parse_mrz(["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
...                "L898902C36UTO7408122F1204159ZE184226B<<<<<10"])
>>> r.format, r.surname, r.given_names, r.valid
('TD3', 'ERIKSSON', 'ANNA MARIA', True)
"""

from __future__ import annotations

from core.documents.checkdigit import check_digit
from core.documents.countries import country_name, is_known_code
from core.documents.errors import DocumentError, MrzFormatError, MrzRenderError
from core.documents.model import FieldError, MrzDate, MrzFormat, MrzResult, Repair
from core.documents.parser import normalise_lines, parse_mrz
from core.documents.render import TravelDocument, render_mrz

__all__ = [
    "DocumentError",
    "FieldError",
    "MrzDate",
    "MrzFormat",
    "MrzFormatError",
    "MrzRenderError",
    "MrzResult",
    "Repair",
    "TravelDocument",
    "check_digit",
    "country_name",
    "is_known_code",
    "normalise_lines",
    "parse_mrz",
    "render_mrz",
]
