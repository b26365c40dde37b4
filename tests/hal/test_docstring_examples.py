"""The examples in ``hal``'s docstrings run (on the emulated backend), so they stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

from emulator.devices import register
from hal.backend import reset_emulated

MODULES = [
    "hal.door",
    "hal.fingerprint",
    "hal.printer",
    "hal.codecs.mrz",
    "hal.codecs.zfm",
    "hal.codecs.escpos",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    register()
    reset_emulated()
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    reset_emulated()
    assert result.attempted > 0 and result.failed == 0
