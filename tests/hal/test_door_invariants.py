"""Door invariants under random command sequences (emulated backend, hand-advanced clock)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.devices.door import EmulatedDoorLeaf
from hal.backend import emulated_clock, pin_factory, reset_emulated
from hal.door import DoorPins, DoorState, FailMode, GateDoor
from hal.errors import DoorError

PINS = DoorPins(motor_open=5, motor_close=6, lock=13, open_switch=19, closed_switch=26, obstruction=21)
ACTIONS = st.lists(
    st.one_of(
        st.sampled_from(["open", "close", "lock", "unlock", "obstruct", "clear"]),
        st.floats(min_value=0.01, max_value=1.5),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(ACTIONS, st.sampled_from(list(FailMode)))
def test_a_free_leaf_never_faults_and_its_state_matches_its_switches(
    actions: list[str | float], fail_mode: FailMode
) -> None:
    reset_emulated()
    clock, factory = emulated_clock(), pin_factory("emulated")
    door = GateDoor(PINS, fail_mode=fail_mode, backend="emulated")
    leaf = EmulatedDoorLeaf(factory, PINS, clock, fail_mode=fail_mode)
    clock.advance(leaf.tick)
    try:
        for action in actions:
            if isinstance(action, float):
                clock.advance(action)
            elif action in ("obstruct", "clear"):
                leaf.obstruct(action == "obstruct")
            else:
                try:
                    getattr(door, action)()
                except DoorError as exc:
                    assert "unlock" in str(exc)  # the only refusal a healthy leaf may give
            motor_open, motor_close = factory.pin(PINS.motor_open).state, factory.pin(PINS.motor_close).state
            assert not (motor_open and motor_close), "both motor directions driven at once"
            assert door.state is not DoorState.FAULT, door.fault
            if door.state is DoorState.OPEN:
                assert door.is_open
            if door.state is DoorState.CLOSED:
                assert door.is_closed
            if door.is_locked:
                assert door.is_closed, "a lock engaged on a leaf that is not closed"
    finally:
        door.close_device()
        reset_emulated()
