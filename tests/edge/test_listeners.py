"""Flow listeners: facts reach the outbox as events; metrics count outcomes; systemd gets its datagram."""

from __future__ import annotations

import socket
from pathlib import Path

from prometheus_client import generate_latest

from core import wire
from core.clock import ManualClock
from edge import codec
from edge.listeners import Metrics, OutboxWriter
from edge.outbox import Outbox
from edge.publisher import EventPublisher
from edge.systemd import notify, watchdog_interval_s
from tests.edge.lane import Lane


class OfflineLink:
    is_connected = False

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> bool:
        return False

    def subscribe(self, topic: str, handler: object, *, qos: int = 1) -> None:
        return None


def test_a_crossing_is_stored_in_the_outbox_before_any_network(tmp_path: Path) -> None:
    lane = Lane()
    with Outbox(tmp_path / "o.db") as outbox:
        publisher = EventPublisher(
            outbox, OfflineLink(), ack_topic="a", decode_ack=codec.decode_ack, clock=ManualClock()
        )
        lane.flow.listeners.append(OutboxWriter(publisher, "gate-01", site="cgk"))
        lane.scan()
        lane.walk_in()
        lane.advance(3.0)
        entries = outbox.pending()
        assert {e.topic for e in entries} == {"imigrasi/v1/cgk/gate/gate-01/event"}
        messages = [wire.decode(e.payload) for e in entries]
        crossings = [m for m in messages if isinstance(m, wire.CrossingRecord)]
        assert [(c.outcome, c.device_id, c.site) for c in crossings] == [
            (wire.CrossingOutcome.CROSSED, "gate-01", "cgk")
        ]
        assert [e.event_id for e in entries] == [m.event_id for m in messages]


def test_metrics_count_passengers_by_outcome() -> None:
    lane = Lane()
    metrics = Metrics()
    lane.flow.listeners.append(metrics)
    lane.scan()
    lane.walk_in()
    lane.advance(3.0)
    text = generate_latest(metrics.registry).decode()
    assert 'gate_passengers_total{outcome="passed"} 1.0' in text
    assert 'gate_state{state="exiting"} 1.0' in text


def test_notify_sends_the_datagram_to_the_notify_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(path)
        assert notify("READY=1", env={"NOTIFY_SOCKET": path})
        assert server.recv(64) == b"READY=1"


def test_notify_outside_systemd_does_nothing() -> None:
    assert not notify("READY=1", env={})


def test_the_watchdog_is_fed_at_half_its_interval() -> None:
    assert watchdog_interval_s({"WATCHDOG_USEC": "20000000"}) == 10.0
    assert watchdog_interval_s({}) is None
