"""A TLS-only Mosquitto for one device's tests: the site CA (``central pki init``), the device's account
(``central device add``) and client certificate, one listener that requires a certificate."""

from __future__ import annotations

from pathlib import Path

from central import cli_pki, devices
from central.devices import BrokerFiles
from central.store import Store
from core.clock import ManualClock
from emulator.broker import BrokerConfig, MosquittoBroker, TlsFiles


def tls_broker_for(
    folder: Path, db_url: str, device_id: str, *, kind: str, site: str
) -> tuple[MosquittoBroker, Path, str]:
    """(the broker, not started; the PKI folder; the device's MQTT password)."""
    store = Store(db_url)
    files = BrokerFiles(folder / "passwd", folder / "acl")
    now = ManualClock().now()
    creds = devices.add_device(store, device_id, kind=kind, site=site, now=now, broker=files)
    store.close()
    pki_dir = folder / "pki"
    assert cli_pki.main(["init", "--dir", str(pki_dir)]) == 0
    assert cli_pki.main(["issue", device_id, "--dir", str(pki_dir)]) == 0
    tls = TlsFiles(
        pki_dir / "ca.crt", pki_dir / "broker.crt", pki_dir / "broker.key", require_certificate=True
    )
    config = BrokerConfig(
        allow_anonymous=False, password_file=files.password_file, acl_file=files.acl_file, tls=tls
    )
    return MosquittoBroker(folder / "broker", config), pki_dir, creds.mqtt_password
