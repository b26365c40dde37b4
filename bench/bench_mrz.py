"""Parse time per document for ``core.documents.parse_mrz``: ``.venv/bin/python bench/bench_mrz.py``.

Each case is parsed in batches; the figure is the median over batches of the time per parse (the issue's
target: at most 30 µs median for a valid TD3 on the project's 2-core machine).
"""

from __future__ import annotations

import argparse
import functools
import platform
import statistics
import sys
import timeit
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.documents import parse_mrz

TODAY = date(2026, 11, 22)
CASES: dict[str, list[str] | str] = {
    "TD3 valid (specimen)": [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ],
    "TD3 reader text (lower case, CRLF, stray line)": "ok\r\np<utoeriksson<<anna<maria<<<<<<<<<<<<<<<<<<<\r\n"
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10\r\n",
    "TD3 with OCR repair (O for 0 in the birth date)": [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO74O8122F1204159ZE184226B<<<<<10",
    ],
    "TD1 valid (specimen)": [
        "I<UTOD231458907<<<<<<<<<<<<<<<",
        "7408122F1204159UTO<<<<<<<<<<<6",
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=31)
    parser.add_argument("--per-batch", type=int, default=2000)
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}")
    print("| case | median µs/parse | min µs/parse |")
    print("|---|---|---|")
    for name, text in CASES.items():
        assert parse_mrz(text, today=TODAY).valid, name
        times = timeit.repeat(
            functools.partial(parse_mrz, text, today=TODAY), number=args.per_batch, repeat=args.batches
        )
        per = [t / args.per_batch * 1e6 for t in times]
        print(f"| {name} | {statistics.median(per):.1f} | {min(per):.1f} |")


if __name__ == "__main__":
    main()
