"""A single-gate stand-in for central: receives gate events and acks each one it has "stored"."""

from __future__ import annotations

import threading
import time
from typing import Any

from edge import codec
from edge.link import LinkConfig, MqttLink


class CentralPeer:
    """Subscribes to ``gates/<device>/events/#`` and, when ``acking``, acks every event by id."""

    def __init__(self, url: str, device_id: str, *, acking: bool = True) -> None:
        self.device_id = device_id
        self.acking = acking
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.link = MqttLink(LinkConfig(url=url, client_id=f"central-peer-{device_id}", reconnect_max_s=2))
        self.link.subscribe(f"gates/{device_id}/events/#", self._on_event)

    def start(self) -> CentralPeer:
        self.link.start()
        assert self.link.wait_for_connection(10), "central peer could not connect"
        return self

    def close(self) -> None:
        self.link.close()

    def _on_event(self, _topic: str, payload: bytes) -> None:
        event = codec.decode_map(payload)
        with self._lock:
            self.received.append(event)
        if self.acking:
            self.link.publish(codec.ack_topic(self.device_id), codec.encode_ack([event["event_id"]]))

    def event_ids(self) -> set[str]:
        with self._lock:
            return {e["event_id"] for e in self.received}

    def ordered_ids(self) -> list[str]:
        with self._lock:
            return [e["event_id"] for e in self.received]

    def wait_for(self, ids: set[str], timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ids <= self.event_ids():
                return True
            time.sleep(0.05)
        return False


def wait_until(predicate: Any, timeout: float = 15.0) -> bool:
    """Poll a condition of real network I/O (a broker is another process; this is not flow logic)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
