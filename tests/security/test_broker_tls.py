"""Issue 12: the broker over TLS with the site CA, per-device accounts and the generated ACL."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from central import cli_pki, devices, pki
from central.cli_serve import default_client_id
from central.devices import BrokerFiles
from central.ingest import Ingest, IngestError
from central.service import Central
from central.store import Store
from core.clock import ManualClock
from emulator.broker import BrokerConfig, MosquittoBroker, TlsFiles

CENTRAL_PASSWORD = "central's own long password"


@dataclass
class Site:
    broker: MosquittoBroker
    pki_dir: Path
    passwords: dict[str, str]


@pytest.fixture
def site(tmp_path: Path, sqlite_url: str) -> Iterator[Site]:
    store = Store(sqlite_url)
    clock = ManualClock()
    files = BrokerFiles(tmp_path / "passwd", tmp_path / "acl")
    passwords = {"central": CENTRAL_PASSWORD}
    for gate in ("gate-01", "gate-02"):
        creds = devices.add_device(store, gate, kind="gate", site="cgk", now=clock.now(), broker=files)
        passwords[gate] = creds.mqtt_password
    devices.set_central_password(files, CENTRAL_PASSWORD)
    store.close()
    pki_dir = tmp_path / "pki"
    assert cli_pki.main(["init", "--dir", str(pki_dir)]) == 0
    for gate in ("gate-01", "gate-02"):
        assert cli_pki.main(["issue", gate, "--dir", str(pki_dir)]) == 0
    tls = TlsFiles(
        pki_dir / "ca.crt", pki_dir / "broker.crt", pki_dir / "broker.key", require_certificate=True
    )
    config = BrokerConfig(
        allow_anonymous=False, password_file=files.password_file, acl_file=files.acl_file, tls=tls
    )
    broker = MosquittoBroker(tmp_path / "broker", config).start()
    yield Site(broker, pki_dir, passwords)
    broker.kill()


class Client:
    """A paho client over TLS with the site CA and the named client certificate."""

    def __init__(self, site: Site, cert: str, username: str | None, password: str | None) -> None:
        self.connected = threading.Event()
        self.answered = threading.Event()
        self.reason: int = -1
        self.received: list[tuple[str, bytes]] = []
        self.got = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.tls_set(
            ca_certs=str(site.pki_dir / "ca.crt"),
            certfile=str(site.pki_dir / f"{cert}.crt"),
            keyfile=str(site.pki_dir / f"{cert}.key"),
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", site.broker.port)
        self.client.loop_start()
        self.answered.wait(5)

    def _on_connect(self, _c: mqtt.Client, _u: object, _f: object, reason: object, _p: object) -> None:
        self.reason = int(getattr(reason, "value", -1))
        if self.reason == 0:
            self.connected.set()
        self.answered.set()

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        self.received.append((msg.topic, bytes(msg.payload)))
        self.got.set()

    def subscribe(self, topic: str) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *_a: done.set()
        self.client.subscribe(topic, qos=1)
        assert done.wait(5), "the broker never answered the subscribe"

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def test_a_device_with_its_certificate_and_password_connects(site: Site) -> None:
    gate = Client(site, "gate-01", "gate-01", site.passwords["gate-01"])
    try:
        assert gate.connected.is_set()
    finally:
        gate.close()


def test_an_anonymous_client_is_refused(site: Site) -> None:
    anonymous = Client(site, "gate-01", None, None)
    try:
        assert not anonymous.connected.is_set()
    finally:
        anonymous.close()


def test_a_wrong_password_is_refused(site: Site) -> None:
    intruder = Client(site, "gate-01", "gate-01", "not the password")
    try:
        assert not intruder.connected.is_set()
    finally:
        intruder.close()


def test_a_client_without_a_certificate_from_the_site_ca_cannot_connect(site: Site, tmp_path: Path) -> None:
    other = tmp_path / "other-ca"
    pki.init(other)
    pki.issue(other, "gate-01")
    stranger = Site(site.broker, other, site.passwords)
    with pytest.raises(ssl.SSLError):
        Client(stranger, "gate-01", "gate-01", site.passwords["gate-01"])


def test_gate_a_cannot_publish_as_gate_b(site: Site) -> None:
    central = Client(site, "central", "central", CENTRAL_PASSWORD)
    gate_a = Client(site, "gate-01", "gate-01", site.passwords["gate-01"])
    try:
        central.subscribe("imigrasi/v1/+/+/+/event")
        gate_a.publish("imigrasi/v1/cgk/gate/gate-02/event", b"forged")
        gate_a.publish("imigrasi/v1/cgk/gate/gate-01/event", b"own")  # a marker that does arrive
        assert central.got.wait(5)
        assert [topic for topic, _ in central.received] == ["imigrasi/v1/cgk/gate/gate-01/event"]
    finally:
        central.close()
        gate_a.close()


def test_gate_a_cannot_read_gate_bs_commands(site: Site) -> None:
    central = Client(site, "central", "central", CENTRAL_PASSWORD)
    gate_a = Client(site, "gate-01", "gate-01", site.passwords["gate-01"])
    try:
        gate_a.subscribe("imigrasi/v1/cgk/gate/gate-02/cmd")
        gate_a.subscribe("imigrasi/v1/cgk/gate/gate-01/cmd")
        central.publish("imigrasi/v1/cgk/gate/gate-02/cmd", b"for B")
        central.publish("imigrasi/v1/cgk/gate/gate-01/cmd", b"for A")
        assert gate_a.got.wait(5)
        assert gate_a.received == [("imigrasi/v1/cgk/gate/gate-01/cmd", b"for A")]
    finally:
        central.close()
        gate_a.close()


def test_pki_init_refuses_to_replace_an_existing_ca(site: Site) -> None:
    assert cli_pki.main(["init", "--dir", str(site.pki_dir)]) == 1


def test_pki_init_writes_a_tls_only_broker_config(site: Site) -> None:
    conf = (site.pki_dir / "mosquitto-tls.conf").read_text()
    assert "allow_anonymous false" in conf
    assert "require_certificate true" in conf
    assert (site.pki_dir / "ca.key").stat().st_mode & 0o077 == 0


def test_central_s_ingest_connects_with_its_own_client_certificate(site: Site, sqlite_url: str) -> None:
    """The same listener as the gates' (certificate required): central presents its own certificate
    (``pki init`` issues ``central.crt``)."""
    store = Store(sqlite_url)
    central = Central(store)
    options = {"username": "central", "password": CENTRAL_PASSWORD, "ca_file": str(site.pki_dir / "ca.crt")}
    try:
        with pytest.raises(IngestError):  # no certificate: the TLS handshake fails
            Ingest(central, site.broker.url, **options).start(timeout=5)
        ingest = Ingest(
            central,
            site.broker.url,
            client_id=default_client_id(),
            cert_file=str(site.pki_dir / "central.crt"),
            key_file=str(site.pki_dir / "central.key"),
            **options,
        ).start(timeout=10)
        assert ingest.is_connected
        ingest.stop()
    finally:
        store.close()


def test_serve_s_default_client_id_is_stable_across_restarts() -> None:
    assert default_client_id() == default_client_id()
    assert default_client_id().startswith("central-")
    assert all(c.isalnum() or c == "-" for c in default_client_id())
