"""The cuttable loopback proxy (emulator.netcut) on its own: bytes flow, a cut is silent, restore
closes the stale connections and new ones go through."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from emulator.netcut import CuttableProxy


@pytest.fixture
def echo_port() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(4096):
                conn.sendall(data)

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def _connect(proxy: CuttableProxy) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    sock.settimeout(5)
    return sock


def _closed(sock: socket.socket) -> bool:
    # End of stream, or a reset when the proxy closed with the cut-time bytes still unread.
    try:
        return sock.recv(16) == b""
    except ConnectionResetError:
        return True


def test_bytes_flow_until_a_cut_which_is_silent_and_restore_lets_new_connections_through(
    echo_port: int,
) -> None:
    proxy = CuttableProxy(upstream_port=echo_port).start()
    try:
        first = _connect(proxy)
        first.sendall(b"hello")
        assert first.recv(16) == b"hello"

        proxy.cut()
        assert proxy.is_cut and proxy.cuts == 1
        first.sendall(b"lost?")
        first.settimeout(0.5)
        with pytest.raises(TimeoutError):  # no answer, no reset: a silent partition
            first.recv(16)
        during = _connect(proxy)  # accepted, never joined to the far end
        during.sendall(b"ping")
        during.settimeout(0.5)
        with pytest.raises(TimeoutError):
            during.recv(16)

        proxy.restore()
        for stale in (first, during):  # closed on restore: nothing from the cut arrives late
            stale.settimeout(5)
            assert _closed(stale)
        fresh = _connect(proxy)
        fresh.sendall(b"back")
        assert fresh.recv(16) == b"back"
        for sock in (first, during, fresh):
            sock.close()
    finally:
        proxy.stop()


def test_a_connection_while_the_far_end_is_down_is_refused_not_held() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    proxy = CuttableProxy(upstream_port=dead_port).start()
    try:
        sock = _connect(proxy)
        assert _closed(sock)
        sock.close()
    finally:
        proxy.stop()
