"""The firmware type-checks against the MicroPython rp2 stubs (``micropython-rp2-stubs``), not CPython's.

The stubs install flat into site-packages (``machine.pyi``, ``utime.pyi``, …) beside a MicroPython
``stdlib`` typeshed. mypy is pointed at that typeshed with ``--custom-typeshed-dir`` and at a folder of
links to the port's modules with ``mypy_path`` (site-packages itself may not be on the mypy path), with
the stubs' own lint errors silenced. The same command is in docs/door-firmware.md.
"""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

FIRMWARE = Path(__file__).resolve().parents[3] / "hal" / "firmware"
FIRMWARE_FILES = ("protocol.py", "safety.py", "controller.py", "main.py")
PORT_MODULES = ("machine", "utime", "time", "micropython", "_mpy_shed", "rp2")


def stub_root() -> Path:
    try:
        dist = metadata.distribution("micropython-rp2-stubs")
    except metadata.PackageNotFoundError:
        pytest.fail("micropython-rp2-stubs is not installed; run `make venv` (it is a dev dependency)")
    return Path(str(dist.locate_file("")))


def test_firmware_type_checks_against_the_micropython_rp2_stubs(tmp_path: Path) -> None:
    root = stub_root()
    links = tmp_path / "stubs"
    links.mkdir()
    for name in PORT_MODULES:
        source = root / name if (root / name).is_dir() else root / f"{name}.pyi"
        assert source.exists(), f"{source} missing from micropython-rp2-stubs"
        (links / source.name).symlink_to(source)
    config = tmp_path / "mypy.ini"
    config.write_text(
        "[mypy]\nstrict = True\nexplicit_package_bases = True\n"
        f"mypy_path = {links}\ncache_dir = {tmp_path / 'cache'}\n"
        "[mypy-machine,utime,time,micropython,_mpy_shed.*,rp2.*]\nignore_errors = True\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(config),
            "--custom-typeshed-dir",
            str(root),
            *FIRMWARE_FILES,
        ],
        cwd=FIRMWARE,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
