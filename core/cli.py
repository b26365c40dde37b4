"""One small dispatcher for every package's ``python -m PACKAGE`` command line.

Each command lives in its own module exposing ``main(argv: list[str]) -> int``. Modules are imported
lazily so that ``--help`` is instant and one broken command cannot take the others down.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Mapping, Sequence


def dispatch(
    prog: str,
    description: str,
    commands: Mapping[str, tuple[str, str]],
    argv: Sequence[str] | None = None,
) -> int:
    """Run ``commands[argv[0]]`` (a ``(module, help)`` pair) with the rest of ``argv``."""
    args = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog=prog, description=description)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in commands.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not args or args[0] in ("-h", "--help"):
        parser.print_help()
        return 0
    name, rest = args[0], args[1:]
    if name not in commands:
        parser.error(f"unknown command {name!r}; choose from: {', '.join(commands)}")
    module_name = commands[name][0]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        print(
            f"{prog} {name}: this command is not available in this build ({module_name} missing)",
            file=sys.stderr,
        )
        return 2
    result: int = module.main(rest)
    return result
