"""The MQTT ingest: validate with the wire contract, store in batches, then ack the devices.

    paho network thread ──on_message──► queue ──► batch writer thread ──► one transaction
                                                         │                     │
                                                         └── quarantine        └──► ack to each device
                                                                                    (only after commit)

The network thread only enqueues (it must keep reading the socket); the writer takes what has arrived,
up to ``batch_size`` messages or ``max_delay`` seconds, decodes each with ``core.wire`` (a message that
does not decode goes to the quarantine table with the reason and never stops the batch), stores the
events idempotently by event id, applies status reports and command answers, commits, and only then
publishes the acks: the edge outbox deletes an event only when we have it on disk. (While more messages
wait, a device's acks of consecutive batches go out together, at most ``ACK_DELAY`` later.)

Several instances can share the load: they subscribe through one MQTT 5 shared subscription
(``$share/GROUP/...``), the broker hands each message to one of them, and the store's ``ON CONFLICT DO
NOTHING`` makes a re-delivery to another instance harmless. ``IngestWorkers`` runs such instances as
extra processes of one ``serve`` (``--ingest-workers N``).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import queue
import struct
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from central import translate
from central.alerts import public_alert
from central.cctv.desk import public_alarm
from central.devices import tile
from central.errors import CentralError
from central.live import LiveBus
from central.service import Central
from central.store import EventRecord, Row, Store, utc
from central.translate import Translated
from core.clock import Timer
from core.wire import Topic

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from central.cctv.desk import CctvDesk
    from central.workflows.engine import Workflows

log = logging.getLogger("central.ingest")
READ_AHEAD = 256 * 1024  # bytes read from the broker's socket at once
READ_BURST = 500  # packets the network thread reads from that buffer before it looks at its writes
PUBACK = 0x40  # MQTT PUBACK packet type (fixed header byte)
ACK_CHUNK = 500  # event ids per events_ack message (keeps each ack well under the payload cap)
# Seconds a committed event's ack may wait to share its device's ``events_ack`` with the next batches'
# events while messages keep coming (sent at once whenever the writer has caught up). At a steady few
# thousand events a second the batches are small and a site's hundred gates would otherwise get an
# ack each per batch: one MQTT publish (and its PUBACK) for every two events or so.
ACK_DELAY = 0.25
RESEND_INTERVAL = 5.0  # seconds between looks for unanswered commands
SESSION_EXPIRY = 3600  # seconds the broker keeps our subscription and queued messages while we restart


class IngestError(CentralError, RuntimeError):
    """The ingest could not connect or subscribe; the message says to what."""


@dataclass
class Inbound:
    topic: str
    payload: bytes
    received: float  # time.monotonic() when it arrived
    mid: int = 0
    qos: int = 0


@dataclass
class IngestStats:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    batches: int = 0
    acks_sent: int = 0
    # Device time stamp (``ts``) to commit, seconds, for the first ``keep_latencies`` new events: the
    # publish-to-commit latency when devices stamp events as they publish them (the benchmark does).
    commit_latencies: list[float] = field(default_factory=list)


class _ReadAhead:
    """The broker's socket with a read-ahead buffer (``paho`` reads through ``recv``, ``pending`` and
    ``fileno``, as it does an SSL or WebSocket socket).

    paho reads a packet in at least three ``recv`` calls (type byte, each length byte, the rest), and
    every call is a system call that gives up the GIL and waits to take it back from the batch writer:
    at thousands of messages a second that was the network thread's largest cost. One ``recv`` of up to
    ``READ_AHEAD`` bytes now serves hundreds of packets; ``pending()`` tells paho's loop that bytes are
    waiting here even when the socket itself has none (it then reads without waiting in ``select``).
    """

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._buffer = b""
        self._pos = 0

    def recv(self, size: int) -> bytes:
        if self._pos >= len(self._buffer):
            data: bytes = self._sock.recv(max(size, READ_AHEAD))  # BlockingIOError etc. go to paho
            if len(data) <= size:
                return data  # also b"": the broker closed the connection
            self._buffer, self._pos = data, 0
        start = self._pos
        self._pos = min(start + size, len(self._buffer))
        return self._buffer[start : self._pos]

    def buffered(self) -> int:
        return len(self._buffer) - self._pos

    def pending(self) -> int:
        inner = getattr(self._sock, "pending", None)  # an SSL socket's own decrypted bytes
        return self.buffered() + (inner() if inner is not None else 0)

    def send(self, data: bytes | bytearray) -> int:
        sent: int = self._sock.send(data)
        return sent

    def close(self) -> None:
        self._sock.close()

    def fileno(self) -> int:
        fileno: int = self._sock.fileno()
        return fileno

    def setblocking(self, flag: bool) -> None:
        self._sock.setblocking(flag)

    def __getattr__(self, name: str) -> Any:  # anything else paho or a callback asks of the socket
        return getattr(self._sock, name)


class _Client(mqtt.Client):
    """paho's client with a read-ahead socket and acknowledgements sent as one write per batch.

    Both lean on paho internals (``_create_socket``, ``_packet_read``, ``_loop_rc_handle``,
    ``_packet_queue``; tested on paho 2.1-2.2, which ``pyproject.toml`` pins (<2.3)); the ingest tests run
    every path through a real Mosquitto.
    """

    def _create_socket(self) -> Any:
        return _ReadAhead(super()._create_socket())

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        # paho reads a few packets per call and then waits in select() again: go on while the
        # read-ahead buffer holds whole packets' bytes, up to READ_BURST more packets, so that the
        # writes (PUBACKs, acks) still get out between bursts. As paho's own loop_read does: a
        # positive code is an error for _loop_rc_handle, MQTT_ERR_AGAIN means "no more for now".
        rc = super().loop_read(max_packets)
        for _ in range(READ_BURST):
            sock = self._sock
            if (
                rc != MQTTErrorCode.MQTT_ERR_SUCCESS
                or not isinstance(sock, _ReadAhead)
                or not sock.buffered()
            ):
                break
            rc = self._packet_read()
            if rc == MQTTErrorCode.MQTT_ERR_AGAIN:
                return MQTTErrorCode.MQTT_ERR_SUCCESS
            if rc > 0:
                return self._loop_rc_handle(rc)
        return rc

    def ack_many(self, mids: list[int]) -> None:
        """PUBACK for every QoS 1 message id in ``mids``, queued as one write (``ack`` per message
        costs a wake-up of the network thread and a ``send`` each)."""
        if not mids:
            return
        packet = b"".join([struct.pack("!BBH", PUBACK, 2, mid) for mid in mids])
        self._packet_queue(PUBACK, packet, 0, 0)


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
        cert_file: str | None = None,
        key_file: str | None = None,
        keep_latencies: int = 0,
        sends_commands: bool = True,
    ) -> None:
        self.central = central
        self.address = BrokerAddress.parse(broker_url)
        self.shared_group = shared_group
        self.batch_size = batch_size
        self.max_delay = max_delay
        self.keep_latencies = keep_latencies
        # The one instance of a ``serve`` that sends supervisor commands and re-sends unanswered ones;
        # its extra ingest workers (``IngestWorkers``) only consume.
        self.sends_commands = sends_commands
        self.client_id = client_id or f"central-{uuid.uuid4().hex[:8]}"
        self.stats = IngestStats()
        # Where kiosk applications and CCTV alarms go besides the events table (set by ``serve``).
        self.workflows: Workflows | None = None
        self.cctv: CctvDesk | None = None
        self.command_key: Ed25519PrivateKey | None = None  # signs supervisor commands (issue 12)
        # A deque and a wake-up flag instead of a queue.Queue: append/popleft need no lock of ours (they
        # are atomic), and the network thread signals only when the writer is idle, not per message.
        self._inbox: deque[Inbound] = deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._connected = threading.Event()
        # Set when the broker has confirmed our subscriptions (SUBACK): before that a device's message
        # can reach a broker that has nobody to give it to, and a QoS 1 message is then simply gone.
        self._subscribed = threading.Event()
        self._writer: threading.Thread | None = None
        # Committed, not yet acked: per device, (stored ids, quarantined ids); only the writer touches it.
        self._acks: dict[Topic, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
        self._acks_since = 0.0  # time.monotonic() of the oldest ack waiting in _acks
        self._resend_timer: Timer | None = None
        self.client = _Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5,
            # The broker's copy is released (PUBACK) only after the message is committed or quarantined:
            # a crash in between means the broker delivers it again, on top of the device's own re-send.
            manual_ack=True,
        )
        if username:
            self.client.username_pw_set(username, password)
        if self.address.tls:
            # The broker's CA, and central's own client certificate for a listener that requires one.
            self.client.tls_set(ca_certs=ca_file, certfile=cert_file, keyfile=key_file)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe

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
        deadline = time.monotonic() + timeout
        if not self._connected.wait(timeout):
            self.stop()
            raise IngestError(
                f"the broker at {self.address.host}:{self.address.port} did not accept us in {timeout} s"
            )
        if not self._subscribed.wait(max(0.0, deadline - time.monotonic())):
            self.stop()
            raise IngestError(
                f"the broker at {self.address.host}:{self.address.port} did not confirm our "
                f"subscriptions in {timeout} s"
            )
        if self.sends_commands:
            self.central.attach_sender(self)
            self._schedule_resend()
        return self

    def _schedule_resend(self) -> None:
        def tick() -> None:
            if self._stop.is_set():
                return
            try:
                self.central.commands.resend_pending()
            except Exception:  # a database hiccup must not end the retries
                log.exception("re-sending unanswered commands failed; trying again later")
            self._schedule_resend()

        self._resend_timer = self.central.clock.call_later(RESEND_INTERVAL, tick)

    def stop(self, drain_timeout: float = 10.0, *, leave_group: bool = False) -> None:
        """Store what has arrived and disconnect. The broker keeps our session (and queues for it) for
        ``SESSION_EXPIRY`` seconds, for a restart; ``leave_group=True`` unsubscribes first, for an
        instance that is removed for good (its share of the traffic then goes to the others)."""
        if leave_group:
            self.client.unsubscribe(self._filters())
        deadline = time.monotonic() + drain_timeout
        while self._inbox and time.monotonic() < deadline:
            time.sleep(0.01)
        self._stop.set()
        if self._resend_timer is not None:
            self._resend_timer.cancel()
        if self._writer is not None:
            self._writer.join(drain_timeout)
        self.client.disconnect()
        self.client.loop_stop()

    def pending(self) -> int:
        return len(self._inbox)

    # -- paho callbacks (network thread: keep them light) ---------------------------------------------

    def _filters(self) -> list[str]:
        return translate.subscriptions(self.shared_group)

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.error("broker refused the connection", extra={"reason": str(reason)})
            return
        self._subscribed.clear()
        client.subscribe([(f, 1) for f in self._filters()])
        self._connected.set()
        log.info("connected to the broker", extra={"host": self.address.host, "port": self.address.port})

    def _on_subscribe(self, _client: mqtt.Client, _u: Any, _mid: int, reasons: Any, _props: Any) -> None:
        refused = [str(r) for r in reasons if r.is_failure]
        if refused:
            log.error("broker refused a subscription", extra={"reasons": refused})
            return
        self._subscribed.set()

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        self._connected.clear()
        if not self._stop.is_set():
            log.warning("lost the broker; paho reconnects", extra={"reason": str(reason)})

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._inbox.append(
            Inbound(message.topic, bytes(message.payload), time.monotonic(), message.mid, message.qos)
        )
        if not self._wake.is_set():
            self._wake.set()

    # -- the batch writer -----------------------------------------------------------------------------

    def _write_loop(self) -> None:
        inbox = self._inbox
        while not (self._stop.is_set() and not inbox):
            if not inbox:
                self.flush_acks()  # caught up: nothing to share an ack with
                self._wake.clear()
                if not inbox:  # checked again after clearing: a message that came in between wakes us
                    self._wake.wait(0.1)
                continue
            # The first message is here: wait up to ``max_delay`` for a fuller batch.
            deadline = time.monotonic() + self.max_delay
            while len(inbox) < self.batch_size and not self._stop.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                time.sleep(min(remaining, 0.005))
            batch = [inbox.popleft() for _ in range(min(len(inbox), self.batch_size))]
            try:
                self.process(batch)
            except Exception:  # keep ingesting: the devices re-send whatever was not acked
                log.exception(
                    "a batch failed; its messages were not acked and will be re-sent",
                    extra={"size": len(batch)},
                )
                time.sleep(0.5)
        self.flush_acks()

    def process(self, batch: list[Inbound]) -> None:
        """Decode, store in one transaction, apply statuses and answers, then ack (or queue the acks for
        ``flush_acks`` while more messages wait). Public for tests."""
        central, store = self.central, self.central.store
        now = central.clock.now()
        events: list[EventRecord] = []
        translated: list[Translated] = []
        to_ack: dict[Topic, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
        for item in batch:
            self.stats.received += 1
            try:
                result = translate.translate(item.topic, item.payload, received_at=now)
            except translate.Rejected as exc:
                store.quarantine(item.topic, item.payload, str(exc), received_at=now)
                central.metrics.quarantined.inc()
                self.stats.quarantined += 1
                log.warning("quarantined a message", extra={"topic": item.topic[:256], "reason": str(exc)})
                if exc.origin is not None and exc.event_id is not None and exc.origin.device_id is not None:
                    to_ack[exc.origin][1].append(exc.event_id)
                continue
            translated.append(result)
            if result.event is not None:
                events.append(result.event)
                to_ack[result.origin][0].append(result.event.event_id)
        new_ids = set(store.store_events(events, received_at=now))
        committed_wall = time.time()
        for result in translated:
            self._apply(result, now)
        self.stats.batches += 1
        central.metrics.batches.inc()
        # Only now, with the events committed, may the devices' outboxes drop them (docs/protocol.md).
        if to_ack:
            if not self._acks:
                self._acks_since = time.monotonic()
            for origin, (stored_ids, quarantined_ids) in to_ack.items():
                pending = self._acks[origin]
                pending[0].extend(stored_ids)
                pending[1].extend(quarantined_ids)
        if not self._inbox or time.monotonic() - self._acks_since >= ACK_DELAY:
            self.flush_acks()
        self.client.ack_many([item.mid for item in batch if item.qos == 1])
        for item in batch:
            if item.qos == 2:  # the subscriptions ask for QoS 1, so the broker should send none
                self.client.ack(item.mid, item.qos)
        duplicates = len({e.event_id for e in events}) - len(new_ids)
        self.stats.stored += len(new_ids)
        self.stats.duplicates += duplicates
        central.metrics.events_stored.inc(len(new_ids))
        central.metrics.events_duplicate.inc(duplicates)
        announced: set[str] = set()
        live = central.bus.subscribers > 0  # asked once per batch, not per event (it takes a lock)
        observe, latencies = central.metrics.lag.observe, self.stats.commit_latencies
        for event in events:
            if event.event_id not in new_ids or event.event_id in announced:
                continue
            announced.add(event.event_id)
            occurred = utc(event.occurred_at)
            observe(max(0.0, (now - occurred).total_seconds()))
            if len(latencies) < self.keep_latencies:
                latencies.append(committed_wall - occurred.timestamp())
            if live:
                self._announce(event)

    def _apply(self, result: Translated, now: datetime) -> None:
        """What a message changes besides the events table: device state, commands, alerts, enrolments."""
        central, store = self.central, self.central.store
        updated = result.status is not None and store.update_device_status(result.status)
        if not updated and result.status is not None and result.origin.kind == "counter":
            updated = self._register_counter(result, now)
        if updated and result.status is not None and central.bus.subscribers:
            central.bus.publish("device", tile(store.device(result.status.device_id)))
        if result.answer is not None:
            central.commands.answered(
                result.answer.command_id, accepted=result.answer.accepted, detail=result.answer.detail
            )
        if result.cleared_alarm is not None:
            alert = store.close_alert_by_event(
                result.cleared_alarm, by=result.origin.device_id or "", now=now
            )
            if alert is not None:
                central.bus.publish("alert", public_alert(alert))
        if result.enrolment is not None:
            record = result.enrolment
            if record.get("issuing_state") and record.get("document_number"):
                store.put_enrolment(record["issuing_state"], record["document_number"], record, now=now)
        if result.application is not None:
            self._open_case(result.application)
        if result.cctv_alarm is not None and self.cctv is not None:
            # Stored once per event id: a re-sent alarm changes nothing and rings no second time.
            row, is_new = self.cctv.record_alarm(result.cctv_alarm)
            if is_new:
                central.bus.publish("cctv_alarm", public_alarm(row, self.cctv.timing(row)))

    def _register_counter(self, result: Translated, now: datetime) -> bool:
        """An officer's counter station that central does not know yet registers itself with its
        retained status (it can publish only with a broker account), so its tile joins the gates'."""
        status, origin, store = result.status, result.origin, self.central.store
        if status is None or origin.device_id is None or not status.online:
            return False
        try:
            store.add_device(origin.device_id, kind="counter", site=origin.site, now=now)
        except CentralError:  # another ingest instance registered it first
            pass
        else:
            store.audit("central", "device.register", now=now, target=origin.device_id, kind="counter")
        return store.update_device_status(status)

    def _open_case(self, opening: translate.CaseOpening) -> None:
        """A kiosk application opens its workflow case (SOP intake), once per application id."""
        if self.workflows is None:
            return
        try:
            self.workflows.open_case(
                opening.applicant,
                by=str(opening.data["kiosk"]),
                service_code=opening.service_code,
                data=opening.data,
                source_ref=opening.application_id,
            )
        except CentralError as exc:
            # Never retried (the same message fails the same way); the event itself is stored, so an
            # officer can still open the case by hand from it.
            log.warning(
                "a kiosk application opened no case",
                extra={"application_id": opening.application_id, "reason": str(exc)},
            )

    def flush_acks(self) -> None:
        """Send the acks of committed events that are still waiting (see ``ACK_DELAY``)."""
        if not self._acks:
            return
        pending, self._acks = self._acks, defaultdict(lambda: ([], []))
        self._ack(pending, self.central.clock.now())

    def _ack(self, to_ack: dict[Topic, tuple[list[str], list[str]]], now: datetime) -> None:
        for origin, (stored, quarantined) in to_ack.items():
            stored = list(dict.fromkeys(stored))
            quarantined = list(dict.fromkeys(quarantined))
            for start in range(0, max(len(stored), 1), ACK_CHUNK):
                chunk = stored[start : start + ACK_CHUNK]
                extra = quarantined if start == 0 else []
                if not chunk and not extra:
                    continue
                topic, payload = translate.acks(origin, chunk, extra, at=now)
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
        store = self.central.store
        device = store.device(command["device_id"])
        if not device["site"]:
            raise ValueError(f"device {device['device_id']} has no site, so it has no command topic")
        alert = store.alert(command["alert_id"]) if command["alert_id"] is not None else None
        in_reply_to = alert["event_id"] if alert is not None else None
        topic, payload = translate.command(command, device, in_reply_to=in_reply_to, key=self.command_key)
        info = self.client.publish(topic, payload, qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise RuntimeError(f"the broker did not take the command ({mqtt.error_string(info.rc)})")


# -- several ingest processes behind one ``serve`` (``--ingest-workers N``) --------------------------


class ForwardingBus(LiveBus):
    """A worker process's live bus: what its ingest announces (events, alerts, device tiles) goes to
    the ``serve`` process, whose dashboards are the subscribers; ``subscribers`` is their count there,
    so a worker builds announcements only when someone watches."""

    def __init__(self, outbox: Any, subscribers: Any) -> None:
        super().__init__()
        self._outbox = outbox
        self._count = subscribers

    @property
    def subscribers(self) -> int:
        return int(self._count.value)

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        self._outbox.put((kind, data))


@dataclass(frozen=True)
class WorkerConfig:
    """What a worker process needs to build its own ``Store``, ``Central`` and ``Ingest`` (picklable:
    workers are spawned, not forked, since the serve process already runs threads). ``setup`` is a
    module-level function called with the worker's ``Ingest`` and ``setup_arg`` before it connects (it
    attaches the workflow engine and the CCTV desk, as ``serve`` does for its own ingest)."""

    db_url: str
    broker_url: str
    client_id: str
    username: str | None = None
    password: str | None = None
    shared_group: str | None = "central"
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    batch_size: int = 1000
    max_delay: float = 0.05
    log_level: str = "INFO"
    setup: Callable[[Ingest, Any], None] | None = None
    setup_arg: Any = None


STATS_INTERVAL = 1.0  # seconds between a worker's counter updates to the serve process
_STATS = "__ingest_stats__"  # the relay's kind for counter deltas (never a live-bus kind)


def _worker_main(
    config: WorkerConfig, outbox: Any, subscribers: Any, ready: Any, stop: Any, done: Any
) -> None:
    """One extra ingest process: the same ``Ingest`` as serve's own on the same shared subscription,
    with its own database connection; it sends no commands. Reports its totals to ``done`` at the end."""
    from central import logs

    logs.configure(config.log_level)
    store = Store(config.db_url, create=False)
    central = Central(store, bus=ForwardingBus(outbox, subscribers))
    ingest = Ingest(
        central,
        config.broker_url,
        client_id=config.client_id,
        username=config.username,
        password=config.password,
        shared_group=config.shared_group,
        batch_size=config.batch_size,
        max_delay=config.max_delay,
        ca_file=config.ca_file,
        cert_file=config.cert_file,
        key_file=config.key_file,
        sends_commands=False,
    )
    try:
        if config.setup is not None:
            config.setup(ingest, config.setup_arg)
        ingest.start()
    except Exception as exc:
        done.put({"client_id": config.client_id, "error": str(exc)})
        store.close()
        return
    ready.set()
    parent = mp.parent_process()
    sent = (0, 0, 0, 0)
    while True:
        # A serve that died without stopping us (kill -9) leaves no one to relay to: stop as well.
        stopping = stop.wait(STATS_INTERVAL) or (parent is not None and not parent.is_alive())
        stats = ingest.stats
        if stopping:
            ingest.stop()
            stats = ingest.stats
        now = (stats.stored, stats.duplicates, stats.quarantined, stats.batches)
        if now != sent:
            outbox.put((_STATS, {"delta": [a - b for a, b in zip(now, sent, strict=True)]}))
            sent = now
        if stopping:
            break
    store.close()
    done.put(
        {
            "client_id": config.client_id,
            "received": ingest.stats.received,
            "stored": ingest.stats.stored,
            "duplicates": ingest.stats.duplicates,
            "quarantined": ingest.stats.quarantined,
        }
    )


class IngestWorkers:
    """Extra ingest processes for one ``serve``: on a multi-core host the ingest's Python work is bound
    to one core per process (the GIL), so ``serve --ingest-workers N`` runs its own ingest plus N - 1
    of these on the broker's shared subscription. The broker hands each message to one of them; the
    store's unique event id keeps a re-delivery to another one harmless. A relay thread here passes
    their live-bus messages to this process's bus (the dashboards) and adds their counts to this
    process's metrics."""

    def __init__(self, central: Central, configs: list[WorkerConfig]) -> None:
        self.central = central
        self.configs = configs
        context = mp.get_context("spawn")
        self._outbox: Any = context.Queue()
        self._done: Any = context.Queue()
        self._subscribers: Any = context.Value("i", 0)
        self._stop: Any = context.Event()
        self._readies = [context.Event() for _ in configs]
        self._processes = [
            context.Process(
                target=_worker_main,
                args=(config, self._outbox, self._subscribers, ready, self._stop, self._done),
                name=f"central-ingest-{config.client_id}",
                daemon=True,
            )
            for config, ready in zip(configs, self._readies, strict=True)
        ]
        self._relay: threading.Thread | None = None
        self._relaying = threading.Event()
        self.results: list[dict[str, Any]] = []

    def start(self, timeout: float = 60.0) -> IngestWorkers:
        for process in self._processes:
            process.start()
        self._relaying.set()
        self._relay = threading.Thread(target=self._relay_loop, name="central-ingest-relay", daemon=True)
        self._relay.start()
        deadline = time.monotonic() + timeout
        for config, ready, process in zip(self.configs, self._readies, self._processes, strict=True):
            while not ready.wait(0.1):
                failed = self._failure()
                if failed is not None or not process.is_alive() or time.monotonic() > deadline:
                    self.stop()
                    reason = failed or (
                        "it exited" if not process.is_alive() else f"not ready in {timeout} s"
                    )
                    raise IngestError(f"ingest worker {config.client_id} did not start: {reason}")
        return self

    def _failure(self) -> str | None:
        try:
            result = self._done.get_nowait()
        except queue.Empty:
            return None
        self.results.append(result)
        return str(result.get("error")) if "error" in result else None

    def alive(self) -> int:
        return sum(process.is_alive() for process in self._processes)

    def stop(self, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Stop every worker (each stores what it has and disconnects; the broker keeps its session)
        and return their totals."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        while len(self.results) < len(self._processes) and time.monotonic() < deadline:
            if not any(process.is_alive() for process in self._processes) and self._done.empty():
                break
            try:
                self.results.append(self._done.get(timeout=0.2))
            except queue.Empty:
                continue
        for process in self._processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.error("an ingest worker did not stop; terminating it", extra={"pid": process.pid})
                process.terminate()
        self._relaying.clear()
        if self._relay is not None:
            self._relay.join(5)
        self._drain_relay()
        return self.results

    def _relay_loop(self) -> None:
        while self._relaying.is_set():
            self._subscribers.value = self.central.bus.subscribers
            try:
                kind, data = self._outbox.get(timeout=0.5)
            except queue.Empty:
                continue
            except (EOFError, OSError):  # the queue went away at shutdown
                return
            self._relay_one(kind, data)

    def _drain_relay(self) -> None:
        while True:
            try:
                kind, data = self._outbox.get_nowait()
            except (queue.Empty, EOFError, OSError):
                return
            self._relay_one(kind, data)

    def _relay_one(self, kind: str, data: dict[str, Any]) -> None:
        metrics = self.central.metrics
        if kind == _STATS:
            stored, duplicates, quarantined, batches = data["delta"]
            metrics.events_stored.inc(stored)
            metrics.events_duplicate.inc(duplicates)
            metrics.quarantined.inc(quarantined)
            metrics.batches.inc(batches)
            return
        self.central.bus.publish(kind, data)
