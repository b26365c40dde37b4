"""Hypothesis drives the real firmware through random commands, faults and time; the interlock and fire
rules must hold after every loop of the controller."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from emulator.doorctl import DoorControllerRig
from hal.firmware import protocol as p
from tests.hal.firmware.conftest import Board

LEAVES = (p.LEAF_ENTRANCE, p.LEAF_EXIT)
FIRE_MODES = (p.MODE_FIRE, p.MODE_FIRE_RESET)


class DoorControllerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.rig = DoorControllerRig(travel_ms=300)
        self.board = Board(self.rig)
        self.violations: list[str] = []

    # Actions --------------------------------------------------------------------------------------

    @rule(leaf=st.sampled_from(LEAVES), wanted=st.sampled_from(p.TARGETS))
    def board_commands_a_leaf(self, leaf: int, wanted: int) -> None:
        self.board.set_leaf(leaf, wanted)

    @rule()
    def board_sends_a_heartbeat(self) -> None:
        self.board.heartbeat()

    @rule(
        heartbeat_ms=st.sampled_from([200, 1000]),
        safe=st.tuples(st.sampled_from(p.TARGETS), st.sampled_from(p.TARGETS)),
    )
    def board_configures(self, heartbeat_ms: int, safe: tuple[int, int]) -> None:
        self.board.configure(heartbeat_ms, 1000, *safe)

    @rule()
    def board_resets_fire_mode(self) -> None:
        self.board.command(p.MSG_RESET_FIRE)

    @rule(active=st.booleans())
    def fire_contact_changes(self, active: bool) -> None:
        self.rig.set_fire(active)

    @rule(leaf=st.sampled_from(LEAVES), obstructed=st.booleans())
    def obstruction_changes(self, leaf: int, obstructed: bool) -> None:
        self.rig.set_obstructed(leaf, obstructed)

    @rule(ms=st.integers(min_value=5, max_value=600))
    def time_passes(self, ms: int) -> None:
        # Loop by loop, so a rule broken for a single loop is still seen.
        for _ in range(0, ms, self.rig.poll_ms):
            self.rig.run(self.rig.poll_ms)
            self.check_every_loop()

    # Invariants -----------------------------------------------------------------------------------

    def check_every_loop(self) -> None:
        rig, safety = self.rig, self.rig.controller.safety
        if safety.mode not in FIRE_MODES:
            not_closed = [leaf for leaf in LEAVES if not rig.leaves[leaf].is_closed]
            if len(not_closed) == 2:
                self.violations.append("both leaves open outside fire mode")
            for leaf in LEAVES:
                other = 1 - leaf
                if rig.motor_on(leaf) and rig.motor_opening(leaf) and not rig.leaves[other].is_closed:
                    self.violations.append(f"leaf {leaf} driven open while leaf {other} is not closed")
        if rig.fire:
            if safety.mode != p.MODE_FIRE:
                self.violations.append("fire contact active but not in fire mode")
            for leaf in LEAVES:
                if rig.motor_on(leaf) and not rig.motor_opening(leaf):
                    self.violations.append(f"leaf {leaf} driven closed during a fire alarm")
                if rig.lock_engaged(leaf):
                    self.violations.append(f"leaf {leaf} locked during a fire alarm")
        for leaf in LEAVES:
            if rig.obstructed[leaf] and rig.motor_on(leaf) and not rig.motor_opening(leaf):
                self.violations.append(f"leaf {leaf} driven closed into an obstruction")

    @invariant()
    def no_rule_was_broken(self) -> None:
        assert self.violations == []


TestDoorControllerInvariants = DoorControllerMachine.TestCase
TestDoorControllerInvariants.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
