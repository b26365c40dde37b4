"""The ingest through a real Mosquitto: stored once, acked after commit, junk quarantined."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from central import devices
from central.ingest import Ingest
from central.service import Central
from central.store import Store
from core import wire
from core.clock import ManualClock
from core.wire import Channel
from emulator.broker import MosquittoBroker
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
