"""The door controller's safety rules, on the real firmware with the shim's clock advanced by hand."""

from __future__ import annotations

from emulator.doorctl import DoorControllerRig
from hal.firmware import protocol as p
from tests.hal.firmware.conftest import Board

ENTRANCE, EXIT = p.LEAF_ENTRANCE, p.LEAF_EXIT
TRAVEL_MS = 600  # the rig's default leaf travel time


def open_entrance(board: Board) -> None:
    assert board.set_leaf(ENTRANCE, p.TARGET_OPEN) == p.RESULT_OK
    board.run_with_heartbeats(TRAVEL_MS + 100)
    assert board.rig.leaves[ENTRANCE].is_open


# Power-up and plain commands ----------------------------------------------------------------------


def test_outputs_start_low_motors_off_and_locks_released(rig: DoorControllerRig) -> None:
    rig.run(50)
    assert [rig.motor_on(leaf) for leaf in (ENTRANCE, EXIT)] == [False, False]
    assert [rig.lock_engaged(leaf) for leaf in (ENTRANCE, EXIT)] == [False, False]


def test_open_command_drives_the_leaf_to_its_open_switch_and_stops(board: Board) -> None:
    open_entrance(board)
    assert not board.rig.motor_on(ENTRANCE)
    assert board.states[-1][5][ENTRANCE] == p.POS_OPEN


def test_locked_target_engages_the_lock_once_the_leaf_is_closed(board: Board) -> None:
    open_entrance(board)
    assert board.set_leaf(ENTRANCE, p.TARGET_LOCKED) == p.RESULT_OK
    board.run_with_heartbeats(TRAVEL_MS // 2)
    assert not board.rig.lock_engaged(ENTRANCE)
    board.run_with_heartbeats(TRAVEL_MS)
    assert board.rig.leaves[ENTRANCE].is_closed
    assert board.rig.lock_engaged(ENTRANCE)


def test_open_command_releases_the_lock_before_the_motor_runs(board: Board) -> None:
    assert board.set_leaf(EXIT, p.TARGET_LOCKED) == p.RESULT_OK
    board.run_with_heartbeats(20)
    assert board.rig.lock_engaged(EXIT)
    assert board.set_leaf(EXIT, p.TARGET_OPEN) == p.RESULT_OK
    assert not board.rig.lock_engaged(EXIT)


# Interlock ----------------------------------------------------------------------------------------


def test_interlock_refuses_to_open_a_leaf_while_the_other_is_open(board: Board) -> None:
    open_entrance(board)
    assert board.set_leaf(EXIT, p.TARGET_OPEN) == p.RESULT_INTERLOCK
    board.run_with_heartbeats(TRAVEL_MS)
    assert board.rig.leaves[EXIT].is_closed
    assert not board.rig.motor_on(EXIT)


def test_interlock_refuses_to_open_a_leaf_while_the_other_is_still_closing(board: Board) -> None:
    open_entrance(board)
    assert board.set_leaf(ENTRANCE, p.TARGET_CLOSED) == p.RESULT_OK
    board.run_with_heartbeats(TRAVEL_MS // 2)
    assert board.set_leaf(EXIT, p.TARGET_OPEN) == p.RESULT_INTERLOCK


def test_interlock_allows_the_other_leaf_once_the_first_is_closed(board: Board) -> None:
    open_entrance(board)
    board.set_leaf(ENTRANCE, p.TARGET_CLOSED)
    board.run_with_heartbeats(TRAVEL_MS + 100)
    assert board.set_leaf(EXIT, p.TARGET_OPEN) == p.RESULT_OK
    board.run_with_heartbeats(TRAVEL_MS + 100)
    assert board.rig.leaves[EXIT].is_open
    assert board.rig.leaves[ENTRANCE].is_closed


def test_interlock_refuses_two_open_commands_given_together(board: Board) -> None:
    assert board.set_leaf(ENTRANCE, p.TARGET_OPEN) == p.RESULT_OK
    assert board.set_leaf(EXIT, p.TARGET_OPEN) == p.RESULT_INTERLOCK


def test_configuration_with_both_leaves_open_as_safe_state_is_refused(board: Board) -> None:
    assert board.configure(1000, 2000, p.TARGET_OPEN, p.TARGET_OPEN) == p.RESULT_INTERLOCK


# Obstruction --------------------------------------------------------------------------------------


def test_obstruction_stops_a_closing_leaf_within_one_loop(board: Board) -> None:
    open_entrance(board)
    board.set_leaf(ENTRANCE, p.TARGET_CLOSED)
    board.run_with_heartbeats(TRAVEL_MS // 2)
    rig = board.rig
    assert rig.motor_on(ENTRANCE) and not rig.motor_opening(ENTRANCE)
    rig.set_obstructed(ENTRANCE, True)
    rig.run(rig.poll_ms)
    assert not (rig.motor_on(ENTRANCE) and not rig.motor_opening(ENTRANCE))


def test_obstruction_reopens_the_leaf_fully_and_reports_it(board: Board) -> None:
    open_entrance(board)
    board.set_leaf(ENTRANCE, p.TARGET_CLOSED)
    board.run_with_heartbeats(TRAVEL_MS // 2)
    board.rig.set_obstructed(ENTRANCE, True)
    board.run_with_heartbeats(TRAVEL_MS)
    assert board.rig.leaves[ENTRANCE].is_open
    assert (p.FAULT_OBSTRUCTION, ENTRANCE, 0) in board.faults


def test_obstructed_leaf_does_not_start_closing(board: Board) -> None:
    open_entrance(board)
    board.rig.set_obstructed(ENTRANCE, True)
    board.set_leaf(ENTRANCE, p.TARGET_CLOSED)
    board.run_with_heartbeats(TRAVEL_MS)
    assert board.rig.leaves[ENTRANCE].is_open


def test_obstruction_does_not_stop_an_opening_leaf(board: Board) -> None:
    board.rig.set_obstructed(ENTRANCE, True)
    open_entrance(board)
    assert p.FAULT_OBSTRUCTION not in board.fault_codes()


# Fire alarm ---------------------------------------------------------------------------------------


def test_fire_alarm_opens_both_leaves_and_releases_the_locks(board: Board) -> None:
    board.set_leaf(EXIT, p.TARGET_LOCKED)
    board.run_with_heartbeats(20)
    board.rig.set_fire(True)
    board.run_with_heartbeats(TRAVEL_MS + 100)
    rig = board.rig
    assert rig.leaves[ENTRANCE].is_open and rig.leaves[EXIT].is_open
    assert not rig.lock_engaged(ENTRANCE) and not rig.lock_engaged(EXIT)
    assert board.mode == p.MODE_FIRE
    assert p.FAULT_FIRE_ALARM in board.fault_codes()


def test_fire_mode_refuses_board_commands_to_close_or_lock(board: Board) -> None:
    board.rig.set_fire(True)
    board.run_with_heartbeats(TRAVEL_MS + 100)
    assert board.set_leaf(ENTRANCE, p.TARGET_CLOSED) == p.RESULT_FIRE_MODE
    assert board.set_leaf(EXIT, p.TARGET_LOCKED) == p.RESULT_FIRE_MODE
    board.run_with_heartbeats(TRAVEL_MS)
    assert board.rig.leaves[ENTRANCE].is_open and board.rig.leaves[EXIT].is_open


def test_fire_alarm_opens_the_leaves_even_with_the_board_silent(rig: DoorControllerRig) -> None:
    rig.set_fire(True)
    rig.run(5000)
    assert rig.leaves[ENTRANCE].is_open and rig.leaves[EXIT].is_open


def test_a_cut_fire_alarm_wire_counts_as_fire(rig: DoorControllerRig) -> None:
    # The contact is normally closed to ground: a cut wire lets the pull-up read "alarm".
    rig.shim.release(rig.pins.PIN_FIRE)
    rig.controller.poll()
    assert rig.controller.safety.mode == p.MODE_FIRE


def test_fire_mode_stays_latched_after_the_contact_clears(board: Board) -> None:
    board.rig.set_fire(True)
    board.run_with_heartbeats(TRAVEL_MS + 100)
    board.rig.set_fire(False)
    board.run_with_heartbeats(2000)
    assert board.mode == p.MODE_FIRE
    assert board.rig.leaves[ENTRANCE].is_open and board.rig.leaves[EXIT].is_open


def test_fire_reset_is_refused_while_the_contact_is_active(board: Board) -> None:
    board.rig.set_fire(True)
    board.run_with_heartbeats(100)
    assert board.command(p.MSG_RESET_FIRE) == p.RESULT_FIRE_ACTIVE
    assert board.mode == p.MODE_FIRE


def test_fire_reset_closes_both_leaves_then_returns_to_normal(board: Board) -> None:
    board.rig.set_fire(True)
    board.run_with_heartbeats(TRAVEL_MS + 100)
    board.rig.set_fire(False)
    board.run_with_heartbeats(20)
    assert board.command(p.MSG_RESET_FIRE) == p.RESULT_OK
    board.run_with_heartbeats(TRAVEL_MS + 100)
    assert board.rig.leaves[ENTRANCE].is_closed and board.rig.leaves[EXIT].is_closed
    assert board.mode == p.MODE_NORMAL


# Heartbeat loss -----------------------------------------------------------------------------------


def test_leaves_hold_while_heartbeats_keep_coming(board: Board) -> None:
    board.run_with_heartbeats(10_000, every_ms=500)
    assert board.mode == p.MODE_NORMAL
    assert board.rig.leaves[ENTRANCE].is_closed


def test_no_failsafe_before_the_configured_timeout(board: Board) -> None:
    board.rig.run(900)
    board.collect()
    assert board.mode == p.MODE_NORMAL
    assert not board.rig.motor_on(ENTRANCE)


def test_heartbeat_loss_drives_the_leaves_to_the_configured_safe_state(board: Board) -> None:
    # Configured in the fixture: entrance OPEN, exit LOCKED (SOP-003-A08 step 7 release path).
    board.rig.run(1000 + TRAVEL_MS + 200)
    board.collect()
    assert board.mode == p.MODE_FAILSAFE
    assert board.rig.leaves[ENTRANCE].is_open
    assert board.rig.leaves[EXIT].is_closed and board.rig.lock_engaged(EXIT)


def test_heartbeat_loss_uses_another_configured_safe_state(board: Board) -> None:
    open_entrance(board)
    assert board.configure(500, 2000, p.TARGET_LOCKED, p.TARGET_LOCKED) == p.RESULT_OK
    board.rig.run(500 + TRAVEL_MS + 200)
    assert board.rig.leaves[ENTRANCE].is_closed and board.rig.lock_engaged(ENTRANCE)
    assert board.rig.leaves[EXIT].is_closed and board.rig.lock_engaged(EXIT)


def test_safe_state_closes_the_open_leaf_before_opening_the_other(board: Board) -> None:
    assert board.set_leaf(EXIT, p.TARGET_OPEN) == p.RESULT_OK
    board.run_with_heartbeats(TRAVEL_MS + 100)
    rig = board.rig
    rig.run(1001)  # the heartbeat stops; the safe state wants the entrance open and the exit locked
    while not rig.leaves[EXIT].is_closed:
        assert not rig.motor_on(ENTRANCE)
        assert rig.leaves[ENTRANCE].is_closed
        rig.run(rig.poll_ms)
    rig.run(TRAVEL_MS + 100)
    assert rig.leaves[ENTRANCE].is_open and rig.lock_engaged(EXIT)


def test_returning_board_is_told_the_outage_and_its_length(board: Board) -> None:
    board.heartbeat()
    board.rig.run(3000)
    board.heartbeat()
    lost = [f for f in board.faults if f[0] == p.FAULT_HEARTBEAT_LOST]
    assert lost == [(p.FAULT_HEARTBEAT_LOST, p.LEAF_NONE, 3000)]


def test_heartbeat_loss_stays_latched_in_state_reports_until_cleared(board: Board) -> None:
    board.rig.run(3000)
    board.run_with_heartbeats(500)
    assert board.states[-1][2] == p.FAULT_HEARTBEAT_LOST
    assert board.command(p.MSG_CLEAR_FAULT) == p.RESULT_OK
    board.run_with_heartbeats(20)
    assert board.states[-1][2] == p.FAULT_NONE


def test_returning_board_regains_command_with_the_leaves_left_in_safe_state(board: Board) -> None:
    board.rig.run(3000)
    board.heartbeat()
    assert board.mode == p.MODE_NORMAL
    assert board.rig.leaves[ENTRANCE].is_open  # nothing moves until the board decides
    assert board.set_leaf(ENTRANCE, p.TARGET_CLOSED) == p.RESULT_OK


def test_no_heartbeat_since_power_up_also_leads_to_the_safe_state() -> None:
    rig = DoorControllerRig()
    rig.run(1500 + TRAVEL_MS + 200)  # the firmware's default timeout is 1.5 s
    assert rig.controller.safety.mode == p.MODE_FAILSAFE
    assert rig.leaves[ENTRANCE].is_open and rig.lock_engaged(EXIT)


def test_heartbeat_timing_survives_the_tick_counter_wrapping() -> None:
    rig = DoorControllerRig(start_ms=(1 << 30) - 300)  # MicroPython's ticks_ms wraps at 2**30
    board = Board(rig)
    board.configure(1000, 2000, p.TARGET_OPEN, p.TARGET_LOCKED)
    board.run_with_heartbeats(2000)
    assert board.mode == p.MODE_NORMAL
    rig.run(1100)
    board.collect()
    assert board.mode == p.MODE_FAILSAFE


def test_fire_overrides_the_safe_state_during_heartbeat_loss(board: Board) -> None:
    board.rig.run(1000 + TRAVEL_MS + 200)
    board.rig.set_fire(True)
    board.rig.run(TRAVEL_MS + 100)
    assert board.rig.leaves[EXIT].is_open and board.rig.leaves[ENTRANCE].is_open
    assert not board.rig.lock_engaged(EXIT)


# Motor protection and wiring faults ---------------------------------------------------------------


def test_a_jammed_leaf_stops_its_motor_after_the_motor_timeout(board: Board) -> None:
    board.rig.jam(ENTRANCE)
    board.set_leaf(ENTRANCE, p.TARGET_OPEN)
    board.run_with_heartbeats(1900)
    assert board.rig.motor_on(ENTRANCE)
    board.run_with_heartbeats(300)
    assert not board.rig.motor_on(ENTRANCE)
    assert p.FAULT_MOTOR_TIMEOUT in board.fault_codes()


def test_contradictory_position_switches_stop_the_leaf_and_are_reported(board: Board) -> None:
    rig = board.rig
    board.set_leaf(ENTRANCE, p.TARGET_OPEN)
    rig.run(rig.poll_ms)
    rig.shim.drive(rig.pins.PINS_OPENED[ENTRANCE], 0)
    rig.shim.drive(rig.pins.PINS_CLOSED[ENTRANCE], 0)
    rig.shim.advance(rig.poll_ms)
    rig.controller.poll()
    rig.shim.advance(rig.poll_ms)
    rig.controller.poll()
    assert not rig.motor_on(ENTRANCE)
    assert board.fault_codes().count(p.FAULT_SWITCH_CONFLICT) == 1  # reported once, not every loop


# The link itself ----------------------------------------------------------------------------------


def test_frames_with_a_bad_crc_are_ignored_and_counted(board: Board) -> None:
    frame = bytearray(p.encode_frame(p.MSG_SET_LEAF, p.encode_set_leaf(77, ENTRANCE, p.TARGET_OPEN)))
    frame[-1] ^= 0xFF
    board.rig.write(bytes(frame))
    board.collect()
    assert 77 not in board.acks
    assert (p.FAULT_FRAME_ERROR, p.LEAF_NONE, 1) in board.faults
    assert not board.rig.motor_on(ENTRANCE)


def test_unknown_message_types_are_refused(board: Board) -> None:
    assert board.command(0x42) == p.RESULT_UNKNOWN_TYPE


def test_malformed_set_leaf_is_refused(board: Board) -> None:
    assert board.command(p.MSG_SET_LEAF, bytes([9, p.TARGET_OPEN])) == p.RESULT_BAD_REQUEST


def test_get_state_is_answered_with_a_state_report(board: Board) -> None:
    before = len(board.states)
    assert board.command(p.MSG_GET_STATE) == p.RESULT_OK
    assert len(board.states) == before + 1


def test_state_reports_keep_coming_while_nothing_changes(board: Board) -> None:
    before = len(board.states)
    board.run_with_heartbeats(1000)
    assert len(board.states) - before >= 1000 // 250 - 1
