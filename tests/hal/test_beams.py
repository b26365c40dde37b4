"""BeamArray: zones, body counts, tailgating and direction, from the pure analysis and from walkers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.clock import ManualClock
from emulator.devices.walkers import EmulatedLane, Walker
from hal.backend import emulated_clock, pin_factory, reset_emulated
from hal.beams import BeamArray, Direction, analyse, default_positions, movement
from hal.errors import BoardConfigError

PINS = (4, 17, 27, 22, 23, 24)
POSITIONS = default_positions(6)


def test_a_clear_lane_has_no_bodies() -> None:
    occupancy = analyse([False] * 6, POSITIONS)
    assert occupancy.is_clear and occupancy.bodies == 0 and not occupancy.tailgating


def test_zones_follow_the_broken_beams() -> None:
    occupancy = analyse([True, False, False, False, False, True], POSITIONS)
    assert occupancy.in_entry_zone and occupancy.at_exit and not occupancy.inside


def test_two_separated_groups_are_two_bodies() -> None:
    occupancy = analyse([True, True, False, True, False, False], POSITIONS)
    assert occupancy.bodies == 2 and occupancy.tailgating


def test_one_group_longer_than_a_person_is_two_bodies() -> None:
    occupancy = analyse([False, True, True, True, True, False], POSITIONS)
    assert occupancy.bodies == 2 and occupancy.tailgating


def test_one_person_sized_group_is_one_body() -> None:
    assert analyse([False, True, True, False, False, False], POSITIONS).bodies == 1


def test_a_beam_breaking_ahead_of_a_body_is_forward_movement() -> None:
    assert movement([True, False, False], [True, True, False]) is Direction.FORWARD


def test_a_body_appearing_at_the_exit_is_the_wrong_way() -> None:
    assert movement([False, False, False], [False, False, True]) is Direction.BACKWARD


@settings(max_examples=100, deadline=None)
@given(st.lists(st.booleans(), min_size=3, max_size=10))
def test_body_count_is_at_least_the_number_of_groups(broken: list[bool]) -> None:
    groups = sum(1 for i, b in enumerate(broken) if b and (i == 0 or not broken[i - 1]))
    occupancy = analyse(broken, default_positions(len(broken)))
    assert occupancy.bodies >= groups and (occupancy.bodies == 0) == occupancy.is_clear


@pytest.fixture
def lane() -> Iterator[tuple[BeamArray, EmulatedLane, ManualClock]]:
    reset_emulated()
    clock = emulated_clock()
    beams = BeamArray(PINS, backend="emulated")
    emulated = EmulatedLane(pin_factory("emulated"), PINS, beams.positions, clock)
    yield beams, emulated, clock
    beams.close()
    reset_emulated()


Lane = tuple[BeamArray, EmulatedLane, ManualClock]


def test_a_single_passenger_walks_through_without_alarms(lane: Lane) -> None:
    beams, emulated, clock = lane
    events: list[str] = []
    beams.when_entered = lambda: events.append("entered")
    beams.when_tailgating = lambda: events.append("tailgating")
    beams.when_wrong_way = lambda: events.append("wrong way")
    beams.when_cleared = lambda: events.append("cleared")
    emulated.walk_in(speed=1.0, length=0.4)
    clock.advance(1.0)
    inside = beams.occupancy
    clock.advance(2.0)
    assert inside.inside and inside.bodies == 1
    assert events == ["entered", "cleared"]


def test_a_passenger_walking_through_moves_forward(lane: Lane) -> None:
    beams, emulated, clock = lane
    emulated.walk_in()
    clock.advance(0.9)
    assert beams.direction is Direction.FORWARD


def test_a_second_person_close_behind_is_tailgating(lane: Lane) -> None:
    beams, emulated, clock = lane
    alarms: list[int] = []
    beams.when_tailgating = lambda: alarms.append(beams.occupancy.bodies)
    emulated.walk_in(speed=0.8, length=0.4)
    emulated.walk_in(speed=0.8, length=0.4, gap=0.25)
    clock.advance(2.0)
    assert alarms and alarms[0] >= 2


def test_someone_entering_from_the_exit_is_the_wrong_way(lane: Lane) -> None:
    beams, emulated, clock = lane
    wrong: list[Direction | None] = []
    beams.when_wrong_way = lambda: wrong.append(beams.direction)
    emulated.walk_in_wrong_way()
    clock.advance(0.5)
    assert wrong and wrong[0] is Direction.BACKWARD


def test_a_passenger_standing_still_inside_stays_one_body(lane: Lane) -> None:
    beams, emulated, clock = lane
    emulated.add(Walker(position=0.9, speed=0.0, length=0.4))
    clock.advance(1.0)
    assert beams.occupancy.inside and beams.occupancy.bodies == 1


def test_too_few_beams_for_the_zones_is_a_config_error() -> None:
    reset_emulated()
    with pytest.raises(BoardConfigError, match="at least 3"):
        BeamArray((4, 17), backend="emulated")


def test_a_trolley_pushed_by_one_passenger_reads_as_two_bodies(lane: Lane) -> None:
    # Deliberate: beams cannot tell a trolley from a second person, and a false alarm is preferred
    # to a missed tailgater (vendor practice, shared/notes/hardware-protocols.md).
    beams, emulated, clock = lane
    emulated.add(Walker(position=0.2, speed=0.0, length=0.4))
    emulated.add(Walker(position=0.8, speed=0.0, length=0.8, kind="trolley"))
    clock.advance(0.1)
    assert beams.occupancy.bodies == 2 and beams.occupancy.tailgating


def test_a_small_bag_carried_close_stays_one_body(lane: Lane) -> None:
    beams, emulated, clock = lane
    emulated.add(Walker(position=0.6, speed=0.0, length=0.4))
    emulated.add(Walker(position=0.9, speed=0.0, length=0.2, kind="bag"))
    clock.advance(0.1)
    assert beams.occupancy.bodies == 1
