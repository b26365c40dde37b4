"""Devices get credentials the real Mosquitto accepts; the registry refuses bad ids and kinds."""

from __future__ import annotations

import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from central import devices
from central.devices import BrokerFiles
from central.errors import Invalid
from central.store import Store
from core.clock import ManualClock
from emulator.broker import BrokerConfig, MosquittoBroker


def connect_result(port: int, username: str, password: str) -> bool:
    done = threading.Event()
    accepted: list[bool] = []

    def on_connect(_c: mqtt.Client, _u: object, _f: object, reason: object, _p: object) -> None:
        accepted.append(not getattr(reason, "is_failure", True))
        done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(username, password)
    client.on_connect = on_connect
    client.connect("127.0.0.1", port)
    client.loop_start()
    done.wait(5)
    client.loop_stop()
    client.disconnect()
    return accepted == [True]


def test_mosquitto_accepts_the_password_central_wrote_and_refuses_another(tmp_path: Path) -> None:
    files = BrokerFiles(tmp_path / "passwd", tmp_path / "acl")
    devices.set_broker_password(files, "gate-01", "s3cret-from-central")
    broker = MosquittoBroker(
        tmp_path / "broker", BrokerConfig(allow_anonymous=False, password_file=files.password_file)
    ).start()
    try:
        assert connect_result(broker.port, "gate-01", "s3cret-from-central")
        assert not connect_result(broker.port, "gate-01", "a guess")
    finally:
        broker.kill()


def test_replacing_a_password_keeps_the_other_accounts(tmp_path: Path) -> None:
    files = BrokerFiles(tmp_path / "passwd", tmp_path / "acl")
    devices.set_broker_password(files, "gate-01", "one")
    devices.set_broker_password(files, "gate-02", "two")
    devices.set_broker_password(files, "gate-01", "three")
    users = [line.split(":")[0] for line in files.password_file.read_text().splitlines()]
    assert sorted(users) == ["gate-01", "gate-02"]


def test_the_password_file_is_private(tmp_path: Path) -> None:
    files = BrokerFiles(tmp_path / "passwd", tmp_path / "acl")
    devices.set_broker_password(files, "gate-01", "one")
    assert files.password_file.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("bad", ["Gate-01", "gate 01", "", "-gate", "gate/01", "g" * 70])
def test_a_device_id_outside_the_topic_safe_alphabet_is_refused(
    store: Store, clock: ManualClock, bad: str
) -> None:
    with pytest.raises(Invalid):
        devices.add_device(store, bad, kind="gate", now=clock.now())


def test_an_unknown_device_kind_is_refused(store: Store, clock: ManualClock) -> None:
    with pytest.raises(Invalid, match="kind"):
        devices.add_device(store, "gate-01", kind="toaster", now=clock.now())


def test_device_credentials_are_shown_once_and_stored_hashed(store: Store, clock: ManualClock) -> None:
    creds = devices.add_device(store, "gate-01", kind="gate", now=clock.now())
    with store.engine.connect() as conn:
        dump = "\n".join(str(row) for row in conn.exec_driver_sql("SELECT * FROM tokens"))
    assert creds.api_token not in dump
    assert store.token(creds.api_token) is not None


NOT_AUTHORISED = 135


def publish_denied(port: int, username: str, password: str, topic: str) -> bool:
    """Whether Mosquitto refuses ``username``'s QoS 1 publish on ``topic``: MQTT 5 PUBACK reason 135
    (not authorised); an accepted publish answers 0 or 16 (no matching subscribers)."""
    done = threading.Event()
    codes: list[int] = []

    def on_publish(_c: mqtt.Client, _u: object, _mid: int, reason: object, _p: object) -> None:
        codes.append(int(getattr(reason, "value", 0)))
        done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(username, password)
    client.on_publish = on_publish
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.publish(topic, b"x", qos=1)
    done.wait(5)
    client.loop_stop()
    client.disconnect()
    assert codes, "the broker never answered the publish"
    return codes == [NOT_AUTHORISED]


def test_the_generated_acl_lets_a_gate_publish_only_under_its_own_topics(
    store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    files = BrokerFiles(tmp_path / "passwd", tmp_path / "acl")
    one = devices.add_device(store, "gate-01", kind="gate", site="cgk", now=clock.now(), broker=files)
    devices.add_device(store, "gate-02", kind="gate", site="cgk", now=clock.now(), broker=files)
    broker = MosquittoBroker(
        tmp_path / "broker",
        BrokerConfig(allow_anonymous=False, password_file=files.password_file, acl_file=files.acl_file),
    ).start()
    try:
        own = "imigrasi/v1/cgk/gate/gate-01/event"
        other = "imigrasi/v1/cgk/gate/gate-02/event"
        assert not publish_denied(broker.port, "gate-01", one.mqtt_password, own)
        assert publish_denied(broker.port, "gate-01", one.mqtt_password, other)
    finally:
        broker.kill()


def test_a_device_without_a_site_cannot_get_broker_credentials(
    store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    files = BrokerFiles(tmp_path / "passwd", tmp_path / "acl")
    with pytest.raises(Invalid, match="site"):
        devices.add_device(store, "gate-01", kind="gate", now=clock.now(), broker=files)
