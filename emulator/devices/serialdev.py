"""Emulated serial devices, how hosts reach them (``emu://`` URLs, real pseudo-terminals), and a registry.

A ``SerialDevice`` is the device end of a serial line: ``receive()`` gets what the host wrote, ``send()``
delivers bytes to every connected host end. A host end is either an in-process pyserial port opened
with ``emu://KIND/NAME?options`` (see ``protocol_emu``) or a real tty from ``PtyLink`` — the driver
code is the same in both cases, it only sees a serial URL.
"""

from __future__ import annotations

import os
import select
import threading
import tty
from collections.abc import Callable, Mapping
from typing import ClassVar

Deliver = Callable[[bytes], None]


class SerialDevice:
    """Base of the emulated serial devices. Thread-safe; subclasses override ``receive``/``configure``."""

    kind: ClassVar[str] = "device"
    options: ClassVar[frozenset[str]] = frozenset()

    def __init__(self) -> None:
        self._hosts: list[Deliver] = []
        self._hosts_lock = threading.RLock()
        self.lock = threading.RLock()

    def connect(self, deliver: Deliver) -> Callable[[], None]:
        """Attach a host end; returns the function that detaches it."""
        with self._hosts_lock:
            self._hosts.append(deliver)

        def disconnect() -> None:
            with self._hosts_lock:
                if deliver in self._hosts:
                    self._hosts.remove(deliver)

        return disconnect

    @property
    def connected(self) -> bool:
        with self._hosts_lock:
            return bool(self._hosts)

    def send(self, data: bytes) -> None:
        """Device → host: the bytes reach every connected host end."""
        with self._hosts_lock:
            hosts = list(self._hosts)
        for deliver in hosts:
            deliver(data)

    def receive(self, data: bytes) -> None:
        """Host → device: override to answer. The base device ignores what it is sent."""

    def configure(self, options: Mapping[str, str]) -> None:
        """Apply ``emu://`` URL options; unknown ones are refused (pyserial handler convention)."""
        unknown = set(options) - self.options
        if unknown:
            allowed = ", ".join(sorted(self.options)) or "none"
            raise ValueError(
                f"unknown option(s) {', '.join(sorted(unknown))} for emu://{self.kind}; allowed: {allowed}"
            )


# -- registry: one device per (kind, name), created on first use ----------------------------------------
_FACTORIES: dict[str, Callable[[], SerialDevice]] = {}
_DEVICES: dict[tuple[str, str], SerialDevice] = {}
_REGISTRY_LOCK = threading.Lock()


def register_kind(kind: str, factory: Callable[[], SerialDevice]) -> None:
    with _REGISTRY_LOCK:
        _FACTORIES[kind] = factory


def device(kind: str, name: str = "default") -> SerialDevice:
    """The emulated device ``emu://KIND/NAME`` reaches; created with its defaults on first use."""
    with _REGISTRY_LOCK:
        key = (kind, name)
        if key not in _DEVICES:
            if kind not in _FACTORIES:
                raise ValueError(f"no emulated device kind {kind!r}; known: {', '.join(sorted(_FACTORIES))}")
            _DEVICES[key] = _FACTORIES[kind]()
        return _DEVICES[key]


def install(kind: str, name: str, instance: SerialDevice) -> SerialDevice:
    """Put a configured device at ``emu://KIND/NAME`` (replacing any there)."""
    with _REGISTRY_LOCK:
        _DEVICES[(kind, name)] = instance
    return instance


def forget_devices() -> None:
    """Drop every registered device instance (tests call this between cases)."""
    with _REGISTRY_LOCK:
        _DEVICES.clear()


class PtyLink:
    """Serve a ``SerialDevice`` on a real pseudo-terminal; ``path`` is the tty the driver opens."""

    def __init__(self, dev: SerialDevice, *, poll: float = 0.05) -> None:
        self.device = dev
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._poll = poll
        self._stop = threading.Event()
        self._disconnect = dev.connect(self._write)
        self._thread = threading.Thread(target=self._run, name=f"pty-{dev.kind}", daemon=True)
        self._thread.start()

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self._stop.is_set():
            written = os.write(self._master, view)
            view = view[written:]

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], self._poll)
            if not ready:
                continue
            try:
                data = os.read(self._master, 4096)
            except OSError:
                return
            if data:
                self.device.receive(data)

    def close(self) -> None:
        """Stop serving and close the terminal. Calling it twice is harmless."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._disconnect()
        self._thread.join(2)
        for fd in (self._master, self._slave):
            os.close(fd)

    def __enter__(self) -> PtyLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
