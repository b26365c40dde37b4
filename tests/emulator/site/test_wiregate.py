"""The stand-in gate's ledger: an event that reached the outbox but not the ledger is recovered."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from core.clock import ManualClock
from core.wire import Alarm, AlarmKind, Severity, StoredEventsAck, encode, new_event_id
from edge.outbox import Outbox
from emulator.wiregate import GateIdentity, Ledger, WireGate, decode_ack, ledger_event_ids

T0 = datetime(2026, 11, 22, tzinfo=UTC)


def _gate(tmp_path: Path) -> WireGate:
    # Port 9 (discard) on loopback: nothing listens, so the link never connects during the test.
    return WireGate(
        GateIdentity("gate-01"),
        broker_url="mqtt://127.0.0.1:9",
        outbox_path=tmp_path / "o.sqlite",
        ledger_path=tmp_path / "ledger.jsonl",
        clock=ManualClock(),
        factor=1.0,
    )


def test_an_outbox_event_missing_from_the_ledger_is_added_on_start(tmp_path: Path) -> None:
    session = new_event_id()
    Ledger(tmp_path / "ledger.jsonl").write({"line": "session", "passenger": 4, "session": session})
    alarm = Alarm(device_id="gate-01", ts=T0, alarm_id=new_event_id(), kind=AlarmKind.TAILGATING,
                  severity=Severity.WARNING, session_id=session)  # fmt: skip
    with Outbox(tmp_path / "o.sqlite") as outbox:
        outbox.append("t", encode(alarm), event_id=alarm.event_id)
    gate = _gate(tmp_path)
    gate._recover()
    state = gate.ledger.state()
    gate.close()
    assert alarm.event_id in ledger_event_ids(tmp_path / "ledger.jsonl")
    assert state.emitted[4] == {"alarm"}


def test_recovery_twice_adds_nothing(tmp_path: Path) -> None:
    alarm = Alarm(device_id="gate-01", ts=T0, alarm_id=new_event_id(), kind=AlarmKind.TAILGATING,
                  severity=Severity.WARNING)  # fmt: skip
    with Outbox(tmp_path / "o.sqlite") as outbox:
        outbox.append("t", encode(alarm), event_id=alarm.event_id)
    for _ in range(2):
        gate = _gate(tmp_path)
        gate._recover()
        gate.close()
    lines = (tmp_path / "ledger.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1


def test_an_ack_gives_stored_and_quarantined_ids() -> None:
    ack = StoredEventsAck(device_id="central", ts=T0, target="gate-01", event_ids=(new_event_id(),),
                          quarantined=())  # fmt: skip
    assert decode_ack(encode(ack)) == list(ack.event_ids)
