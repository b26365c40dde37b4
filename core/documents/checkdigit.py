"""ICAO 9303 Part 3 check digits: weights 7-3-1 repeating, ``<`` = 0, 0-9 = 0-9, A-Z = 10-35, modulo 10."""

from __future__ import annotations

import string

# One table per weight so the hot loop is a dict lookup and an add (bench/bench_mrz.py measures it).
_VALUES: dict[str, int] = {"<": 0}
_VALUES.update({d: int(d) for d in string.digits})
_VALUES.update({c: 10 + i for i, c in enumerate(string.ascii_uppercase)})
_WEIGHTED: tuple[dict[str, int], ...] = tuple({c: v * w for c, v in _VALUES.items()} for w in (7, 3, 1))

MRZ_CHARACTERS = frozenset(_VALUES)


def check_digit(data: str) -> str | None:
    """The check digit (``"0"``-``"9"``) over ``data``, or ``None`` if it holds a non-MRZ character."""
    w7, w3, w1 = _WEIGHTED
    try:
        # Three C-level sums over every third character: several times faster than a Python loop.
        total = (
            sum(map(w7.__getitem__, data[0::3]))
            + sum(map(w3.__getitem__, data[1::3]))
            + sum(map(w1.__getitem__, data[2::3]))
        )
    except KeyError:
        return None
    return _DIGIT_TEXT[total % 10]


_DIGIT_TEXT = "0123456789"
