"""The Mosquitto fixture is a real broker: messages cross it, and it survives restarts on the same port."""

from __future__ import annotations

import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from emulator.broker import BrokerConfig, MosquittoBroker, free_port


def connect(broker: MosquittoBroker, client_id: str, *, clean: bool = True) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    connected = threading.Event()
    client.on_connect = lambda *args: connected.set()
    client.connect(broker.host, broker.port, clean_start=clean)
    client.loop_start()
    assert connected.wait(5), "client did not connect"
    return client


def test_a_message_published_at_qos1_reaches_a_subscriber(mosquitto: MosquittoBroker) -> None:
    received: list[bytes] = []
    got = threading.Event()
    sub = connect(mosquitto, "sub")
    sub.on_message = lambda _c, _u, msg: (received.append(msg.payload), got.set())
    subscribed = threading.Event()
    sub.on_subscribe = lambda *args: subscribed.set()
    sub.subscribe("imigrasi/v1/test/#", qos=1)
    assert subscribed.wait(5)
    pub = connect(mosquitto, "pub")
    pub.publish("imigrasi/v1/test/x", b"hello", qos=1).wait_for_publish(5)
    assert got.wait(5)
    assert received == [b"hello"]
    for client in (sub, pub):
        client.loop_stop()
        client.disconnect()


def test_queued_qos1_messages_survive_a_broker_restart(mosquitto: MosquittoBroker) -> None:
    # A persistent session (clean_start=False, session expiry) keeps its subscription and its queue.
    props = mqtt.Properties(mqtt.PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="durable", protocol=mqtt.MQTTv5)
    subscribed = threading.Event()
    sub.on_subscribe = lambda *args: subscribed.set()
    sub.connect(mosquitto.host, mosquitto.port, clean_start=False, properties=props)
    sub.loop_start()
    sub.subscribe("q/#", qos=1)
    assert subscribed.wait(5)
    sub.loop_stop()
    sub.disconnect()

    pub = connect(mosquitto, "pub")
    pub.publish("q/1", b"kept", qos=1).wait_for_publish(5)
    pub.loop_stop()
    pub.disconnect()

    mosquitto.restart()

    got = threading.Event()
    received: list[bytes] = []
    sub2 = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="durable", protocol=mqtt.MQTTv5)
    sub2.on_message = lambda _c, _u, msg: (received.append(msg.payload), got.set())
    sub2.connect(mosquitto.host, mosquitto.port, clean_start=False, properties=props)
    sub2.loop_start()
    assert got.wait(10), "the queued message was lost across the restart"
    assert received == [b"kept"]
    sub2.loop_stop()
    sub2.disconnect()


def test_generated_config_names_every_requested_file(tmp_path: Path) -> None:
    config = BrokerConfig(port=free_port(), allow_anonymous=False, password_file=tmp_path / "pw")
    text = config.render(tmp_path)
    assert "allow_anonymous false" in text
    assert f"password_file {tmp_path / 'pw'}" in text
    assert f"listener {config.port} 127.0.0.1" in text


def test_a_broken_config_fails_with_the_brokers_own_words(tmp_path: Path) -> None:
    config = BrokerConfig(extra=["this_is_not_an_option 1"])
    broker = MosquittoBroker(tmp_path, config)
    with pytest.raises(Exception, match="mosquitto exited at start"):
        broker.start()
