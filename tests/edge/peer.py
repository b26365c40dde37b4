"""A single-gate stand-in for central on the wire contract: receives the gate's events and, when
``acking``, answers each with a ``core.wire.StoredEventsAck`` on the gate's ``ack`` topic, as
``central.ingest`` does after its commit."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from core import wire
from edge import codec
from edge.link import LinkConfig, MqttLink


class CentralPeer:
    """Subscribes to the gate's ``event`` (and ``status``, ``cmd/ack``) topics."""

    def __init__(self, url: str, device_id: str, *, site: str = "cgk", acking: bool = True) -> None:
        self.device_id = device_id
        self.site = site
        self.acking = acking
        self.received: list[wire.Message] = []
        self.statuses: list[wire.DeviceStatus] = []
        self.command_acks: list[wire.CommandAck] = []
        self._lock = threading.Lock()
        self.link = MqttLink(LinkConfig(url=url, client_id=f"central-peer-{device_id}", reconnect_max_s=2))
        self.link.subscribe(codec.event_topic(site, device_id), self._on_event)
        self.link.subscribe(codec.status_topic(site, device_id), self._on_status)
        self.link.subscribe(codec.command_ack_topic(site, device_id), self._on_command_ack)

    def start(self) -> CentralPeer:
        self.link.start()
        # Connected *and* subscribed (SUBACK): the broker keeps our subscriptions in our persistent session
        # only once it has confirmed them; an event published before that has nobody to go to and is
        # dropped by the broker (it then arrives only with the gate's next periodic replay, out of order).
        assert self.link.wait_for_subscriptions(10), "central peer could not connect and subscribe"
        return self

    def close(self) -> None:
        self.link.close()

    def _on_event(self, topic: str, payload: bytes) -> None:
        event = wire.decode_from_topic(wire.parse_topic(topic), payload)
        with self._lock:
            self.received.append(event)
        if self.acking:
            ack = wire.StoredEventsAck(
                device_id="central", ts=datetime.now(UTC), target=self.device_id, event_ids=(event.event_id,)
            )
            self.link.publish(codec.ack_topic(self.site, self.device_id), wire.encode(ack))

    def _on_status(self, _topic: str, payload: bytes) -> None:
        status = wire.decode_as(wire.DeviceStatus, payload)
        with self._lock:
            self.statuses.append(status)

    def _on_command_ack(self, _topic: str, payload: bytes) -> None:
        ack = wire.decode_as(wire.CommandAck, payload)
        with self._lock:
            self.command_acks.append(ack)

    def send_command(self, name: wire.CommandName, *, in_reply_to: str | None = None) -> str:
        command = wire.SupervisorCommand(
            ts=datetime.now(UTC),
            device_id="central",
            target=self.device_id,
            name=name,
            in_reply_to=in_reply_to,
            issued_by="supervisor-1",
        )
        self.link.publish(codec.command_topic(self.site, self.device_id), wire.encode(command))
        return command.event_id

    def messages(self, kind: type[Any]) -> list[Any]:
        with self._lock:
            return [m for m in self.received if isinstance(m, kind)]

    def event_ids(self) -> set[str]:
        with self._lock:
            return {e.event_id for e in self.received}

    def ordered_ids(self) -> list[str]:
        with self._lock:
            return [e.event_id for e in self.received]

    def first_arrivals(self) -> list[str]:
        """Event ids in the order each first arrived: what central keeps, since it stores by event id
        and a repeat (a duplicate in transport) changes nothing."""
        with self._lock:
            return list(dict.fromkeys(e.event_id for e in self.received))

    def wait_for(self, ids: set[str], timeout: float = 15.0) -> bool:
        return wait_until(lambda: ids <= self.event_ids(), timeout)


def wait_until(predicate: Any, timeout: float = 15.0) -> bool:
    """Poll a condition of real network I/O (a broker is another process; this is not flow logic)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
