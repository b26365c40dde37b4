"""``MqttLink`` against a real Mosquitto: "subscribed" means the broker confirmed it (SUBACK)."""

from __future__ import annotations

import threading

from edge.link import LinkConfig, MqttLink
from emulator.broker import MosquittoBroker


def test_once_subscribed_a_message_published_at_once_arrives(mosquitto: MosquittoBroker) -> None:
    # Before the SUBACK, a QoS 1 message can reach a broker that has nobody to give it to (and that
    # session is what the broker keeps over a restart): wait_for_subscriptions is the point after which
    # nothing published is lost for this link.
    got = threading.Event()
    with MqttLink(LinkConfig(url=mosquitto.url, client_id="sub-1")) as receiver:
        receiver.subscribe("t/x", lambda _t, _p: got.set())
        assert receiver.wait_for_subscriptions(10)
        with MqttLink(LinkConfig(url=mosquitto.url, client_id="pub-1")) as sender:
            assert sender.wait_for_connection(10)
            assert sender.publish_and_wait("t/x", b"1")
        assert got.wait(5)
