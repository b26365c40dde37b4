"""The MQTT ingest: validate with the wire contract, store in batches, then ack the devices.

    paho network thread ──on_message──► queue ──► batch writer thread ──► one transaction
                                                         │                     │
                                                         └── quarantine        └──► ack to each device
                                                                                    (only after commit)

The network thread only enqueues (it must keep reading the socket); the writer takes what has arrived,
up to ``batch_size`` messages or ``max_delay`` seconds, decodes each with ``core.wire`` (a message that
does not decode goes to the quarantine table with the reason and never stops the batch), stores the
events idempotently by event id, applies status reports and command answers, commits, and only then
publishes the acks: the edge outbox deletes an event only when we have it on disk.

Several instances can share the load: they subscribe through one MQTT 5 shared subscription
(``$share/GROUP/...``), the broker hands each message to one of them, and the store's ``ON CONFLICT DO
NOTHING`` makes a re-delivery to another instance harmless.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from central import translate
from central.alerts import public_alert
from central.devices import tile
from central.errors import CentralError
from central.service import Central
from central.store import EventRecord, Row, utc
from central.translate import CommandAnswer, Translated

log = logging.getLogger("central.ingest")
SESSION_EXPIRY = 3600  # seconds the broker keeps our subscription and queued messages while we restart


class IngestError(CentralError, RuntimeError):
    """The ingest could not connect or subscribe; the message says to what."""


@dataclass
class Inbound:
    topic: str
    payload: bytes
    received: float  # time.monotonic() when it arrived


@dataclass
class IngestStats:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    batches: int = 0
    acks_sent: int = 0
    commit_latencies: list[float] = field(default_factory=list)  # arrival to commit, seconds (bounded)


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parsed = urlparse(url)
        if parsed.scheme not in ("mqtt", "mqtts") or not parsed.hostname:
            raise IngestError(f"broker URL {url!r} must look like mqtt://HOST:PORT or mqtts://HOST:PORT")
        tls = parsed.scheme == "mqtts"
        return cls(parsed.hostname, parsed.port or (8883 if tls else 1883), tls)


class Ingest:
    """One consumer instance. ``start()`` connects and returns; ``stop()`` drains and disconnects."""

    def __init__(
        self,
        central: Central,
        broker_url: str,
        *,
        client_id: str | None = None,
        username: str | None = None,
        password: str | None = None,
        shared_group: str | None = "central",
        batch_size: int = 1000,
        max_delay: float = 0.05,
        ca_file: str | None = None,
        keep_latencies: int = 0,
    ) -> None:
        self.central = central
        self.address = BrokerAddress.parse(broker_url)
        self.shared_group = shared_group
        self.batch_size = batch_size
        self.max_delay = max_delay
        self.keep_latencies = keep_latencies
        self.stats = IngestStats()
        self._queue: queue.Queue[Inbound] = queue.Queue()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._writer: threading.Thread | None = None
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"central-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        if username:
            self.client.username_pw_set(username, password)
        if self.address.tls:
            self.client.tls_set(ca_certs=ca_file)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    # -- lifecycle ------------------------------------------------------------------------------------

    @property
    def is_connected(self) -> bool:
        return self._connected.is_set()

    def start(self, timeout: float = 10.0) -> Ingest:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = SESSION_EXPIRY
        try:
            self.client.connect(
                self.address.host, self.address.port, keepalive=30, clean_start=False, properties=props
            )
        except OSError as exc:
            raise IngestError(
                f"cannot reach the broker at {self.address.host}:{self.address.port} ({exc}); "
                "is Mosquitto running?"
            ) from exc
        self.client.loop_start()
        self._writer = threading.Thread(target=self._write_loop, name="central-batch-writer", daemon=True)
        self._writer.start()
        if not self._connected.wait(timeout):
            self.stop()
            raise IngestError(
                f"the broker at {self.address.host}:{self.address.port} did not accept us in {timeout} s"
            )
        self.central.attach_sender(self)
        return self

    def stop(self, drain_timeout: float = 10.0) -> None:
        """Stop taking messages, store what has arrived, and disconnect."""
        self.client.unsubscribe(self._filters())
        deadline = time.monotonic() + drain_timeout
        while not self._queue.empty() and time.monotonic() < deadline:
            time.sleep(0.01)
        self._stop.set()
        if self._writer is not None:
            self._writer.join(drain_timeout)
        self.client.disconnect()
        self.client.loop_stop()

    def pending(self) -> int:
        return self._queue.qsize()

    # -- paho callbacks (network thread: keep them light) ---------------------------------------------

    def _filters(self) -> list[str]:
        filters = translate.subscriptions()
        if self.shared_group:
            return [f"$share/{self.shared_group}/{f}" for f in filters]
        return filters

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.error("broker refused the connection", extra={"reason": str(reason)})
            return
        client.subscribe([(f, 1) for f in self._filters()])
        self._connected.set()
        log.info("connected to the broker", extra={"host": self.address.host, "port": self.address.port})

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        self._connected.clear()
        if not self._stop.is_set():
            log.warning("lost the broker; paho reconnects", extra={"reason": str(reason)})

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._queue.put(Inbound(message.topic, bytes(message.payload), time.monotonic()))

    # -- the batch writer -----------------------------------------------------------------------------

    def _write_loop(self) -> None:
        while not (self._stop.is_set() and self._queue.empty()):
            try:
                first = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            batch = [first]
            deadline = time.monotonic() + self.max_delay
            while len(batch) < self.batch_size:
                remaining = deadline - time.monotonic()
                try:
                    batch.append(
                        self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
                    )
                except queue.Empty:
                    break
            try:
                self.process(batch)
            except Exception:  # keep ingesting: the devices re-send whatever was not acked
                log.exception(
                    "a batch failed; its messages were not acked and will be re-sent",
                    extra={"size": len(batch)},
                )
                time.sleep(0.5)

    def process(self, batch: list[Inbound]) -> None:
        """Decode, store in one transaction, apply statuses and answers, then ack. Public for tests."""
        central = self.central
        now = central.clock.now()
        events: list[EventRecord] = []
        statuses = []
        answers: list[CommandAnswer] = []
        arrivals: dict[str, float] = {}
        for item in batch:
            self.stats.received += 1
            try:
                translated: Translated = translate.translate(item.topic, item.payload)
            except translate.Rejected as exc:
                central.store.quarantine(item.topic, item.payload, str(exc), received_at=now)
                central.metrics.quarantined.inc()
                self.stats.quarantined += 1
                log.warning("quarantined a message", extra={"topic": item.topic, "reason": str(exc)})
                continue
            if translated.event is not None:
                events.append(translated.event)
                arrivals.setdefault(translated.event.event_id, item.received)
            if translated.status is not None:
                statuses.append(translated.status)
            if translated.answer is not None:
                answers.append(translated.answer)
        new_ids = set(central.store.store_events(events, received_at=now))
        committed = time.monotonic()
        for status in statuses:
            if central.store.update_device_status(status):
                central.bus.publish("device", tile(central.store.device(status.device_id)))
        for answer in answers:
            central.commands.answered(answer.command_id, accepted=answer.accepted, detail=answer.detail)
        self.stats.batches += 1
        central.metrics.batches.inc()
        self._ack(events)
        duplicates = len({e.event_id for e in events}) - len(new_ids)
        self.stats.stored += len(new_ids)
        self.stats.duplicates += duplicates
        central.metrics.events_stored.inc(len(new_ids))
        central.metrics.events_duplicate.inc(duplicates)
        seen: set[str] = set()
        for event in events:
            if event.event_id not in new_ids or event.event_id in seen:
                continue
            seen.add(event.event_id)
            central.metrics.lag.observe(max(0.0, (now - utc(event.occurred_at)).total_seconds()))
            if self.keep_latencies and len(self.stats.commit_latencies) < self.keep_latencies:
                self.stats.commit_latencies.append(committed - arrivals[event.event_id])
            self._announce(event)

    def _ack(self, events: list[EventRecord]) -> None:
        by_device: dict[str, list[str]] = defaultdict(list)
        for event in events:
            if event.event_id not in by_device[event.device_id]:
                by_device[event.device_id].append(event.event_id)
        for device_id, ids in by_device.items():
            for topic, payload in translate.acks(device_id, ids):
                self.client.publish(topic, payload, qos=1)
                self.stats.acks_sent += 1

    def _announce(self, event: EventRecord) -> None:
        bus = self.central.bus
        if bus.subscribers == 0:
            return
        bus.publish(
            "event",
            {
                "event_id": event.event_id,
                "device_id": event.device_id,
                "type": event.type,
                "occurred_at": utc(event.occurred_at).isoformat(),
                "summary": translate.summary(event),
            },
        )
        if event.alert is not None:
            alert = self.central.store.alert_by_event(event.event_id)
            if alert is not None:
                bus.publish("alert", public_alert(alert))

    # -- commands to devices (CommandSender) ----------------------------------------------------------

    def send_command(self, command: Row) -> None:
        topic, payload = translate.command(command)
        info = self.client.publish(topic, payload, qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise RuntimeError(f"the broker did not take the command ({mqtt.error_string(info.rc)})")
