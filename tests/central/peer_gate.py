"""A test peer: a fake gate that speaks the wire protocol over a real broker.

Not a gate controller (that is ``edge/``): it publishes what the test tells it to (status, events),
collects central's ``events_ack`` messages, and answers commands the way a gate would (a
``command_ack``, and for ``release_passenger`` a door event and a new status).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from core import wire
from core.wire import Channel


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    """Poll real I/O (broker, database) until ``condition`` holds; fail with ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class PeerGate:
    def __init__(
        self,
        host: str,
        port: int,
        device_id: str = "gate-01",
        *,
        site: str = "cgk",
        answer_commands: bool = True,
    ) -> None:
        self.device_id = device_id
        self.site = site
        self.answer_commands = answer_commands
        self.acked: set[str] = set()
        self.quarantined: set[str] = set()
        self.commands: list[wire.SupervisorCommand] = []
        self.in_service = True
        self._connected = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"peer-{device_id}", protocol=mqtt.MQTTv5
        )
        will = wire.offline_status(device_id, at=self.now())
        self.client.will_set(self.topic(Channel.STATUS), wire.encode(will), qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.max_inflight_messages_set(0)
        self.client.connect(host, port)
        self.client.loop_start()
        # Connected *and* subscribed (SUBACK): an ack sent before the broker knows our subscription is lost.
        wait_until(self._connected.is_set, what=f"{device_id} to connect and subscribe")

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def topic(self, channel: Channel) -> str:
        return wire.topic_for(self.site, "gate", self.device_id, channel)

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, _reason: Any, _p: Any) -> None:
        self._connected.clear()
        client.subscribe([(t, 1) for t in wire.device_subscriptions(self.site, "gate", self.device_id)])

    def _on_subscribe(self, _client: mqtt.Client, _u: Any, _mid: int, _reasons: Any, _p: Any) -> None:
        self._connected.set()

    def _on_message(self, _client: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        msg = wire.decode_from_topic(message.topic, message.payload)
        if isinstance(msg, wire.StoredEventsAck):
            self.acked.update(msg.event_ids)
            self.quarantined.update(msg.quarantined)
        elif isinstance(msg, wire.SupervisorCommand):
            self.commands.append(msg)
            if self.answer_commands:
                self._carry_out(msg)

    def _carry_out(self, command: wire.SupervisorCommand) -> None:
        ack = wire.CommandAck(
            device_id=self.device_id, ts=self.now(), command_id=command.command_id, accepted=True
        )
        self.publish(ack, wait=False)
        if command.name is wire.CommandName.RELEASE_PASSENGER:
            self.publish(
                wire.DoorEvent(
                    device_id=self.device_id,
                    ts=self.now(),
                    door=wire.Door.ENTRY,
                    state=wire.DoorState.OPENED,
                    reason="released_by_supervisor",
                ),
                wait=False,
            )
            self.status(
                passenger_inside=False, lane_state="released", entry_door=wire.DoorState.OPENED, wait=False
            )
        elif command.name in (wire.CommandName.OUT_OF_SERVICE, wire.CommandName.IN_SERVICE):
            self.in_service = command.name is wire.CommandName.IN_SERVICE
            self.status(wait=False)

    def publish(self, message: wire.Message, *, wait: bool = True) -> str:
        channel = type(message).CHANNEL
        info = self.client.publish(self.topic(channel), wire.encode(message), qos=1, retain=channel.retained)
        if wait:  # never inside a paho callback: the network loop that would finish it is this thread
            info.wait_for_publish(10)
        return message.event_id

    def publish_raw(self, payload: bytes, channel: Channel = Channel.EVENT) -> None:
        self.client.publish(self.topic(channel), payload, qos=1).wait_for_publish(10)

    def status(self, *, wait: bool = True, **fields: Any) -> str:
        values: dict[str, Any] = {
            "online": True,
            "in_service": self.in_service,
            "lane_state": "awaiting_document",
            "entry_door": wire.DoorState.CLOSED,
            "exit_door": wire.DoorState.CLOSED,
            "software_version": "test-peer",
        } | fields
        return self.publish(wire.DeviceStatus(device_id=self.device_id, ts=self.now(), **values), wait=wait)

    def crossing(self, **fields: Any) -> wire.CrossingRecord:
        values: dict[str, Any] = {
            "session_id": wire.new_event_id(),
            "site": self.site,
            "direction": wire.Direction.DEPARTURE,
            "outcome": wire.CrossingOutcome.CROSSED,
            "timings_ms": wire.StepTimings(scan=1800, entry_door=900, face=1200, exit_door=800),
        } | fields
        return wire.CrossingRecord(device_id=self.device_id, ts=self.now(), **values)

    def cekal_alarm(self, *, snapshot: bytes | None = b"\xff\xd8 face") -> wire.Alarm:
        event_id = wire.new_event_id()
        return wire.Alarm(
            event_id=event_id,
            alarm_id=event_id,
            device_id=self.device_id,
            ts=self.now(),
            kind=wire.AlarmKind.CEKAL_IDENTIK,
            severity=wire.Severity.CRITICAL,
            message="cekal identik: passenger held inside",
            watchlist_entry_id="PCG-2026-0042",
            instructions="Hold; hand over to the KPK liaison (SOP-003-A03 step 7)",
            match_score=0.97,
            snapshot_jpeg=snapshot,
            details={"holder_name": "BUDI SANTOSO", "list_name": "pencegahan", "document_number": "B1234567"},
        )

    def drop_connection(self) -> None:
        """Vanish without a DISCONNECT (a pulled cable): the broker publishes the last will."""
        sock = self.client.socket()
        self.client.loop_stop()
        if sock is not None:
            sock.close()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
