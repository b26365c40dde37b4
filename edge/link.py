"""The MQTT link to central: paho-mqtt 2.x hidden behind a few gate words.

``MqttLink`` speaks MQTT 5 with a persistent session (``clean_start=False`` and a session expiry), so
QoS 1 messages queued at the broker for this gate survive its reconnects; a retained last will marks
the gate offline when it vanishes; TLS files and credentials come from ``LinkConfig``; paho reconnects
with exponential backoff between ``reconnect_min_s`` and ``reconnect_max_s``. Publishing never blocks:
paho queues and its network thread sends.

Callbacks (``when_connected``, ``when_disconnected`` and subscription handlers) run on paho's network
thread; the gate runtime turns them into flow events and never does slow work in them.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from edge.errors import LinkError

MessageHandler = Callable[[str, bytes], None]


@dataclass(frozen=True)
class LinkConfig:
    """Where and how to reach the broker. ``url`` is ``mqtt://host:port`` or ``mqtts://host:port``."""

    url: str
    client_id: str
    username: str | None = None
    password: str | None = None
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    keepalive_s: int = 30
    session_expiry_s: int = 7 * 24 * 3600
    reconnect_min_s: float = 1.0
    reconnect_max_s: float = 60.0
    will_topic: str | None = None
    will_payload: bytes = b""

    def endpoint(self) -> tuple[str, int, bool]:
        """``(host, port, tls)`` parsed from ``url``; raises ``LinkError`` naming what is wrong."""
        parts = urlsplit(self.url)
        if parts.scheme not in ("mqtt", "mqtts"):
            raise LinkError(f"link url {self.url!r} must start with mqtt:// or mqtts://")
        if not parts.hostname:
            raise LinkError(f"link url {self.url!r} has no host; write mqtt://host:port")
        tls = parts.scheme == "mqtts"
        return parts.hostname, parts.port or (8883 if tls else 1883), tls


class MqttLink:
    """One MQTT 5 session to the broker; ``start()`` connects in the background and keeps reconnecting."""

    def __init__(self, config: LinkConfig) -> None:
        self.config = config
        self._host, self._port, tls = config.endpoint()
        self._lock = threading.RLock()
        self._subscriptions: dict[str, tuple[int, MessageHandler]] = {}
        self._connected = threading.Event()
        # Set once the broker has confirmed (SUBACK) every subscription sent on this connection: before
        # that, a QoS 1 message for us can reach a broker that has nobody to give it to, and it is gone.
        self._subscribed = threading.Event()
        self._suback_pending: set[int] = set()
        self.when_connected: Callable[[], None] | None = None
        self.when_disconnected: Callable[[], None] | None = None
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=config.client_id,
            protocol=mqtt.MQTTv5,
        )
        # Many QoS 1 messages may be in flight during an outbox replay; paho's default of 20 would
        # throttle it, and an unbounded queue is fine because the outbox is the real store.
        client.max_inflight_messages_set(100)
        client.max_queued_messages_set(0)
        client.reconnect_delay_set(
            min_delay=max(1, int(config.reconnect_min_s)), max_delay=int(config.reconnect_max_s)
        )
        if config.username is not None:
            client.username_pw_set(config.username, config.password)
        if tls:
            self._set_tls(client)
        if config.will_topic is not None:
            client.will_set(config.will_topic, config.will_payload, qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self._client = client
        self._started = False

    def _set_tls(self, client: mqtt.Client) -> None:
        for name in ("ca_file", "cert_file", "key_file"):
            value = getattr(self.config, name)
            if value is not None and not Path(value).is_file():
                raise LinkError(f"link {name} {value} does not exist; fix the path in the gate config")
        try:
            client.tls_set(
                ca_certs=str(self.config.ca_file) if self.config.ca_file else None,
                certfile=str(self.config.cert_file) if self.config.cert_file else None,
                keyfile=str(self.config.key_file) if self.config.key_file else None,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        except (ssl.SSLError, ValueError, OSError) as exc:
            raise LinkError(f"cannot load the link's TLS files: {exc}") from exc

    # -- life cycle -----------------------------------------------------------------------------------

    def start(self) -> MqttLink:
        """Connect in the background; returns at once, reconnects on its own until ``close()``."""
        with self._lock:
            if self._started:
                return self
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = self.config.session_expiry_s
            self._client.connect_async(
                self._host,
                self._port,
                keepalive=self.config.keepalive_s,
                clean_start=False,
                properties=props,
            )
            self._client.loop_start()
            self._started = True
        return self

    def close(self) -> None:
        """Disconnect cleanly (no last will) and stop the network thread; twice is harmless."""
        with self._lock:
            if not self._started:
                return
            self._started = False
        self._client.disconnect()
        self._client.loop_stop()
        self._connected.clear()
        self._subscribed.clear()

    def __enter__(self) -> MqttLink:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- gate words -----------------------------------------------------------------------------------

    @property
    def is_connected(self) -> bool:
        return self._connected.is_set()

    def wait_for_connection(self, timeout: float | None = None) -> bool:
        """Block until connected (for tests and start-up); the flow never calls this."""
        return self._connected.wait(timeout)

    def wait_for_subscriptions(self, timeout: float | None = None) -> bool:
        """Block until connected *and* every subscription is confirmed by the broker (SUBACK), so a
        message published from now on reaches us, or our session's queue while we are away. Tests and
        start-up only; the flow never calls this."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._connected.wait(timeout):
            return False
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        return self._subscribed.wait(remaining)

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> bool:
        """Hand one message to paho; ``False`` when not connected (the outbox replays it later)."""
        if not self._connected.is_set():
            return False
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        return bool(info.rc == mqtt.MQTT_ERR_SUCCESS)

    def publish_and_wait(
        self, topic: str, payload: bytes, *, retain: bool = False, timeout: float = 2.0
    ) -> bool:
        """Publish at QoS 1 and wait for the broker's PUBACK (a goodbye before ``close``); the flow never
        calls this."""
        if not self._connected.is_set():
            return False
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return False
        try:
            info.wait_for_publish(timeout)
        except (RuntimeError, ValueError):
            return False
        return info.is_published()

    def subscribe(self, topic: str, handler: MessageHandler, *, qos: int = 1) -> None:
        """Call ``handler(topic, payload)`` for every message on ``topic`` (wildcards allowed).

        Subscriptions are remembered and renewed at every connect.
        """
        with self._lock:
            self._subscriptions[topic] = (qos, handler)
            if self._connected.is_set():
                self._send_subscriptions(self._client, [(topic, qos)])

    # -- paho callbacks (network thread) --------------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            return
        with self._lock:
            self._suback_pending.clear()
            self._subscribed.clear()
            self._send_subscriptions(client, [(t, q) for t, (q, _h) in self._subscriptions.items()])
        self._connected.set()
        if self.when_connected is not None:
            self.when_connected()

    def _send_subscriptions(self, client: mqtt.Client, subs: list[tuple[str, int]]) -> None:
        """SUBSCRIBE ``subs`` (under ``_lock``); ``_subscribed`` is set again when all are confirmed."""
        for topic, qos in subs:
            rc, mid = client.subscribe(topic, qos=qos)
            if rc == mqtt.MQTT_ERR_SUCCESS and mid is not None:
                self._suback_pending.add(mid)
        if self._suback_pending:
            self._subscribed.clear()
        else:
            self._subscribed.set()

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, mid: int, reasons: Any, _props: Any) -> None:
        if any(r.is_failure for r in reasons):
            return  # refused (an ACL): the link stays "not subscribed"; wait_for_subscriptions says so
        with self._lock:
            self._suback_pending.discard(mid)
            if not self._suback_pending:
                self._subscribed.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _flags: Any, _reason: Any, _props: Any) -> None:
        was = self._connected.is_set()
        self._connected.clear()
        self._subscribed.clear()
        if was and self.when_disconnected is not None:
            self.when_disconnected()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            handlers = [
                h
                for pattern, (_q, h) in self._subscriptions.items()
                if mqtt.topic_matches_sub(pattern, message.topic)
            ]
        for handler in handlers:
            handler(message.topic, bytes(message.payload))
