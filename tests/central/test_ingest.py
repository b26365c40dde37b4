"""The ingest through a real Mosquitto: stored once, acked after commit, junk quarantined."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from central import cli_pki, devices
from central.errors import CentralError
from central.ingest import Ingest, IngestWorkers, WorkerConfig
from central.live import LiveBus
from central.service import Central
from central.store import Store
from core import wire
from core.clock import ManualClock
from core.ports import free_port
from core.wire import Channel
from emulator.broker import BrokerConfig, Listener, MosquittoBroker, TlsFiles
from tests.central.peer_gate import PeerGate, wait_until


@pytest.fixture
def live_central(db_url: str) -> Iterator[Central]:
    store = Store(db_url)
    central = Central(store)
    devices.add_device(
        store, "gate-01", kind="gate", site="cgk", lane="1", direction="departure", now=central.clock.now()
    )
    yield central
    store.close()


@pytest.fixture
def ingest(live_central: Central, mosquitto: MosquittoBroker) -> Iterator[Ingest]:
    consumer = Ingest(live_central, mosquitto.url, max_delay=0.01).start()
    yield consumer
    consumer.stop()


@pytest.fixture
def gate(mosquitto: MosquittoBroker, ingest: Ingest) -> Iterator[PeerGate]:
    peer = PeerGate(mosquitto.host, mosquitto.port)
    yield peer
    peer.close()


def test_an_event_is_stored_then_acknowledged(live_central: Central, gate: PeerGate) -> None:
    event_id = gate.publish(gate.crossing())
    wait_until(lambda: event_id in gate.acked, what="the ack")
    assert live_central.store.event(event_id)["type"] == "crossing"
    assert live_central.store.crossings()[0]["outcome"] == "crossed"


def test_a_resent_event_is_stored_once_and_acknowledged_again(
    live_central: Central, gate: PeerGate, ingest: Ingest
) -> None:
    crossing = gate.crossing()
    gate.publish(crossing)
    wait_until(lambda: crossing.event_id in gate.acked, what="the first ack")
    gate.acked.clear()
    gate.publish(crossing)
    wait_until(lambda: crossing.event_id in gate.acked, what="the second ack")
    assert live_central.store.count("events") == 1
    assert ingest.stats.duplicates == 1


def test_junk_is_quarantined_and_ingestion_goes_on(live_central: Central, gate: PeerGate) -> None:
    gate.publish_raw(b"\x00 not msgpack at all")
    after = gate.publish(gate.crossing())
    wait_until(lambda: after in gate.acked, what="the event after the junk")
    (row,) = live_central.store.quarantined()
    assert row["payload"] == b"\x00 not msgpack at all"
    assert row["reason"]


def test_a_readable_but_invalid_event_is_acked_as_quarantined(live_central: Central, gate: PeerGate) -> None:
    import msgpack

    event_id = wire.new_event_id()
    bad = msgpack.packb({"type": "crossing", "schema": 1, "event_id": event_id, "device_id": "gate-01"})
    gate.publish_raw(bad)
    wait_until(lambda: event_id in gate.quarantined, what="the quarantine ack")
    assert live_central.store.count("events") == 0
    assert "crossing" in live_central.store.quarantined()[0]["reason"]


def test_a_device_cannot_speak_for_another(live_central: Central, gate: PeerGate) -> None:
    other = wire.CrossingRecord(
        device_id="gate-02",
        ts=gate.now(),
        session_id=wire.new_event_id(),
        site="cgk",
        direction=wire.Direction.ARRIVAL,
        outcome=wire.CrossingOutcome.CROSSED,
    )
    gate.publish_raw(wire.encode(other))
    wait_until(lambda: other.event_id in gate.quarantined, what="the impostor to be quarantined")
    assert live_central.store.count("events") == 0


def test_status_brings_a_device_online_and_its_last_will_takes_it_offline(
    live_central: Central, mosquitto: MosquittoBroker, ingest: Ingest
) -> None:
    peer = PeerGate(mosquitto.host, mosquitto.port)
    peer.status(lane_state="awaiting_document")
    wait_until(lambda: live_central.store.device("gate-01")["online"], what="online")
    assert live_central.store.device("gate-01")["doors"] == {"entry": "closed", "exit": "closed"}
    peer.drop_connection()
    wait_until(lambda: not live_central.store.device("gate-01")["online"], what="the last will")


def test_a_cekal_alarm_opens_an_alert_with_the_face(live_central: Central, gate: PeerGate) -> None:
    alarm = gate.cekal_alarm()
    gate.publish(alarm)
    wait_until(lambda: alarm.event_id in gate.acked, what="the alarm ack")
    (alert,) = live_central.store.alerts(status="open")
    assert (alert["kind"], alert["priority"], alert["face_jpeg"]) == (
        "cekal_identik",
        "high",
        b"\xff\xd8 face",
    )
    assert alert["details"]["entry_id"] == "PCG-2026-0042"


def test_clearing_an_alarm_closes_its_alert(live_central: Central, gate: PeerGate) -> None:
    alarm = gate.cekal_alarm()
    gate.publish(alarm)
    cleared = wire.Alarm(
        device_id="gate-01",
        ts=gate.now(),
        alarm_id=alarm.alarm_id,
        kind=alarm.kind,
        severity=alarm.severity,
        cleared=True,
    )
    gate.publish(cleared)
    wait_until(lambda: cleared.event_id in gate.acked, what="the clearing ack")
    assert live_central.store.alert_by_event(alarm.event_id)["status"] == "closed"  # type: ignore[index]


def test_a_command_reaches_the_gate_and_its_answer_is_recorded(live_central: Central, gate: PeerGate) -> None:
    alarm = gate.cekal_alarm()
    gate.publish(alarm)
    wait_until(lambda: alarm.event_id in gate.acked, what="the alarm")
    alert = live_central.store.alert_by_event(alarm.event_id)
    assert alert is not None
    command = live_central.commands.issue(
        "gate-01", "release_passenger", by="sari", alert_id=alert["alert_id"]
    )
    wait_until(
        lambda: live_central.store.command(command["command_id"])["state"] == "acknowledged",
        what="the command ack",
    )
    (received,) = gate.commands
    assert (received.name, received.in_reply_to, received.issued_by) == (
        wire.CommandName.RELEASE_PASSENGER,
        alarm.event_id,
        "sari",
    )
    wait_until(
        lambda: live_central.store.device("gate-01")["doors"].get("entry") == "opened", what="the door event"
    )


def test_an_enrolment_event_becomes_the_record_gates_fetch(live_central: Central, gate: PeerGate) -> None:
    record = wire.EnrolmentRecord(
        device_id="gate-01",
        ts=gate.now(),
        document_number="B7654321",
        issuing_state="IDN",
        face_template=b"\x01\x02",
        face_model_id="sface-2021dec-int8",
    )
    gate.publish(record)
    wait_until(lambda: record.event_id in gate.acked, what="the enrolment ack")
    assert live_central.store.enrolment("IDN", "B7654321")["face_model_id"] == "sface-2021dec-int8"


def test_two_instances_on_one_shared_subscription_store_every_event_once(
    live_central: Central, mosquitto: MosquittoBroker
) -> None:
    second = Central(Store(live_central.store.url, create=False))
    first_ingest = Ingest(live_central, mosquitto.url, client_id="central-a", max_delay=0.01).start()
    second_ingest = Ingest(second, mosquitto.url, client_id="central-b", max_delay=0.01).start()
    peer = PeerGate(mosquitto.host, mosquitto.port)
    try:
        sent = [peer.publish(peer.crossing()) for _ in range(200)]
        wait_until(lambda: set(sent) <= peer.acked, timeout=30, what="every ack")
        assert live_central.store.count("events") == 200
        assert first_ingest.stats.stored + second_ingest.stats.stored == 200
        assert first_ingest.stats.stored > 0 and second_ingest.stats.stored > 0
    finally:
        peer.close()
        first_ingest.stop()
        second_ingest.stop()
        second.store.close()


class RecordingBus(LiveBus):
    """A live bus with one pretend dashboard watching: it keeps what is published."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self._seen_lock = threading.Lock()

    @property
    def subscribers(self) -> int:
        return 1

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        with self._seen_lock:
            self.seen.append((kind, data))

    def event_ids(self) -> list[str]:
        with self._seen_lock:
            return [data["event_id"] for kind, data in self.seen if kind == "event"]


def test_ingest_workers_share_the_stream_store_each_event_once_and_feed_the_dashboard(
    db_url: str, mosquitto: MosquittoBroker
) -> None:
    """``serve --ingest-workers 2``: serve's own ingest and one worker process on the shared
    subscription. Every event is stored once and acked, both take part, and the worker's events reach
    the serve process's live bus (the dashboards) exactly once too."""
    store = Store(db_url)
    bus = RecordingBus()
    central = Central(store, bus=bus)
    devices.add_device(store, "gate-01", kind="gate", site="cgk", now=central.clock.now())
    own = Ingest(central, mosquitto.url, client_id="central-main", max_delay=0.01).start()
    config = WorkerConfig(db_url=db_url, broker_url=mosquitto.url, client_id="central-main-1", max_delay=0.01)
    workers = IngestWorkers(central, [config]).start()
    peer = PeerGate(mosquitto.host, mosquitto.port)
    try:
        sent = [peer.publish(peer.crossing()) for _ in range(300)]
        wait_until(lambda: set(sent) <= peer.acked, timeout=60, what="every ack")
        wait_until(lambda: len(bus.event_ids()) >= 300, timeout=30, what="every event on the live bus")
    finally:
        peer.close()
        results = workers.stop()
        own.stop()
    assert store.count("events") == 300
    assert len(results) == 1 and "error" not in results[0]
    worker_stored = results[0]["stored"]
    assert worker_stored > 0 and own.stats.stored > 0
    assert worker_stored + own.stats.stored == 300
    assert own.stats.duplicates == 0 and results[0]["duplicates"] == 0
    assert sorted(bus.event_ids()) == sorted(sent)
    # The worker's counts reach this process's metrics (the /metrics endpoint of serve).
    assert central.metrics.registry.get_sample_value("central_events_stored_total") == 300
    store.close()


def test_an_ingest_worker_that_cannot_connect_fails_its_start_with_the_reason(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    central = Central(store)
    config = WorkerConfig(db_url=sqlite_url, broker_url="mqtt://127.0.0.1:9", client_id="central-x-1")
    with pytest.raises(CentralError, match=r"central-x-1.*cannot reach the broker"):
        IngestWorkers(central, [config]).start(timeout=30)
    store.close()


def test_the_ingest_subscribes_through_the_shared_group(ingest: Ingest) -> None:
    assert all(f.startswith("$share/central/imigrasi/v1/") for f in ingest._filters())
    assert {f.rsplit("/", 1)[-1] for f in ingest._filters()} >= {"event", "status"}
    assert any(f.endswith(Channel.CMD_ACK.value) for f in ingest._filters())


def test_an_unanswered_command_is_sent_again_with_the_same_id(
    mosquitto: MosquittoBroker, sqlite_url: str
) -> None:
    clock = ManualClock()
    central = Central(Store(sqlite_url), clock=clock)
    devices.add_device(central.store, "gate-01", kind="gate", site="cgk", now=clock.now())
    consumer = Ingest(central, mosquitto.url, max_delay=0.01).start()
    silent = PeerGate(mosquitto.host, mosquitto.port, answer_commands=False)
    try:
        command = central.commands.issue("gate-01", "out_of_service", by="sari")
        wait_until(lambda: len(silent.commands) == 1, what="the first delivery")
        clock.advance(10)  # RESEND_AFTER: the 5 s look finds it too young, the 10 s look sends it
        wait_until(lambda: len(silent.commands) >= 2, what="the second delivery")
        assert {c.command_id for c in silent.commands} == {command["command_id"]}
        clock.advance(300)
        assert central.store.command(command["command_id"])["state"] == "failed"
    finally:
        silent.close()
        consumer.stop()
        central.store.close()


def test_serve_offers_ingest_workers_and_refuses_a_count_below_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from central import cli_serve

    with pytest.raises(SystemExit) as shown:
        cli_serve.main(["--help"])
    assert shown.value.code == 0
    assert "--ingest-workers N" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        cli_serve.main(["--ingest-workers", "0"])
    assert refused.value.code == 2
    assert "at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as unshared:
        cli_serve.main(["--ingest-workers", "2", "--shared-group", ""])
    assert unshared.value.code == 2
    assert "needs a --shared-group" in capsys.readouterr().err


def test_acks_of_committed_batches_wait_while_messages_queue_and_go_out_together(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the writer is behind, a batch's acks join the next batches' (one ``events_ack`` per
    device instead of one per device per batch); once it has caught up, or ``ACK_DELAY`` has passed,
    they go out. Events are committed before any ack is even queued."""
    from central import ingest as ingest_module
    from central.ingest import Inbound

    store = Store(sqlite_url)
    central = Central(store)
    devices.add_device(store, "gate-01", kind="gate", site="cgk", now=central.clock.now())
    consumer = Ingest(central, "mqtt://127.0.0.1:1883")  # not connected: publishes wait in paho's queue
    topic = wire.topic_for("cgk", "gate", "gate-01", Channel.EVENT)

    def crossing() -> bytes:
        return wire.encode(
            wire.CrossingRecord(
                device_id="gate-01",
                ts=central.clock.now(),
                session_id=wire.new_event_id(),
                site="cgk",
                direction=wire.Direction.DEPARTURE,
                outcome=wire.CrossingOutcome.CROSSED,
            )
        )

    def batch(n: int) -> list[Inbound]:
        return [Inbound(topic, crossing(), 0.0, mid=i + 1, qos=1) for i in range(n)]

    waiting = Inbound(topic, b"not yet processed", 0.0)
    consumer._inbox.append(waiting)  # the writer is behind: more has arrived
    consumer.process(batch(20))
    consumer.process(batch(30))
    assert store.count("events") == 50 and consumer.stats.acks_sent == 0
    consumer._inbox.clear()  # caught up
    consumer.process(batch(5))
    assert store.count("events") == 55 and consumer.stats.acks_sent == 1  # all 55 ids, one message
    monkeypatch.setattr(ingest_module, "ACK_DELAY", 0.0)
    consumer._inbox.append(waiting)
    consumer.process(batch(5))  # behind, but the oldest waiting ack is due
    assert consumer.stats.acks_sent == 2
    store.close()


def test_serve_with_two_ingest_workers_stores_every_event_once_and_stops_cleanly(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    """The real ``python -m central serve --ingest-workers 2``: a burst of crossings is stored once and
    acked, and SIGTERM ends serve and its worker."""
    db = f"sqlite:///{tmp_path / 'central.db'}"
    store = Store(db)
    now = datetime.now(UTC)
    store.add_user("admin", "not-a-real-hash", "administrator", now=now)
    devices.add_device(store, "gate-01", kind="gate", site="cgk", now=now)
    store.close()
    port = free_port()
    keys = tmp_path / "keys"
    keys.mkdir()
    serve = subprocess.Popen(
        [
            sys.executable, "-m", "central", "serve", "--db", db, "--broker", mosquitto.url,
            "--ingest-workers", "2", "--client-id", "central-e2e", "--port", str(port), "--no-retention",
            "--watchlist-key", str(keys / "watchlist.pem"), "--command-key", str(keys / "command.pem"),
            "--cctv-key", str(keys / "cctv.pem"), "--log-level", "WARNING",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    peer = None
    try:
        wait_until(lambda: _listening(port) or serve.poll() is not None, timeout=90, what="serve to listen")
        assert serve.poll() is None, serve.stdout.read() if serve.stdout else ""
        peer = PeerGate(mosquitto.host, mosquitto.port)
        sent = [peer.publish(peer.crossing()) for _ in range(200)]
        wait_until(lambda: set(sent) <= peer.acked, timeout=60, what="every ack")
    finally:
        if peer is not None:
            peer.close()
        serve.send_signal(signal.SIGTERM)
        output, _ = serve.communicate(timeout=60)
    assert serve.returncode == 0, output
    check = Store(db, create=False)
    assert check.count("events") == 200
    check.close()


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def test_the_ingest_reads_ahead_over_tls_too(tmp_path: Path, sqlite_url: str) -> None:
    """The read-ahead socket wraps the TLS socket as well (``pending`` counts both buffers): a burst
    through an ``mqtts://`` listener is stored and acked in full."""
    pki_dir = tmp_path / "pki"
    assert cli_pki.main(["init", "--dir", str(pki_dir)]) == 0
    tls = TlsFiles(
        pki_dir / "ca.crt", pki_dir / "broker.crt", pki_dir / "broker.key", require_certificate=False
    )
    tls_port = free_port()
    config = BrokerConfig(more_listeners=[Listener(tls, port=tls_port)])
    broker = MosquittoBroker(tmp_path / "broker", config).start()
    store = Store(sqlite_url)
    central = Central(store)
    devices.add_device(store, "gate-01", kind="gate", site="cgk", now=central.clock.now())
    consumer = Ingest(
        central, f"mqtts://127.0.0.1:{tls_port}", ca_file=str(pki_dir / "ca.crt"), max_delay=0.01
    ).start()
    peer = PeerGate(broker.host, broker.port)  # the gate on the plain listener of the same broker
    try:
        sent = [peer.publish(peer.crossing()) for _ in range(400)]
        wait_until(lambda: set(sent) <= peer.acked, timeout=60, what="every ack over TLS")
        assert store.count("events") == 400 and consumer.stats.stored == 400
    finally:
        peer.close()
        consumer.stop()
        broker.kill()
        store.close()
