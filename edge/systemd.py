"""systemd notification without a dependency: READY=1 at start, WATCHDOG=1 from the main loop.

The datagram protocol is tiny (sd_notify(3)): send ``KEY=VALUE`` lines to the AF_UNIX datagram socket
named by ``$NOTIFY_SOCKET`` (a leading ``@`` means the abstract namespace). Outside systemd the
variable is unset and every call is a harmless no-op.
"""

from __future__ import annotations

import os
import socket


def notify(state: str, *, env: dict[str, str] | None = None) -> bool:
    """Send ``state`` (e.g. ``"READY=1"``); returns whether a notification socket was there."""
    address = (env if env is not None else os.environ).get("NOTIFY_SOCKET")
    if not address:
        return False
    target = "\0" + address[1:] if address.startswith("@") else address
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(target)
        sock.sendall(state.encode())
    return True


def watchdog_interval_s(env: dict[str, str] | None = None) -> float | None:
    """Half the ``WATCHDOG_USEC`` systemd set, the usual feeding interval; ``None`` without a watchdog."""
    usec = (env if env is not None else os.environ).get("WATCHDOG_USEC")
    return int(usec) / 2e6 if usec and usec.isdigit() else None
