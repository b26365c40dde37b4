"""Lights, Buzzer and FireAlarmInput on the emulated backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.clock import ManualClock
from emulator.devices.signals import EmulatedFireAlarmContact, output_states
from hal.backend import emulated_clock, pin_factory, reset_emulated
from hal.errors import BoardConfigError
from hal.signals import Buzzer, FireAlarmInput, Lights

RED, AMBER, GREEN, BUZZER, FIRE = 5, 6, 13, 19, 26


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    reset_emulated()
    yield emulated_clock()
    reset_emulated()


def test_lights_start_dark_and_show_one_colour(clock: ManualClock) -> None:
    with Lights(RED, AMBER, GREEN, backend="emulated") as lights:
        dark = lights.lit
        lights.show("green")
        assert dark == () and lights.lit == ("green",)
        assert output_states(pin_factory("emulated"), (RED, AMBER, GREEN)) == (False, False, True)


def test_blinking_follows_the_clock_and_stops_after_its_count(clock: ManualClock) -> None:
    with Lights(RED, AMBER, GREEN, backend="emulated") as lights:
        lights.blink("amber", on_time=0.5, off_time=0.5, times=2)
        seen = []
        for _ in range(5):
            seen.append(lights.lit)
            clock.advance(0.5)
        assert seen == [("amber",), (), ("amber",), (), ()]


def test_lights_need_three_different_pins(clock: ManualClock) -> None:
    with pytest.raises(BoardConfigError, match="three different pins"):
        Lights(RED, RED, GREEN, backend="emulated")


def test_the_buzzer_beeps_the_requested_number_of_times(clock: ManualClock) -> None:
    with Buzzer(BUZZER, backend="emulated") as buzzer:
        buzzer.beep(3, on_time=0.1, off_time=0.1)
        sounding = []
        for _ in range(7):
            sounding.append(buzzer.is_sounding)
            clock.advance(0.1)
        assert sounding == [True, False, True, False, True, False, False]


def test_the_fire_alarm_reports_start_and_end(clock: ManualClock) -> None:
    events: list[str] = []
    with FireAlarmInput(FIRE, backend="emulated") as alarm:
        contact = EmulatedFireAlarmContact(pin_factory("emulated"), FIRE)
        alarm.when_alarm_started = lambda: events.append("started")
        alarm.when_alarm_ended = lambda: events.append("ended")
        contact.raise_alarm()
        on = alarm.is_alarm_on
        contact.clear()
        assert on and not alarm.is_alarm_on and events == ["started", "ended"]


def test_a_cut_wire_on_a_normally_closed_contact_reads_as_an_alarm(clock: ManualClock) -> None:
    with FireAlarmInput(FIRE, normally_closed=True, backend="emulated") as alarm:
        contact = EmulatedFireAlarmContact(pin_factory("emulated"), FIRE, normally_closed=True)
        quiet = alarm.is_alarm_on
        contact.cut_wire()
        assert not quiet and alarm.is_alarm_on
