"""The whole site with kiosks, over the TLS-only broker (issues 11 and 12): the real kiosk runtime on the
emulated kiosk board, played by emulated applicants, its applications reaching central over MQTT and
each opening one workflow case; every client on its own broker account over TLS; anonymous and plain
clients refused. One site run (module fixture) serves the tests below, while its broker still runs."""

from __future__ import annotations

import json
import socket
import sqlite3
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from emulator.devices.board import FACES
from emulator.scenarios import load
from emulator.site import Site
from emulator.wiregate import read_ledger

pytestmark = pytest.mark.skipif(not (FACES / "person_a_1.jpg").exists(), reason="face fixtures missing")

KIOSKS = ("kiosk-01", "kiosk-02")


@dataclass
class Run:
    site: Site
    summary: dict[str, Any]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    folder = tmp_path_factory.mktemp("kiosk-site")
    path = folder / "scenario.toml"
    path.write_text('name = "k"\narrivals_per_hour = 600\n[mix]\nvalid = 3\nexpired = 1\n', encoding="utf-8")
    with Site(folder / "site", load(path), gates=1, seed=4, passengers=4, factor=5.0, drain_timeout_s=45.0,
              engine="runtime", kiosks=2, applicants=2, kiosk_pace_s=0.1) as site:  # fmt: skip
        site.start()
        site.wait(timeout_s=240)
        site.settle(timeout_s=30)
        yield Run(site, site.summary())


def test_every_kiosk_application_reaches_central_and_opens_exactly_one_case(run: Run) -> None:
    kiosks = run.summary["kiosks"]
    assert kiosks["kiosks"] == 2
    assert kiosks["problems"] == 0, kiosks["problem_details"]
    assert set(kiosks["exit_codes"].values()) == {0}, kiosks["exit_codes"]
    assert kiosks["tickets"] == 4
    assert kiosks["applications_submitted"] == 4
    assert kiosks["cases_opened"] == kiosks["applications_submitted"]
    assert kiosks["lost"] == 0, kiosks["lost_numbers"]
    assert kiosks["duplicates"] == 0
    assert kiosks["unexpected_cases"] == 0
    assert run.site.passed(run.summary)
    # The gates beside them lost nothing either.
    assert run.summary["lost"] == 0, run.summary["lost_ids"]
    assert run.summary["events_stored"] == run.summary["events_emitted"] > 0


def test_each_case_is_the_applicants_own_and_came_over_mqtt(run: Run) -> None:
    """Central's rows, read directly: the case carries the applicant's passport and the kiosk's
    application id, and the application event itself is in central's events table (the one path is
    MQTT: the kiosk never POSTs a case)."""
    db = sqlite3.connect(f"file:{run.site.db_path}?mode=ro", uri=True)
    try:
        cases = db.execute(
            "SELECT passport_no, opened_by, data FROM wf_cases WHERE parent_case_id IS NULL"
        ).fetchall()
        events = db.execute("SELECT device_id, type FROM events WHERE device_id IN (?, ?)", KIOSKS).fetchall()
    finally:
        db.close()
    submitted = {
        (k, row["document"]): row
        for k in KIOSKS
        for row in read_ledger(run.site.folder / k / "ledger.jsonl")
        if row.get("line") == "application"
    }
    opened = {(by, passport): json.loads(data) for passport, by, data in cases if by in KIOSKS}
    assert set(opened) == set(submitted)
    for data in opened.values():
        assert data["application_id"].startswith("K-KIOSK-0")
        assert data["face_captured"] and data["fingerprint_captured"]
    # One stored application event per case, from the kiosk that opened it (kiosk.submitter has no
    # other path to central than its outbox and MQTT link).
    applications = [e for e in events if e[1] == "application"]
    assert sorted(d for d, _ in applications) == sorted(k for k, _ in submitted)
    assert len(applications) == len(opened)


def test_every_client_is_on_its_own_account_over_tls(run: Run) -> None:
    tls = run.summary["tls"]
    assert tls["enabled"] and tls["anonymous"] is False
    assert tls["listener"].startswith("mqtts://")
    assert tls["accounts"] == ["central", "gate-01", *KIOSKS]
    assert tls["client_certificates"] == ["central", "gate-01", *KIOSKS]  # every client presents one
    conf = (run.site.folder / "broker" / "mosquitto.conf").read_text(encoding="utf-8")
    assert "allow_anonymous false" in conf
    listeners = [line for line in conf.splitlines() if line.startswith("listener ")]
    assert len(listeners) == 1  # TLS (below); no plain listener at all
    assert conf.count("cafile ") == 1 and conf.count("require_certificate true") == 1
    # Mosquitto's own log: each client connected with its own user name.
    log = (run.site.folder / "broker" / "mosquitto.log").read_text(encoding="utf-8")
    for account in tls["accounts"]:
        assert f"u'{account}'" in log, account
    # Secrets stay in 0600 files.
    for name in ("central.mqtt-password", "gate-01/mqtt.password", "kiosk-01/mqtt.password"):
        assert (run.site.folder / name).stat().st_mode & 0o077 == 0, name


class Probe:
    """One MQTT client trying to connect; ``refused`` once the broker said no or hung up."""

    def __init__(self) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.answered = threading.Event()
        self.reason = -1
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *_a: self.answered.set()

    def _on_connect(self, _c: mqtt.Client, _u: object, _f: object, reason: object, _p: object) -> None:
        self.reason = int(getattr(reason, "value", -1))
        self.answered.set()

    def connected(self, port: int) -> bool:
        try:
            self.client.connect("127.0.0.1", port, keepalive=5)
        except (OSError, ssl.SSLError):
            return False
        self.client.loop_start()
        try:
            self.answered.wait(5)
            return self.reason == 0
        finally:
            self.client.loop_stop()
            self.client.disconnect()


def _ports(run: Run) -> list[int]:
    return [run.site.broker.port]


def test_an_anonymous_plain_client_is_refused_on_every_listener(run: Run) -> None:
    assert run.site.broker.is_running
    for port in _ports(run):
        assert not Probe().connected(port), port
        # Raw: a plain MQTT CONNECT on a TLS port gets no CONNACK (the TLS handshake fails first).
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            raw.sendall(
                bytes([0x10, 0x0C, 0x00, 0x04]) + b"MQTT" + bytes([0x04, 0x02, 0x00, 0x3C, 0x00, 0x00])
            )
            raw.settimeout(5)
            try:
                answer = raw.recv(4)
            except (TimeoutError, ConnectionResetError):
                answer = b""
            assert not answer.startswith(b"\x20"), answer  # 0x20: CONNACK


def test_an_anonymous_or_wrong_password_client_over_tls_is_refused(run: Run) -> None:
    pki = run.site.folder / "pki"
    port = run.site.broker.port

    def with_kiosk_certificate() -> Probe:
        probe = Probe()
        probe.client.tls_set(
            ca_certs=str(pki / "ca.crt"),
            certfile=str(pki / "kiosk-01.crt"),
            keyfile=str(pki / "kiosk-01.key"),
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
        return probe

    assert not with_kiosk_certificate().connected(port)  # a certificate but no account
    intruder = with_kiosk_certificate()
    intruder.client.username_pw_set("kiosk-01", "not its password")
    assert not intruder.connected(port)
    # The control: the kiosk's own account and certificate connect (so the refusals above are the
    # broker's no to the account, not a TLS failure).
    kiosk = with_kiosk_certificate()
    password = (run.site.folder / "kiosk-01" / "mqtt.password").read_text(encoding="utf-8")
    kiosk.client.username_pw_set("kiosk-01", password)
    assert kiosk.connected(port)


def test_the_devices_listener_wants_a_client_certificate(run: Run) -> None:
    """A gate's password without its certificate does not get in on the devices' listener."""
    ca = run.site.folder / "pki" / "ca.crt"
    devices = _ports(run)[0]
    password = (run.site.folder / "gate-01" / "mqtt.password").read_text(encoding="utf-8")
    without = Probe()
    without.client.tls_set(ca_certs=str(ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)
    without.client.username_pw_set("gate-01", password)
    assert not without.connected(devices)
    pki = run.site.folder / "pki"
    with_cert = Probe()
    with_cert.client.tls_set(
        ca_certs=str(ca),
        certfile=str(pki / "gate-01.crt"),
        keyfile=str(pki / "gate-01.key"),
        tls_version=ssl.PROTOCOL_TLS_CLIENT,
    )
    with_cert.client.username_pw_set("gate-01", password)
    assert with_cert.connected(devices)


def test_the_site_can_still_run_on_a_plain_broker_for_debugging(tmp_path: Path) -> None:
    """``--no-tls``: the stand-in gate on a plain anonymous broker; the summary says so."""
    path = tmp_path / "scenario.toml"
    path.write_text('name = "p"\narrivals_per_hour = 600\n[mix]\nvalid = 1\n', encoding="utf-8")
    with Site(tmp_path / "site", load(path), gates=1, seed=2, passengers=4, factor=200.0, engine="wire",
              tls=False) as site:  # fmt: skip
        site.start()
        assert site.broker.url.startswith("mqtt://")
        site.wait(timeout_s=120)
        site.settle(timeout_s=20)
        summary = site.summary()
    assert summary["tls"]["enabled"] is False
    assert summary["lost"] == 0 and summary["events_stored"] == summary["events_emitted"] > 0
    assert summary["kiosks"]["kiosks"] == 0


def test_applications_made_while_central_is_down_wait_in_the_kiosk_and_open_one_case_each(
    tmp_path: Path,
) -> None:
    """Central killed (kill -9) before the kiosk's first submission and kept down until an applicant
    has been told "kept safely at this kiosk": the receipt carries the kiosk's application id; once
    central is back the kiosk's outbox replays, and every application still opens exactly one case."""
    path = tmp_path / "scenario.toml"
    path.write_text('name = "c"\narrivals_per_hour = 600\n[mix]\nvalid = 1\n', encoding="utf-8")
    with Site(tmp_path / "site", load(path), gates=1, seed=6, passengers=4, factor=50.0, engine="wire",
              kiosks=1, applicants=3, kiosk_pace_s=0.2, drain_timeout_s=90.0) as site:  # fmt: skip
        site.start()
        site.kill_central()
        ledger = site.folder / "kiosk-01" / "ledger.jsonl"
        deadline = time.monotonic() + 120
        while not any(r.get("queued") for r in read_ledger(ledger) if r.get("line") == "application"):
            assert time.monotonic() < deadline, "no application was queued while central was down"
            assert site.kiosk_processes[0].poll() is None, "the kiosk exited while central was down"
            time.sleep(0.2)
        site.start_central()
        site.wait(timeout_s=240)
        site.settle(timeout_s=30)
        summary = site.summary()
    kiosks = summary["kiosks"]
    assert kiosks["queued_at_submit"] >= 1
    assert kiosks["applications_submitted"] == 3 == kiosks["cases_opened"]
    assert kiosks["lost"] == 0, kiosks["lost_numbers"]
    assert kiosks["duplicates"] == 0 and kiosks["unexpected_cases"] == 0
    assert kiosks["exit_codes"] == {"kiosk-01": 0}
    queued = [r["number"] for r in read_ledger(ledger) if r.get("line") == "application" and r["queued"]]
    assert all(n.startswith("K-KIOSK-01-") for n in queued), queued
    assert summary["lost"] == 0, summary["lost_ids"]
