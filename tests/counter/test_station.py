"""Counter journeys on the station with a real central (workflows) and a real outbox, offline link."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from core.clock import ManualClock
from core.documents import parse_mrz, render_mrz
from core.wire import codec
from core.wire.messages import Alarm, AlarmKind, CrossingOutcome, CrossingRecord, Direction
from counter.central_client import CentralClient
from counter.errors import InspectionStateError, ManualEntryError
from counter.permits import PermitKind, StayPermit
from counter.standards import Step
from counter.station import CounterStation, Devices, Referral
from edge.outbox import Outbox
from tests.counter.conftest import FORM_TODAY_PERMIT, TODAY, Office, passport


class Reading:
    def __init__(self, lines: list[str]) -> None:
        self.result = parse_mrz(lines, today=TODAY)


class Reader:
    """The station asks the hal reader for the latest read; this one hands over rendered lines."""

    def __init__(self, lines: list[str] | None) -> None:
        self.lines = lines

    def wait_for_document(self, timeout: float | None = None) -> Reading | None:
        return Reading(self.lines) if self.lines else None


def events(outbox: Outbox) -> list[Any]:
    return [codec.decode(e.payload) for e in outbox.pending()]


def with_reader(station: CounterStation, lines: list[str] | None) -> CounterStation:
    station.devices = Devices(mrz=Reader(lines))
    return station


def resident_arrives(station: CounterStation, clock: ManualClock) -> Any:
    with_reader(station, render_mrz(passport(), "TD3"))
    inspection = station.begin(Direction.ARRIVAL)
    clock.advance(2)
    station.scan(inspection)
    station.record_permit(inspection, StayPermit(PermitKind.ITAS, "2C11AB0001", date(2027, 5, 1)))
    inspection.face_captured = True  # devices are exercised in the browser journeys
    station.record_flight(inspection, "ga 871")
    return inspection


def test_a_foreign_resident_arriving_is_stamped_and_recorded_through_the_outbox(
    station: CounterStation, clock: ManualClock, outbox: Outbox
) -> None:
    inspection = station.stamp(resident_arrives(station, clock))
    [record] = events(outbox)
    assert isinstance(record, CrossingRecord)
    assert (record.outcome, record.direction, record.document and record.document.document_number) == (
        CrossingOutcome.CROSSED,
        Direction.ARRIVAL,
        "PA1234567",
    )
    assert "flight=GA871" in record.reason and inspection.outcome == "stamped"


def test_each_step_is_timed_against_its_sop_standard(station: CounterStation, clock: ManualClock) -> None:
    inspection = resident_arrives(station, clock)
    receive = inspection.steps.times[Step.RECEIVE]
    assert (receive.seconds, receive.standard_s, receive.within) == (2.0, 3.0, True)
    assert inspection.steps.times[Step.LIST_CHECK].standard_s == 5.0


def test_a_stamp_waits_for_the_permit_and_the_flight_code(station: CounterStation) -> None:
    with_reader(station, render_mrz(passport(), "TD3"))
    inspection = station.scan(station.begin(Direction.ARRIVAL))
    with pytest.raises(InspectionStateError, match=r"stay permit is not recorded.*flight code"):
        station.stamp(inspection)


def test_the_last_movement_comes_from_central(station: CounterStation, office: Office) -> None:
    with_reader(station, render_mrz(passport(), "TD3"))
    inspection = station.scan(station.begin(Direction.ARRIVAL))
    assert (inspection.last_movement, inspection.last_movement_note) == (None, "none")


def test_an_overstay_of_12_days_opens_the_a07_case_with_the_fee(
    station: CounterStation, office: Office
) -> None:
    with_reader(station, render_mrz(passport(), "TD3"))
    inspection = station.scan(station.begin(Direction.DEPARTURE))
    station.record_permit(inspection, StayPermit(PermitKind.ITAS, "2C11AB0001", date(2026, 11, 11)))
    assert inspection.overstay is not None and inspection.overstay.days == 12
    station.refer(inspection, Referral.OVERSTAY)
    [case] = inspection.cases
    per_day = office.workflows.tariffs.overstay_per_day
    assert (case["sop_id"], case["overstay_days"], case["amount"]) == ("SOP-003-A07", 12, 12 * per_day)
    assert inspection.overstay.fee == case["amount"]


def test_a_cekal_hit_alerts_the_supervisor_and_the_referral_opens_the_a03_case(
    station: CounterStation, outbox: Outbox
) -> None:
    listed = passport(
        number="RU7654321",
        nationality="RUS",
        surname="PETROV",
        given="VIKTOR",
        birth=date(1975, 3, 14),
        sex="M",
    )
    with_reader(station, render_mrz(listed, "TD3"))
    inspection = station.scan(station.begin(Direction.ARRIVAL))
    station.refer(inspection, Referral.CEKAL, "identical to the deterrence entry")
    alarm, record = events(outbox)
    assert isinstance(alarm, Alarm) and alarm.kind is AlarmKind.CEKAL_IDENTIK
    assert isinstance(record, CrossingRecord) and record.outcome is CrossingOutcome.HELD_CEKAL
    assert inspection.cases[0]["sop_id"] == "SOP-003-A03" and inspection.cases[0]["case_id"]


def test_an_unreadable_passport_asks_for_manual_entry_which_then_carries_the_inspection(
    station: CounterStation, outbox: Outbox
) -> None:
    with_reader(station, None)
    inspection = station.begin(Direction.ARRIVAL)
    with pytest.raises(ManualEntryError, match="type the nine fields"):
        station.scan(inspection)
    station.enter_manually(inspection, FORM_TODAY_PERMIT)
    station.record_permit(inspection, StayPermit(PermitKind.ITAP, "ITAP-1", date(2030, 1, 1)))
    inspection.fingerprint_captured = True
    station.record_flight(inspection, "QZ7510")
    station.stamp(inspection)
    [record] = events(outbox)
    assert "manual_entry" in record.reason


def test_cases_opened_while_central_is_away_are_queued_and_opened_on_recovery(
    station: CounterStation, office: Office
) -> None:
    station.central = CentralClient("http://127.0.0.1:9", office.token, timeout_s=0.2)
    with_reader(station, render_mrz(passport(), "TD3"))
    inspection = station.scan(station.begin(Direction.ARRIVAL))
    assert inspection.last_movement_note == "offline"
    station.refer(inspection, Referral.REFUSAL, "no return ticket")
    assert (inspection.cases[0]["status"], len(station.pending)) == ("queued", 1)
    station.central = CentralClient("http://central", office.token, http=office.app)
    assert station.sync() == 1
    assert len(station.pending) == 0 and inspection.cases[0]["sop_id"] == "SOP-003-A05"
