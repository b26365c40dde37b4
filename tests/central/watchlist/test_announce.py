"""The retained announcement reaches a subscriber that connects after the change (a gate coming up)."""

from __future__ import annotations

import queue

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from paho.mqtt.enums import CallbackAPIVersion

from central.service import Central
from central.watchlist import MqttPublisher, WatchlistService
from core.wire import WatchlistAnnouncement, canonical_bytes, decode, site_topic_for
from emulator.broker import MosquittoBroker


def test_a_late_subscriber_gets_the_retained_signed_announcement(
    mosquitto: MosquittoBroker, central: Central, key: Ed25519PrivateKey
) -> None:
    central.store.add_device("gate-01", kind="gate", site="cgk", now=central.clock.now())
    publisher = MqttPublisher.connect(mosquitto.url)
    try:
        service = WatchlistService(central.store, central.clock, key, publisher=publisher)
        service.add({"entry_id": "c-1", "list": "pencegahan", "full_name": "BUDI SANTOSO"}, by="supervisor")
        service.change("c-1", {"sex": "M"}, by="supervisor")
    finally:
        publisher.close()
    received: queue.Queue[bytes] = queue.Queue()
    gate = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    gate.on_connect = lambda c, *_: c.subscribe(site_topic_for("cgk"), qos=1)
    gate.on_message = lambda _c, _u, m: received.put(bytes(m.payload))
    gate.connect(mosquitto.host, mosquitto.port)
    gate.loop_start()
    try:
        message = decode(received.get(timeout=10))
    finally:
        gate.disconnect()
        gate.loop_stop()
    assert isinstance(message, WatchlistAnnouncement)
    assert (message.site, message.version, message.snapshot_version) == ("cgk", 2, 1)
    key.public_key().verify(message.signature, canonical_bytes(message))
