"""A TCP proxy on loopback between one gate and the broker, which the site can cut and restore.

    proxy = CuttableProxy(upstream_port=broker_port).start()   # the gate connects to proxy.url
    proxy.cut()       # the gate's network is gone: nothing flows either way, nothing is refused
    proxy.restore()   # stale connections are closed; the gate's next connect goes through

A cut is a *silent* partition, like a pulled cable or a dead switch port: the connections stay open
but no byte is forwarded, and new connections are accepted but never joined to the broker. The gate
learns it only from its MQTT keep-alive (no PINGRESP within 1.5 x keep-alive), exactly as it would
in the field; the broker drops its side the same way. On restore every connection made before or
during the cut is closed, so nothing buffered during the cut is delivered late, and the gate's
reconnect (and its outbox replay) goes through a fresh connection.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from dataclasses import dataclass, field

from emulator.broker import free_port


@dataclass
class _Pair:
    client: socket.socket
    upstream: socket.socket | None
    generation: int


@dataclass
class CuttableProxy:
    upstream_port: int
    upstream_host: str = "127.0.0.1"
    port: int = 0
    cuts: int = 0
    _cut: bool = False
    _generation: int = 0
    _pairs: list[_Pair] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _listener: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def is_cut(self) -> bool:
        return self._cut

    def start(self) -> CuttableProxy:
        self.port = self.port or free_port()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        listener.setblocking(False)
        self._listener = listener
        self._thread = threading.Thread(target=self._loop, name=f"netcut-{self.port}", daemon=True)
        self._thread.start()
        return self

    def cut(self) -> None:
        with self._lock:
            self._cut = True
            self.cuts += 1

    def restore(self) -> None:
        with self._lock:
            self._cut = False
            self._generation += 1
            stale, self._pairs = self._pairs, []
        for pair in stale:
            _close(pair)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            _close(pair)
        if self._listener is not None:
            self._listener.close()

    # -- the forwarding loop (one thread, non-blocking sockets) --------------------------------------

    def _accept(self) -> None:
        assert self._listener is not None
        try:
            client, _ = self._listener.accept()
        except BlockingIOError:
            return
        client.setblocking(False)
        with self._lock:
            if self._cut:
                # Accepted, never joined: the gate's CONNECT goes unanswered until it gives up.
                self._pairs.append(_Pair(client, None, self._generation))
                return
        try:
            upstream = socket.create_connection((self.upstream_host, self.upstream_port), timeout=2.0)
        except OSError:
            client.close()  # the broker itself is down: refused, as a direct connection would be
            return
        upstream.setblocking(False)
        with self._lock:
            self._pairs.append(_Pair(client, upstream, self._generation))

    def _loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            selector = selectors.DefaultSelector()
            selector.register(self._listener, selectors.EVENT_READ, None)
            with self._lock:
                cut = self._cut
                pairs = list(self._pairs)
            if not cut:
                for pair in pairs:
                    if pair.upstream is None:
                        continue
                    try:
                        selector.register(pair.client, selectors.EVENT_READ, (pair, pair.upstream))
                        selector.register(pair.upstream, selectors.EVENT_READ, (pair, pair.client))
                    except (ValueError, OSError):
                        self._drop(pair)
            for key, _ in selector.select(timeout=0.05):
                if key.data is None:
                    self._accept()
                    continue
                pair, destination = key.data
                with self._lock:
                    if self._cut:
                        break  # the cut came while waiting: hold the bytes in the kernel buffers
                try:
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    if not data:
                        raise ConnectionResetError
                    destination.setblocking(True)
                    destination.sendall(data)
                    destination.setblocking(False)
                except OSError:
                    self._drop(pair)
            selector.close()

    def _drop(self, pair: _Pair) -> None:
        with self._lock:
            if pair in self._pairs:
                self._pairs.remove(pair)
        _close(pair)


def _close(pair: _Pair) -> None:
    for sock in (pair.client, pair.upstream):
        if sock is None:
            continue
        with contextlib.suppress(OSError):
            sock.close()
