"""MRZ texts used across the document tests, each with its source.

ICAO specimens are from Doc 9303 (7th/8th editions) appendices; their state "UTO" (Utopia) is fictitious.
"""

from __future__ import annotations

from datetime import date

# Tests fix "today" so century inference and expiry do not drift with the calendar.
TODAY = date(2026, 11, 22)

# Doc 9303 Part 4, Appendix A (TD3 passport), 7th edition.
TD3_ERIKSSON = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
# Doc 9303 Part 4, Appendix A, 8th edition: a document number shorter than 9 characters.
TD3_ERIKSSON_8TH = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C<3UTO6908061F9406236ZE184226B<<<<<14",
)
# Doc 9303 Part 5, Appendix A (TD1 card).
TD1_ERIKSSON = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)
# Doc 9303 Part 5, Appendix B: a 12-character document number continued into the optional data.
TD1_LONG_NUMBER = (
    "I<UTOD23145890<7349<<<<<<<<<<<",
    "3407127M9507122UTO<<<<<<<<<<<2",
    "STEVENSON<<PETER<JOHN<<<<<<<<<",
)
# Doc 9303 Part 6, Appendix A (TD2 card).
TD2_ERIKSSON = (
    "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
    "D231458907UTO7408122F1204159<<<<<<<6",
)
# Doc 9303 Part 7, Appendix A (MRV-A visa), 8th edition.
MRVA_ERIKSSON = (
    "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C<3UTO6908061F9406236ZE184226B<<<<<<<",
)
# Doc 9303 Part 7, Appendix B (MRV-B visa).
MRVB_ERIKSSON = (
    "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
    "L8988901C4XXX4009078F9612109<<<<<<<<",
)
# The Netherlands' published specimen passport (SPECI2014): a real issuer's personal number with its own
# check digit, and a surname with a particle ("DE BRUIJN").
TD3_NETHERLANDS_SPECIMEN = (
    "P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<<",
    "SPECI20142NLD6503101F2403096999999990<<<<<84",
)
# France's pre-2021 national identity card: 2x36 but not ICAO TD2 (no nationality, its own layout).
# Real readers meet it; it must parse as a TD2 with errors, never crash.
FRENCH_ID_CARD = (
    "IDFRABERTHIER<<<<<<<<<<<<<<<<<<<<<<<",
    "8806923102858CORINNE<<<<<<<6512068F6",
)
