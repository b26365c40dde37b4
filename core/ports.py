"""Picking a free loopback TCP port for a server we are about to start (tests, the emulator).

A port the kernel hands out for ``bind(0)`` comes from the ephemeral range, the same range it uses for
the source port of every outgoing connection. Between our pick and the server's own ``bind`` an
outgoing connection (a paho client, Chromium, a database driver) can take it, and the server then
fails to start. We pick below that range instead, where only a server binding on purpose lands.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

# Below Linux's default ephemeral range (32768-60999) and above the registered well-known services.
LOW, HIGH = 20000, 32767
_EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")


def _range() -> tuple[int, int]:
    try:
        first, _last = (int(v) for v in _EPHEMERAL.read_text().split())
    except (OSError, ValueError):
        return LOW, HIGH
    if first - 1 > LOW + 1000:
        return LOW, min(HIGH, first - 1)
    return LOW, HIGH


def free_port(host: str = "127.0.0.1", *, attempts: int = 200) -> int:
    """A TCP port that is free on ``host`` now and outside the kernel's ephemeral range."""
    low, high = _range()
    rng = random.SystemRandom()
    for _ in range(attempts):
        port = rng.randint(low, high)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # a crowded range: let the kernel pick
        sock.bind((host, 0))
        found: int = sock.getsockname()[1]
        return found
