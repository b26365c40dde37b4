"""Alarms from a watcher to central through a real Mosquitto and central's real ingest (SOP-003-D05).

``python -m edge.cctv watch --outbox`` stores each alarm in the durable outbox, publishes it on the
camera's ``cctv_alarm`` topic and deletes it when central acknowledges it. A listed person walking
through gives exactly one stored alarm at central's CCTV desk; an unlisted one none; an alarm raised
while central is down waits in the outbox and arrives once central is back.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from central.cctv.desk import CctvDesk
from central.ingest import Ingest
from central.service import Central
from central.store import Store
from core.clock import ManualClock
from edge.cctv import cli_watch
from edge.cctv.gallery import AlertGallery
from edge.cctv.sender import LinkedAlarmSink
from edge.cctv.source import SequenceSource
from edge.cctv.watcher import CctvWatcher
from edge.link import LinkConfig
from edge.outbox import Outbox
from edge.sealed import Sealer
from emulator.broker import MosquittoBroker
from models import FacePipeline
from tests.cctv.video import walk, walk_video
from tests.central.peer_gate import wait_until

SITE, CAMERA = "cgk", "cctv-t2-01"


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[CctvDesk]:
    store = Store(f"sqlite:///{tmp_path / 'central.db'}")
    yield CctvDesk(store, ManualClock(), Ed25519PrivateKey.generate())
    store.close()


def central_ingest(desk: CctvDesk, broker: MosquittoBroker) -> Ingest:
    ingest = Ingest(Central(desk.store), broker.url, max_delay=0.01)
    ingest.cctv = desk  # as ``central serve`` wires it
    return ingest.start()


@pytest.fixture
def sink(mosquitto: MosquittoBroker, tmp_path: Path) -> Iterator[LinkedAlarmSink]:
    outbox = Outbox(tmp_path / "outbox.db")
    config = LinkConfig(url=mosquitto.url, client_id=f"cctv-{CAMERA}", reconnect_max_s=2)
    linked = LinkedAlarmSink.connect(outbox, config, site=SITE, camera_id=CAMERA)
    linked.publisher.replay_interval_s = 0.2
    yield linked
    linked.close()
    outbox.close()


def test_a_listed_person_gives_one_stored_alarm_and_an_unlisted_one_none(
    pipeline: FacePipeline,
    gallery: AlertGallery,
    sink: LinkedAlarmSink,
    desk: CctvDesk,
    mosquitto: MosquittoBroker,
) -> None:
    ingest = central_ingest(desk, mosquitto)
    try:
        assert sink.link.wait_for_connection(20)
        watcher = CctvWatcher(CAMERA, pipeline, gallery, sink, clock=ManualClock())
        watcher.run(SequenceSource(walk("impostor_1")))  # not listed: nothing may reach central
        assert sink.unacknowledged == 0
        watcher.run(SequenceSource(walk("person_a_2")))  # listed as alert-a
        assert watcher.stats.alarms == 1
        wait_until(lambda: sink.unacknowledged == 0, what="central's ack of the alarm")
        (alarm,) = desk.alarms()  # exactly one: the unlisted walk, published before it, gave none
        assert (alarm["camera_id"], alarm["entry_id"], alarm["status"]) == (CAMERA, "alert-a", "raised")
        assert alarm["snapshot_jpeg"][:2] == b"\xff\xd8"
        assert alarm["score"] >= alarm["threshold"]
        assert desk.store.event(alarm["alarm_id"])["type"] == "cctv_alarm"
    finally:
        ingest.stop()


def test_an_alarm_waits_in_the_outbox_while_central_is_down(
    pipeline: FacePipeline,
    gallery: AlertGallery,
    sink: LinkedAlarmSink,
    desk: CctvDesk,
    mosquitto: MosquittoBroker,
) -> None:
    assert sink.link.wait_for_connection(20)
    watcher = CctvWatcher(CAMERA, pipeline, gallery, sink, clock=ManualClock())
    watcher.run(SequenceSource(walk("person_b_2")))
    assert watcher.stats.alarms == 1
    assert sink.unacknowledged == 1  # published to nobody: kept until central acknowledges it
    assert desk.alarms() == []
    ingest = central_ingest(desk, mosquitto)  # central comes back; the periodic replay re-sends
    try:
        wait_until(lambda: sink.unacknowledged == 0, what="the replayed alarm's ack")
        (alarm,) = desk.alarms()
        assert alarm["entry_id"] == "alert-b"
    finally:
        ingest.stop()


def test_the_watch_command_with_outbox_sends_the_alarm_to_central(
    gallery: AlertGallery,
    desk: CctvDesk,
    mosquitto: MosquittoBroker,
    signing_key: Ed25519PrivateKey,
    tmp_path: Path,
) -> None:
    """``python -m edge.cctv watch --outbox ... --broker ...`` on a video file of a listed walker."""
    video = walk_video(tmp_path / "walk.avi", "person_a_2")
    key_file = tmp_path / "central-cctv.pub.pem"
    key_file.write_bytes(
        signing_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    data_key = tmp_path / "keys" / "cctv-data.key"
    data_key.parent.mkdir()
    data_key.write_bytes(os.urandom(32))
    ingest = central_ingest(desk, mosquitto)
    try:
        code = cli_watch.main(
            [
                "--camera-id", CAMERA, "--source", str(video), "--gallery", str(tmp_path / "gallery.bin"),
                "--public-key", str(key_file), "--outbox", str(tmp_path / "cli-outbox.db"),
                "--site", SITE, "--broker", mosquitto.url, "--data-key-file", str(data_key),
            ]
        )  # fmt: skip
        assert code == 0
        wait_until(lambda: len(desk.alarms()) == 1, what="the alarm at central")
        assert desk.alarms()[0]["entry_id"] == "alert-a"
        # Issue 12: the outbox was sealed with the configured key, not a default one made beside it.
        assert not (tmp_path / "cli-outbox.db.key").exists()
        with Outbox(tmp_path / "cli-outbox.db", sealer=Sealer.load(default=data_key)) as outbox:
            wait_until(lambda: outbox.depth() == 0, what="the ack to empty the outbox")
    finally:
        ingest.stop()
