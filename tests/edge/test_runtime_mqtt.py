"""The gate runtime against a real Mosquitto and a peer acting as central (core.wire on both sides)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core import wire
from edge.link import LinkConfig, MqttLink
from emulator.broker import MosquittoBroker
from tests.edge.peer import CentralPeer, wait_until
from tests.edge.rig import Rig, cekal_entry


@pytest.fixture
def central(mosquitto: MosquittoBroker) -> Iterator[CentralPeer]:
    peer = CentralPeer(mosquitto.url, "gate-01").start()
    yield peer
    peer.close()


def _gate(tmp_path: Path, mosquitto: MosquittoBroker, central: CentralPeer, **kwargs: object) -> Rig:
    link = MqttLink(
        LinkConfig(url=mosquitto.url, client_id="gate-01", reconnect_min_s=0.2, reconnect_max_s=1)
    )
    gate = Rig(tmp_path, broker_url=mosquitto.url, link=link, **kwargs)  # type: ignore[arg-type]
    # The gate subscribes before it publishes its first status on a connection, so once central has
    # that status the gate's command subscription is in place.
    assert wait_until(lambda: any(s.online for s in central.statuses)), "the gate never came online"
    return gate


def test_cekal_identik_is_held_until_a_supervisor_releases_over_mqtt(
    tmp_path: Path, mosquitto: MosquittoBroker, central: CentralPeer
) -> None:
    gate = _gate(tmp_path, mosquitto, central, watchlist=[cekal_entry()])
    try:
        gate.present()
        gate.advance(1.2)
        walker = gate.walk_in_and_stop()
        gate.advance(2.0)
        assert gate.flow.state == "held_cekal"
        assert wait_until(
            lambda: any(a.kind is wire.AlarmKind.CEKAL_IDENTIK for a in central.messages(wire.Alarm))
        )
        command_id = central.send_command(wire.CommandName.RELEASE_PASSENGER)
        assert wait_until(lambda: gate.flow.state == "releasing_to_counter")
        assert wait_until(lambda: [a.command_id for a in central.command_acks] == [command_id])
        assert central.command_acks[0].accepted
        gate.advance(1.2)
        # SOP-003-A03: released back through the entrance to the counter side; the exit never opened.
        assert gate.runtime.board.doors["entry"].is_open and gate.runtime.board.doors["exit"].is_closed
        walker.speed, walker.stopped = -1.0, False
        gate.advance(3.0)
        assert wait_until(
            lambda: any(
                c.outcome is wire.CrossingOutcome.HELD_CEKAL for c in central.messages(wire.CrossingRecord)
            )
        )
        assert wait_until(lambda: gate.runtime.outbox.depth() == 0), "central's acks empty the outbox"
    finally:
        gate.close()


def test_a_command_the_state_cannot_take_is_refused_with_a_reason(
    tmp_path: Path, mosquitto: MosquittoBroker, central: CentralPeer
) -> None:
    gate = _gate(tmp_path, mosquitto, central)
    try:
        command_id = central.send_command(wire.CommandName.RELEASE_PASSENGER)
        assert wait_until(lambda: len(central.command_acks) == 1)
        ack = central.command_acks[0]
        assert (ack.command_id, ack.accepted) == (command_id, False)
        assert "awaiting_document" in ack.reason
    finally:
        gate.close()


def test_the_retained_status_carries_doors_outbox_and_software(
    tmp_path: Path, mosquitto: MosquittoBroker, central: CentralPeer
) -> None:
    gate = _gate(tmp_path, mosquitto, central, watchlist=[])
    try:
        assert wait_until(lambda: any(s.online for s in central.statuses))
        status = [s for s in central.statuses if s.online][-1]
        assert status.lane_state == "awaiting_document" and status.in_service
        assert status.entry_door is wire.DoorState.LOCKED and status.watchlist_version == 1
        assert status.software_version
    finally:
        gate.close()
    assert wait_until(lambda: not central.statuses[-1].online), "a clean stop publishes offline"


def test_out_of_service_and_back_by_command(
    tmp_path: Path, mosquitto: MosquittoBroker, central: CentralPeer
) -> None:
    gate = _gate(tmp_path, mosquitto, central)
    try:
        central.send_command(wire.CommandName.OUT_OF_SERVICE)
        assert wait_until(lambda: gate.flow.state == "out_of_service")
        assert wait_until(lambda: any(not s.in_service for s in central.statuses if s.online))
        central.send_command(wire.CommandName.IN_SERVICE)
        gate.advance(0.1)
        assert wait_until(lambda: gate.flow.state == "awaiting_document")
    finally:
        gate.close()
