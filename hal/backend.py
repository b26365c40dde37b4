"""Choosing a backend and its clock: per object (``backend=``), per process (board config or env).

Like gpiozero's pin factories: ``IMIGRASI_BACKEND`` (``emulated`` or ``pi``) moves the whole stack at
once, a board config can set it, and any device can override it with ``backend=``. The emulated
backend has one process-wide ``ManualClock`` and one ``MockFactory``, so the emulator's far ends and
the devices see the same pins and the same time.
"""

from __future__ import annotations

import importlib
import os
import threading
from typing import Any, Literal

from core.clock import Clock, ManualClock, SystemClock
from hal.errors import BackendError

BackendName = Literal["emulated", "pi"]
BACKENDS: tuple[BackendName, ...] = ("emulated", "pi")
ENV_VAR = "IMIGRASI_BACKEND"

_lock = threading.Lock()
_process_default: BackendName | None = None
_emulated_clock: ManualClock | None = None
_system_clock = SystemClock()
_factories: dict[str, Any] = {}


def check_backend(name: str) -> BackendName:
    """``name`` if it is a known backend, else a ``BackendError`` listing the known ones."""
    if name not in BACKENDS:
        raise BackendError(f"unknown backend {name!r}; use one of: {', '.join(BACKENDS)}")
    return name


def set_default_backend(name: str | None) -> None:
    """Set (or with ``None`` forget) the process default; a board config calls this."""
    global _process_default
    with _lock:
        _process_default = None if name is None else check_backend(name)


def resolve_backend(backend: str | None = None) -> BackendName:
    """The backend a device should use: its own ``backend=``, else the process default, else the env.

    With nothing set anywhere the answer is ``emulated``: a laptop or CI never touches real pins by
    accident, and a board sets ``IMIGRASI_BACKEND=pi`` (or ``backend = "pi"`` in its config).
    """
    if backend is not None:
        return check_backend(backend)
    if _process_default is not None:
        return _process_default
    return check_backend(os.environ.get(ENV_VAR, "emulated") or "emulated")


_emulated_override: Clock | None = None


def emulated_clock() -> ManualClock:
    """The emulated backend's clock: it moves only when a test or the emulator advances it."""
    global _emulated_clock
    with _lock:
        if _emulated_clock is None:
            _emulated_clock = ManualClock()
        return _emulated_clock


def use_emulated_clock(clock: Clock | None) -> None:
    """Run the emulated backend on ``clock`` instead of the hand-advanced one (``None`` goes back).

    The site emulator runs whole gates faster than life on a ``core.clock.ScaledClock``.
    """
    global _emulated_override
    with _lock:
        _emulated_override = clock


def backend_clock(backend: str | None = None) -> Clock:
    """The clock of a backend: the shared ``ManualClock`` when emulated (unless ``use_emulated_clock``
    chose another), the system clock on ``pi``."""
    if resolve_backend(backend) != "emulated":
        return _system_clock
    with _lock:
        override = _emulated_override
    return override if override is not None else emulated_clock()


def pin_factory(backend: str | None = None) -> Any:
    """The gpiozero pin factory of a backend: one shared ``MockFactory`` or the board's real one.

    On ``pi`` gpiozero picks lgpio, then RPi.GPIO (its own order; ``GPIOZERO_PIN_FACTORY`` overrides).
    """
    name = resolve_backend(backend)
    with _lock:
        if name not in _factories:
            if name == "emulated":
                from gpiozero.pins.mock import MockFactory

                _factories[name] = MockFactory()
            else:
                _factories[name] = _real_pin_factory()
        return _factories[name]


def _real_pin_factory() -> Any:
    errors = []
    for module, cls in (("gpiozero.pins.lgpio", "LGPIOFactory"), ("gpiozero.pins.rpigpio", "RPiGPIOFactory")):
        try:
            return getattr(importlib.import_module(module), cls)()
        except Exception as exc:  # each factory fails differently off a board (ImportError, OSError, ...)
            errors.append(f"{cls}: {exc}")
    raise BackendError(
        "the 'pi' backend needs lgpio or RPi.GPIO on a Raspberry-class board ("
        + "; ".join(errors)
        + "); use backend='emulated' elsewhere"
    )


def reset_emulated() -> None:
    """Forget the emulated clock and release every mock pin: tests call this between cases."""
    global _emulated_clock
    with _lock:
        _emulated_clock = None
        factory = _factories.get("emulated")
        if factory is not None:
            factory.reset()
