"""``python -m core mrz``: parse one document's MRZ from standard input and print one JSON object.

Exit status: 0 valid, 1 parsed with errors, 2 not an MRZ (then the object is
``{"valid": false, "error": "..."}`` and the message is also written to standard error).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from core.documents.errors import MrzFormatError
from core.documents.parser import parse_mrz


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m core mrz",
        description="Read one document's MRZ lines on standard input and print the parsed fields as JSON. "
        "Exit status: 0 valid, 1 parsed with errors, 2 not an MRZ.",
    )
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="the date used for century inference (default: today)",
    )
    parser.add_argument(
        "--no-repair", action="store_true", help="report OCR confusions instead of repairing them"
    )
    args = parser.parse_args(argv)
    text = sys.stdin.read()
    try:
        result = parse_mrz(text, today=args.today, repair=not args.no_repair)
    except MrzFormatError as exc:
        print(json.dumps({"valid": False, "error": str(exc)}))
        print(f"python -m core mrz: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result.to_dict(), ensure_ascii=False))
    return 0 if result.valid else 1
