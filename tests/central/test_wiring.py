"""Central's parts served and fed together: the kiosk's application opens its case from the MQTT
ingest alone, a CCTV alarm on the wire reaches the CCTV desk once, counters join the gates' tiles,
and one app serves the watch lists, workflows and the CCTV desk."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msgpack
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from central import devices
from central.app import create_app
from central.cctv.desk import CctvDesk
from central.ingest import Inbound, Ingest
from central.live import LiveBus
from central.service import Central
from central.workflows.definitions import Catalogue
from central.workflows.engine import Workflows
from central.workflows.tariffs import Tariffs
from core import wire
from core.wire import Channel, DeviceKind
from core.wire.examples import example_of
from tests.central.conftest import token_for

SITE = "cgk"


@dataclass
class Wired:
    central: Central
    ingest: Ingest
    workflows: Workflows
    desk: CctvDesk
    client: TestClient
    kiosk_token: str

    def deliver(self, kind: DeviceKind, device_id: str, message: wire.Message, channel: Channel) -> None:
        self.deliver_raw(wire.topic_for(SITE, kind, device_id, channel), wire.encode(message))

    def deliver_raw(self, topic: str, payload: bytes) -> None:
        # The batch path the broker's messages take, without the network (qos 0: nothing to PUBACK).
        self.ingest.process([Inbound(topic, payload, 0.0)])


@pytest.fixture
def wired(central: Central) -> Iterator[Wired]:
    now = central.clock.now()
    kiosk = devices.add_device(central.store, "kiosk-01", kind="kiosk", site=SITE, now=now)
    devices.add_device(central.store, "cctv-t2-01", kind="cctv", site=SITE, now=now)
    workflows = Workflows(central.store, central.clock, Catalogue.load(), Tariffs.load())
    desk = CctvDesk(central.store, central.clock, Ed25519PrivateKey.generate())
    ingest = Ingest(central, "mqtt://127.0.0.1:1")  # never started: tests hand it batches
    ingest.workflows, ingest.cctv = workflows, desk
    app = create_app(central, workflows=workflows)
    app.state.cctv = desk
    with TestClient(app) as client:
        yield Wired(central, ingest, workflows, desk, client, kiosk.api_token)
    ingest.client.loop_stop()


def application(application_id: str = "K-KIOSK-01-20261122-a1b2") -> wire.KioskApplication:
    sample = example_of(wire.KioskApplication)
    return wire.KioskApplication(
        ts=sample.ts,
        device_id="kiosk-01",
        application_id=application_id,
        service_code="ITK-EXT",
        applicant={"sponsor": "PT Maju"},
        document=sample.document,
        submitted_at=sample.submitted_at,
    )


def cases(wired: Wired) -> list[int]:
    return [row["case_id"] for row in wired.workflows.search("")]


# --- kiosk applications -----------------------------------------------------------------------------


def test_a_kiosk_application_on_mqtt_opens_its_workflow_case(wired: Wired) -> None:
    message = application()
    wired.deliver(DeviceKind.KIOSK, "kiosk-01", message, Channel.EVENT)
    case_id = wired.workflows.case_of_source(message.application_id)
    assert case_id is not None
    case = wired.workflows.case(case_id)
    assert case["service_code"] == "ITK-EXT"
    assert case["passport_no"] == message.document.document_number  # type: ignore[union-attr]
    assert case["data"]["application_id"] == message.application_id


def test_a_redelivered_application_opens_no_second_case(wired: Wired) -> None:
    message = application()
    wired.deliver(DeviceKind.KIOSK, "kiosk-01", message, Channel.EVENT)
    wired.deliver(DeviceKind.KIOSK, "kiosk-01", message, Channel.EVENT)
    assert len(cases(wired)) == 1


def test_the_same_application_sent_again_as_a_new_event_opens_no_second_case(wired: Wired) -> None:
    wired.deliver(DeviceKind.KIOSK, "kiosk-01", application(), Channel.EVENT)
    wired.deliver(DeviceKind.KIOSK, "kiosk-01", application(), Channel.EVENT)  # new event id
    assert len(cases(wired)) == 1


def test_the_kiosks_http_fallback_returns_the_case_the_mqtt_event_opened(wired: Wired) -> None:
    message = application()
    wired.deliver(DeviceKind.KIOSK, "kiosk-01", message, Channel.EVENT)
    response = wired.client.post(
        "/api/v1/workflows/cases",
        json={
            "service_code": "ITK-EXT",
            "applicant": {"name": "SITI AMINAH"},
            "data": {"application_id": message.application_id},
        },
        headers={"Authorization": f"Bearer {wired.kiosk_token}"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["case_id"] == wired.workflows.case_of_source(message.application_id)
    assert len(cases(wired)) == 1


def test_an_application_for_an_unknown_service_is_stored_but_opens_no_case(wired: Wired) -> None:
    message = application()
    odd = wire.KioskApplication(
        ts=message.ts,
        device_id="kiosk-01",
        application_id="K-1",
        service_code="NO-SUCH",
        submitted_at=message.ts,
    )
    wired.deliver(DeviceKind.KIOSK, "kiosk-01", odd, Channel.EVENT)
    assert wired.central.store.event(odd.event_id)["type"] == "application"
    assert cases(wired) == []


# --- the narrow status read for kiosks -------------------------------------------------------------


def test_a_kiosk_reads_an_applications_status_by_its_number(wired: Wired) -> None:
    message = application()
    wired.deliver(DeviceKind.KIOSK, "kiosk-01", message, Channel.EVENT)
    case = wired.workflows.case(wired.workflows.case_of_source(message.application_id) or 0)
    response = wired.client.get(
        f"/api/v1/workflows/cases/by-number/{case['application_no']}/status",
        headers={"Authorization": f"Bearer {wired.kiosk_token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["application_no"], body["status"], body["step"]["no"]) == (
        case["application_no"],
        case["status"],
        case["current_step"],
    )
    assert "applicant_name" not in body and "passport_no" not in body


def test_the_status_read_also_takes_the_kiosks_own_application_id(wired: Wired) -> None:
    message = application()
    wired.deliver(DeviceKind.KIOSK, "kiosk-01", message, Channel.EVENT)
    response = wired.client.get(
        f"/api/v1/workflows/cases/by-number/{message.application_id}/status",
        headers={"Authorization": f"Bearer {wired.kiosk_token}"},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "open"


def test_an_unknown_application_number_is_not_found(wired: Wired) -> None:
    response = wired.client.get(
        "/api/v1/workflows/cases/by-number/20261122-99999/status",
        headers={"Authorization": f"Bearer {wired.kiosk_token}"},
    )
    assert response.status_code == 404


def test_a_device_still_cannot_read_a_whole_case(wired: Wired) -> None:
    wired.deliver(DeviceKind.KIOSK, "kiosk-01", application(), Channel.EVENT)
    (case_id,) = cases(wired)
    response = wired.client.get(
        f"/api/v1/workflows/cases/{case_id}", headers={"Authorization": f"Bearer {wired.kiosk_token}"}
    )
    assert response.status_code == 403


# --- CCTV alarms on the wire -----------------------------------------------------------------------


def cctv_alarm() -> wire.CctvFaceAlarm:
    sample = example_of(wire.CctvFaceAlarm)
    return wire.CctvFaceAlarm(
        ts=sample.ts,
        device_id="cctv-t2-01",
        entry_id=sample.entry_id,
        watchlist_id=sample.watchlist_id,
        label=sample.label,
        score=sample.score,
        threshold=sample.threshold,
        track_id=sample.track_id,
        snapshot_jpeg=sample.snapshot_jpeg,
    )


def test_a_cctv_alarm_on_the_cameras_event_topic_reaches_the_desk(wired: Wired) -> None:
    alarm = cctv_alarm()
    wired.deliver(DeviceKind.CCTV, "cctv-t2-01", alarm, Channel.EVENT)
    row = wired.desk.alarm(alarm.alarm_id)
    assert (row["status"], row["camera_id"], row["snapshot_jpeg"]) == (
        "raised",
        "cctv-t2-01",
        alarm.snapshot_jpeg,
    )
    assert wired.central.store.event(alarm.event_id)["type"] == "cctv_alarm"


class RecordingBus(LiveBus):
    """The live bus, also keeping what was published (no browser is listening in these tests)."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[tuple[str, dict[str, Any]]] = []

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        self.published.append((kind, data))
        super().publish(kind, data)


def test_a_redelivered_cctv_alarm_is_stored_and_announced_once(wired: Wired) -> None:
    alarm = cctv_alarm()
    bus = wired.central.bus = RecordingBus()
    wired.deliver(DeviceKind.CCTV, "cctv-t2-01", alarm, Channel.EVENT)
    wired.deliver(DeviceKind.CCTV, "cctv-t2-01", alarm, Channel.EVENT)
    assert len(wired.desk.alarms()) == 1
    assert [data["alarm_id"] for kind, data in bus.published if kind == "cctv_alarm"] == [alarm.alarm_id]


def test_a_cctv_alarm_from_another_camera_than_its_topic_is_quarantined(wired: Wired) -> None:
    wired.deliver_raw(
        wire.topic_for(SITE, DeviceKind.CCTV, "cctv-t2-02", Channel.EVENT), wire.encode(cctv_alarm())
    )
    assert wired.desk.alarms() == []
    assert len(wired.central.store.quarantined()) == 1


def test_a_malformed_cctv_alarm_is_quarantined(wired: Wired) -> None:
    raw = msgpack.unpackb(wire.encode(cctv_alarm()), timestamp=3)
    raw["track_id"] = -1
    wired.deliver_raw(
        wire.topic_for(SITE, DeviceKind.CCTV, "cctv-t2-01", Channel.EVENT), msgpack.packb(raw, datetime=True)
    )
    assert wired.desk.alarms() == []
    assert len(wired.central.store.quarantined()) == 1


# --- counters beside the gates ---------------------------------------------------------------------


def status(device_id: str, *, online: bool = True) -> wire.DeviceStatus:
    sample = example_of(wire.DeviceStatus)
    return wire.DeviceStatus(ts=sample.ts, device_id=device_id, online=online, in_service=True)


def test_a_counters_retained_status_registers_it_as_a_counter(wired: Wired) -> None:
    wired.deliver(DeviceKind.COUNTER, "counter-03", status("counter-03"), Channel.STATUS)
    device = wired.central.store.device("counter-03")
    assert (device["kind"], device["site"], device["online"]) == ("counter", SITE, True)


def test_an_unknown_gate_is_not_registered_by_its_status(wired: Wired) -> None:
    wired.deliver(DeviceKind.GATE, "gate-99", status("gate-99"), Channel.STATUS)
    assert [d["device_id"] for d in wired.central.store.devices()] == ["cctv-t2-01", "kiosk-01"]


def test_a_counter_tile_is_listed_beside_the_gates(wired: Wired, central: Central) -> None:
    devices.add_device(central.store, "gate-01", kind="gate", site=SITE, now=central.clock.now())
    wired.deliver(DeviceKind.COUNTER, "counter-03", status("counter-03"), Channel.STATUS)
    response = wired.client.get("/api/v1/devices", headers=token_for(central, "supervisor"))
    kinds = {d["device_id"]: d["kind"] for d in response.json()}
    assert kinds["counter-03"] == "counter" and kinds["gate-01"] == "gate"


# --- one app serves every part ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/v1/watchlist", "/api/v1/cctv/alarms", "/api/v1/workflows/services", "/api/v1/devices"],
)
def test_the_app_serves_every_parts_api(wired: Wired, central: Central, path: str) -> None:
    assert wired.client.get(path, headers=token_for(central, "supervisor")).status_code == 200


def test_the_header_links_an_officer_to_the_work_queue_and_the_watch_list(
    wired: Wired, central: Central
) -> None:
    page = wired.client.get("/", headers=token_for(central, "officer")).text
    assert 'href="/workflows/queue"' in page and 'href="/watchlist"' in page


def test_the_header_gives_an_administrator_no_work_queue_link(wired: Wired, central: Central) -> None:
    page = wired.client.get("/", headers=token_for(central, "administrator")).text
    assert 'href="/workflows/queue"' not in page and 'href="/watchlist"' in page
