"""Issue 12: the kiosk reaches a TLS-only broker with the site CA, its own account (password from a
file) and its client certificate, all from ``[central]`` in its TOML; broken settings are refused by name.

No browser: the kiosk is built from the config file and its MQTT link must come up on a Mosquitto whose
only listener requires a client certificate from the site CA.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from edge.link import MqttLink
from emulator.broker import MosquittoBroker
from kiosk.config import KioskConfig
from kiosk.errors import KioskConfigError
from kiosk.runtime import build
from tests.kiosk.conftest import BOARD
from tests.tls_broker import tls_broker_for


@pytest.fixture
def tls_broker(tmp_path: Path, sqlite_url: str) -> tuple[MosquittoBroker, Path, str]:
    return tls_broker_for(tmp_path, sqlite_url, "kiosk-01", kind="kiosk", site="jkt")


def write_config(tmp_path: Path, broker_url: str, central: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        f"""[kiosk]
site = "jkt"
device_id = "kiosk-01"
board = "{BOARD}"
data_dir = "kiosk-data"

[central]
url = "http://127.0.0.1:9"
token = "unused here"
broker = "{broker_url}"
mqtt_username = "kiosk-01"
{central}
""",
        encoding="utf-8",
    )
    return path


def wait_connected(link: MqttLink, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if link.is_connected:
            return True
        time.sleep(0.05)
    return False


def test_the_kiosk_connects_with_its_certificate_and_password_file(
    tmp_path: Path, tls_broker: tuple[MosquittoBroker, Path, str]
) -> None:
    broker, pki_dir, password = tls_broker
    (tmp_path / "mqtt.password").write_text(password + "\n", encoding="utf-8")
    settings = f"""mqtt_password_file = "mqtt.password"
mqtt_ca_file = "{pki_dir / "ca.crt"}"
mqtt_cert_file = "{pki_dir / "kiosk-01.crt"}"
mqtt_key_file = "{pki_dir / "kiosk-01.key"}"
"""
    with broker:
        config = KioskConfig.load(write_config(tmp_path, broker.url, settings))
        assert config.mqtt_password == password  # the trailing newline of the file is not part of it
        kiosk = build(config)
        try:
            assert kiosk.link is not None
            assert wait_connected(kiosk.link, 20), "the kiosk did not connect to the TLS broker"
        finally:
            kiosk.close()
        assert "kiosk-01" in broker.log_path.read_text(encoding="utf-8", errors="replace")


def test_without_its_certificate_the_broker_keeps_the_kiosk_out(
    tmp_path: Path, tls_broker: tuple[MosquittoBroker, Path, str]
) -> None:
    broker, pki_dir, password = tls_broker
    settings = f"""mqtt_password = "{password}"
mqtt_ca_file = "{pki_dir / "ca.crt"}"
"""
    with broker:
        kiosk = build(KioskConfig.load(write_config(tmp_path, broker.url, settings)))
        try:
            assert kiosk.link is not None
            assert not wait_connected(kiosk.link, 3), "a kiosk without its client certificate got in"
        finally:
            kiosk.close()


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ('mqtt_password = "x"\nmqtt_password_file = "p"', "not both"),
        ('mqtt_cert_file = "kiosk.toml"', "go together"),
        ('mqtt_ca_file = "nowhere/ca.crt"', "mqtt_ca_file"),
        ('mqtt_password_file = "missing.password"', "mqtt_password_file"),
        ("mqtt_ca_file = 3", "non-empty string"),
    ],
)
def test_broken_broker_settings_are_refused_by_name(tmp_path: Path, settings: str, named: str) -> None:
    path = write_config(tmp_path, "mqtts://127.0.0.1:8883", settings)
    with pytest.raises(KioskConfigError, match=named):
        KioskConfig.load(path)
