"""Issue 12 at the counter station: its own broker account and client certificate over TLS, and a
configured data key sealing the outbox and the enrolment cache; broken settings are refused by name."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from core.clock import SystemClock
from counter.config import load_config
from counter.errors import CounterConfigError
from counter.runtime import build
from emulator.broker import MosquittoBroker
from tests.counter.conftest import TARIFFS
from tests.tls_broker import tls_broker_for


def station_toml(folder: Path, link: str, station: str = "") -> Path:
    path = folder / "counter.toml"
    path.write_text(
        f"""[station]
device_id = "counter-01"
site = "cgk"
data_dir = "{folder / "data"}"
tariffs = "{TARIFFS}"
{station}

[link]
{link}
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def tls_broker(tmp_path: Path, sqlite_url: str) -> tuple[MosquittoBroker, Path, str]:
    return tls_broker_for(tmp_path, sqlite_url, "counter-01", kind="counter", site="cgk")


def test_the_station_connects_with_its_account_and_certificate_and_seals_with_its_key(
    tmp_path: Path, tls_broker: tuple[MosquittoBroker, Path, str]
) -> None:
    broker, pki, password = tls_broker
    (tmp_path / "mqtt.password").write_text(password + "\n", encoding="utf-8")
    key = tmp_path / "data.key"
    key.write_bytes(os.urandom(32))
    with broker:
        link = f"""url = "{broker.url}"
username = "counter-01"
password_file = "mqtt.password"
ca_file = "{pki / "ca.crt"}"
cert_file = "{pki / "counter-01.crt"}"
key_file = "{pki / "counter-01.key"}"
"""
        config = load_config(station_toml(tmp_path, link, f'data_key_file = "{key}"'))
        assert config.link_password == password
        runtime = build(config, clock=SystemClock()).start()
        try:
            deadline = time.monotonic() + 20
            while not runtime.link.is_connected and time.monotonic() < deadline:
                time.sleep(0.05)
            assert runtime.link.is_connected, "the counter did not get onto the TLS broker"
            assert runtime.outbox.sealer.source == str(key)
            assert runtime.outbox.sealer.key == key.read_bytes()
        finally:
            runtime.close()
    assert not (tmp_path / "data" / "outbox.db.key").exists()  # no default key made beside the data


@pytest.mark.parametrize(
    ("link", "station", "named"),
    [
        ('url = "mqtts://b:8883"\ncert_file = "counter.toml"', "", "go together"),
        ('url = "mqtts://b:8883"\nca_file = "nowhere.crt"', "", "link.ca_file"),
        ('url = "mqtts://b:8883"\npassword_file = "missing"', "", "link.password_file"),
        ('url = "mqtts://b:8883"\nusername = 7', "", "link.username"),
        ('url = "mqtts://b:8883"', "data_key_env = 3", "station.data_key_env"),
    ],
)
def test_broken_security_settings_are_refused_by_name(
    tmp_path: Path, link: str, station: str, named: str
) -> None:
    with pytest.raises(CounterConfigError, match=named.replace(".", r"\.")):
        load_config(station_toml(tmp_path, link, station))


def test_a_short_data_key_stops_the_station_at_build(tmp_path: Path) -> None:
    key = tmp_path / "short.key"
    key.write_bytes(b"too short")
    config = load_config(station_toml(tmp_path, 'url = "mqtt://127.0.0.1:1"', f'data_key_file = "{key}"'))
    with pytest.raises(CounterConfigError, match="data_key_file"):
        build(config, clock=SystemClock())
