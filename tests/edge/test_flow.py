"""The gate flow, branch by branch (SOP-003-A08, cekal per SOP-003-A03), on a simulated lane."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.documents import parse_mrz
from edge.flow import Direction, DocumentCheck, FlowPolicy, GateFlow, MiripPolicy, Verdict
from edge.machine import Machine, MachineDefinitionError, State
from tests.edge.lane import Lane, check, passport


def passed_lane() -> Lane:
    lane = Lane()
    lane.scan()
    lane.walk_in()
    lane.advance(3.0)
    return lane


# -- step 1-3: the document -------------------------------------------------------------------------


def test_an_idle_gate_invites_the_passenger_to_scan() -> None:
    lane = Lane()
    assert lane.state == "awaiting_document"
    assert lane.display.current == "scan_passport"
    assert lane.entry.locked


def test_an_unreadable_document_keeps_the_entrance_shut_and_directs_to_a_counter() -> None:
    lane = Lane()
    lane.scan(DocumentCheck(None))
    assert lane.state == "document_rejected"
    assert lane.display.current == "document_unreadable"
    assert lane.entry.commands == ["lock"]
    assert lane.recorder.of("rejected_attempt")[0]["reason"] == "document_unreadable"


def test_a_document_with_a_bad_check_digit_is_rejected_as_invalid() -> None:
    good = passport()
    bad_line = good.lines[1][:9] + ("0" if good.lines[1][9] != "0" else "1") + good.lines[1][10:]
    lane = Lane()
    lane.scan(check(parse_mrz([good.lines[0], bad_line])))
    assert lane.display.current == "document_invalid"


def test_an_expired_passport_is_rejected() -> None:
    lane = Lane()
    lane.scan(check(passport(expiry=date(2020, 1, 1))))
    assert lane.display.current == "document_expired"
    assert lane.entry.position == "closed"


def test_expiry_is_judged_on_the_office_s_local_day_not_the_utc_date() -> None:
    # 18:00 UTC on 31 May is 01:00 WIB on 1 June: a passport valid through 31 May has expired in Jakarta.
    evening_utc = datetime(2030, 5, 31, 18, 0, tzinfo=UTC)
    lane = Lane(start=evening_utc)
    lane.scan(check(passport(expiry=date(2030, 5, 31))))
    assert lane.display.current == "document_expired"
    utc_office = Lane(FlowPolicy(timezone="UTC"), start=evening_utc)  # a (hypothetical) office on UTC
    utc_office.scan(check(passport(expiry=date(2030, 5, 31))))
    assert utc_office.state != "document_rejected"


def test_a_foreign_passport_is_not_eligible_by_default() -> None:
    lane = Lane()
    lane.scan(check(passport(issuing_state="MYS")))
    assert lane.recorder.of("rejected_attempt")[0]["reason"] == "document_not_eligible"


def test_a_policy_can_admit_other_passport_holders() -> None:
    lane = Lane(FlowPolicy(extra_issuers=frozenset({"MYS"})))
    lane.scan(check(passport(issuing_state="MYS")))
    assert lane.state == "admitting"


def test_after_a_rejection_the_gate_waits_for_the_next_passenger() -> None:
    lane = Lane()
    lane.scan(DocumentCheck(None))
    lane.advance(5.0)
    assert lane.state == "awaiting_document"


# -- step 4: entrance ------------------------------------------------------------------------------


def test_an_accepted_document_opens_the_entrance_and_fetches_the_enrolment() -> None:
    lane = Lane()
    lane.scan()
    lane.advance(1.0)
    assert lane.entry.position == "open"
    assert lane.enrolments.requested == ["X1234567"]


def test_the_entrance_closes_once_the_passenger_is_inside() -> None:
    lane = Lane()
    lane.scan()
    lane.walk_in()
    assert lane.entry.position == "closed"


def test_a_passenger_who_walks_away_lets_the_lane_reset() -> None:
    lane = Lane()
    lane.scan()
    lane.advance(15.0)
    lane.advance(1.0)
    assert lane.state == "awaiting_document"
    assert lane.recorder.of("crossing")[0]["outcome"] == "abandoned"


def test_an_obstructed_entrance_stops_reopens_and_closes_again() -> None:
    lane = Lane()
    lane.scan()
    lane.advance(1.0)
    lane.send("passenger_entered")
    lane.advance(0.3)
    lane.entry.block()
    assert lane.state == "reopening_entry"
    lane.advance(0.5)
    assert lane.entry.position == "open"
    lane.entry.block(False)
    lane.advance(2.0 + 1.0)
    assert lane.entry.position == "closed"
    assert lane.state in ("verifying_fingerprint", "verifying_face")


def test_a_door_that_never_reports_closed_takes_the_lane_out_of_service() -> None:
    lane = Lane(travel_s=10.0)
    lane.scan()
    lane.advance(10.0)
    lane.send("passenger_entered")
    lane.advance(3.0)
    assert lane.state == "out_of_service"
    assert "out_of_service" in lane.recorder.alarms()


# -- steps 5-8: the happy path ---------------------------------------------------------------------


def test_a_verified_passenger_gets_the_exit_and_a_crossing_record() -> None:
    lane = passed_lane()
    assert lane.state == "exiting"
    lane.advance(1.0)
    assert lane.exit.position == "open"
    [crossing] = lane.recorder.of("crossing")
    assert crossing["outcome"] == "passed"
    assert crossing["direction"] == "departure"
    assert crossing["document_number"] == "X1234567"
    assert crossing["timings"]["total_s"] > 0


def test_the_crossing_direction_comes_from_the_policy() -> None:
    lane = Lane(FlowPolicy(direction=Direction.ARRIVAL))
    lane.scan()
    lane.walk_in()
    lane.advance(3.0)
    assert lane.recorder.of("crossing")[0]["direction"] == "arrival"


def test_after_the_passenger_leaves_the_exit_closes_and_the_gate_is_ready() -> None:
    lane = passed_lane()
    lane.walk_out()
    assert lane.state == "awaiting_document"
    assert lane.exit.position == "closed"


def test_an_obstructed_exit_reopens() -> None:
    lane = passed_lane()
    lane.walk_out()
    lane2 = passed_lane()
    lane2.advance(1.0)
    lane2.send("passenger_exited")
    lane2.advance(0.2)
    lane2.exit.block()
    assert lane2.state == "reopening_exit"
    lane2.exit.block(False)
    lane2.advance(4.0)
    assert lane2.state == "awaiting_document"


# -- biometric failures and retries ----------------------------------------------------------------


def test_a_failed_fingerprint_asks_the_supervisor_for_a_retry() -> None:
    lane = Lane()
    lane.biometrics.fingerprint = [False]
    lane.scan()
    lane.walk_in()
    lane.advance(1.0)
    assert lane.state == "awaiting_fingerprint_retry"
    assert lane.recorder.of("retry_request")[0]["step"] == "fingerprint"


def test_a_granted_retry_captures_the_fingerprint_again() -> None:
    lane = Lane()
    lane.biometrics.fingerprint = [False, True]
    lane.scan()
    lane.walk_in()
    lane.advance(1.0)
    assert lane.flow.command("grant_retry")
    lane.advance(3.0)
    assert lane.state == "exiting"


def test_a_denied_retry_reopens_the_entrance_and_redirects() -> None:
    lane = Lane()
    lane.biometrics.fingerprint = [False]
    lane.scan()
    lane.walk_in()
    lane.advance(1.0)
    lane.flow.command("deny_retry")
    lane.advance(1.0)
    assert lane.state == "releasing_to_counter"
    assert lane.entry.position == "open"
    assert lane.display.current == "go_to_counter"
    assert lane.recorder.of("crossing")[-1]["reason"] == "fingerprint_not_verified"


def test_no_supervisor_answer_redirects_after_the_decision_time() -> None:
    lane = Lane()
    lane.biometrics.fingerprint = [False]
    lane.scan()
    lane.walk_in()
    lane.advance(1.0 + 30.0)
    assert lane.state == "releasing_to_counter"


def test_after_the_allowed_attempts_the_passenger_is_redirected_without_asking() -> None:
    lane = Lane(FlowPolicy(fingerprint_attempts=1))
    lane.biometrics.fingerprint = [False]
    lane.scan()
    lane.walk_in()
    lane.advance(1.0)
    assert lane.state == "releasing_to_counter"
    assert lane.recorder.of("retry_request") == []


def test_a_failed_face_follows_the_same_retry_rule() -> None:
    lane = Lane()
    lane.biometrics.face = [False, False]
    lane.scan()
    lane.walk_in()
    lane.advance(2.0)
    assert lane.state == "awaiting_face_retry"
    lane.flow.command("grant_retry")
    lane.advance(1.0)
    assert lane.state == "releasing_to_counter"
    assert lane.recorder.of("crossing")[-1]["reason"] == "face_not_verified"


def test_a_capture_that_never_answers_counts_as_a_failure() -> None:
    lane = Lane(FlowPolicy(fingerprint_attempts=1))
    lane.biometrics.auto = False
    lane.scan()
    lane.walk_in()
    lane.advance(15.0)
    assert lane.state == "releasing_to_counter"


def test_a_redirected_passenger_who_steps_out_lets_the_lane_reset() -> None:
    lane = Lane(FlowPolicy(fingerprint_attempts=1))
    lane.biometrics.fingerprint = [False]
    lane.scan()
    lane.walk_in()
    lane.advance(2.0)
    lane.step_back_out()
    assert lane.state == "awaiting_document"
    assert lane.entry.position == "closed"


# -- enrolment record ------------------------------------------------------------------------------


def test_no_enrolment_record_redirects_by_default() -> None:
    lane = Lane()
    lane.enrolments.available = False
    lane.scan()
    lane.walk_in()
    assert lane.state == "releasing_to_counter"
    assert lane.biometrics.started == []
    assert lane.recorder.of("crossing")[0]["reason"] == "no_enrolment_record"


def test_an_enrolment_fetch_that_does_not_answer_in_time_redirects() -> None:
    lane = Lane()
    lane.enrolments.auto = False
    lane.scan()
    lane.walk_in()
    assert lane.state == "awaiting_enrolment"
    lane.advance(3.0)
    assert lane.state == "releasing_to_counter"


def test_a_late_enrolment_record_starts_the_fingerprint() -> None:
    lane = Lane()
    lane.enrolments.auto = False
    lane.scan()
    lane.walk_in()
    lane.send("enrolment_ready", record={"doc": "X"})
    assert lane.state == "verifying_fingerprint"


# -- watch list (cekal) ----------------------------------------------------------------------------


def cekal_lane() -> Lane:
    lane = Lane()
    lane.scan(check(verdict=Verdict.IDENTICAL, instructions="hand over to agency X"))
    lane.walk_in()
    return lane


def test_a_cekal_identik_passenger_is_admitted_then_locked_in() -> None:
    lane = cekal_lane()
    assert lane.state == "held_cekal"
    assert lane.entry.locked and lane.exit.locked
    assert lane.display.current == "please_wait"


def test_a_cekal_hold_raises_a_critical_alarm_with_the_list_instructions() -> None:
    lane = cekal_lane()
    [alarm] = [a for a in lane.recorder.of("alarm") if a["alarm"] == "cekal_identik"]
    assert alarm["priority"] == "critical"
    assert alarm["instructions"] == "hand over to agency X"
    assert alarm["document_number"] == "X1234567"


def test_a_cekal_hold_never_times_out_into_freedom() -> None:
    lane = cekal_lane()
    lane.advance(3600.0)
    assert lane.state == "held_cekal"
    assert lane.exit.position == "closed"
    assert lane.recorder.alarms().count("cekal_identik") > 1, "the alarm is raised again until handled"


def test_only_a_supervisor_release_lets_a_cekal_passenger_out_to_the_counter_side() -> None:
    lane = cekal_lane()
    assert lane.flow.command("release_held")
    lane.advance(1.0)
    assert lane.state == "releasing_to_counter"
    assert lane.entry.position == "open" and lane.exit.position == "closed"
    assert lane.recorder.of("crossing")[-1]["reason"] == "supervisor_release_cekal"


def test_a_possible_match_is_held_for_review_by_default() -> None:
    lane = Lane()
    lane.scan(check(verdict=Verdict.POSSIBLE))
    lane.walk_in()
    assert lane.state == "held_for_review"
    assert "watchlist_review" in lane.recorder.alarms()


def test_a_cleared_review_continues_to_the_biometrics() -> None:
    lane = Lane()
    lane.scan(check(verdict=Verdict.POSSIBLE))
    lane.walk_in()
    lane.flow.command("clear_review")
    lane.advance(3.0)
    assert lane.state == "exiting"


def test_a_possible_match_under_the_redirect_policy_keeps_the_entrance_shut() -> None:
    lane = Lane(FlowPolicy(mirip=MiripPolicy.REDIRECT))
    lane.scan(check(verdict=Verdict.POSSIBLE))
    assert lane.state == "document_rejected"
    assert lane.display.current == "manual_counter"
    assert "watchlist_possible_match" in lane.recorder.alarms()


# -- intrusions, fire, faults ----------------------------------------------------------------------


def test_a_second_body_raises_an_alarm_and_holds_the_flow() -> None:
    lane = Lane()
    lane.biometrics.auto = False
    lane.scan()
    lane.walk_in()
    lane.send("second_body")
    assert lane.state == "intrusion_hold"
    assert "tailgating" in lane.recorder.alarms()
    lane.advance(100.0)
    assert lane.state == "intrusion_hold"


def test_a_cleared_tailgating_alarm_sends_the_passenger_back_to_the_counter() -> None:
    lane = Lane()
    lane.biometrics.auto = False
    lane.scan()
    lane.walk_in()
    lane.send("second_body")
    lane.advance(1.0)
    lane.flow.command("clear_alarm")
    assert lane.state == "releasing_to_counter"


def test_a_tailgating_alarm_cleared_on_a_cekal_subject_keeps_them_held() -> None:
    lane = Lane()
    lane.scan(check(verdict=Verdict.IDENTICAL))
    lane.advance(1.0)
    lane.send("passenger_entered")
    lane.send("second_body")
    lane.advance(1.0)
    lane.flow.command("clear_alarm")
    assert lane.state == "held_cekal"


def test_someone_coming_the_wrong_way_raises_an_alarm() -> None:
    lane = Lane()
    lane.send("wrong_way")
    assert lane.state == "intrusion_hold"
    assert "wrong_way" in lane.recorder.alarms()
    assert lane.display.current == "wrong_way"


def test_the_fire_alarm_opens_both_doors_within_a_second() -> None:
    lane = cekal_lane()
    lane.send("fire_alarm_raised")
    lane.advance(1.0)
    assert lane.entry.position == "open" and lane.exit.position == "open"
    assert lane.state == "fire_mode"


def test_doors_stay_open_until_the_fire_alarm_clears_then_the_lane_resets() -> None:
    lane = Lane()
    lane.send("fire_alarm_raised")
    lane.advance(600.0)
    assert lane.entry.position == "open" and lane.exit.position == "open"
    lane.send("fire_alarm_cleared")
    lane.advance(1.0)
    assert lane.state == "awaiting_document"


def test_a_door_fault_takes_the_lane_out_of_service_with_an_alarm() -> None:
    lane = Lane()
    lane.send("door_fault", detail="entry motor")
    assert lane.state == "out_of_service"
    assert lane.display.current == "out_of_service"
    assert "door_fault" in lane.recorder.alarms()


def test_a_door_fault_with_a_passenger_inside_opens_the_way_back() -> None:
    lane = Lane()
    lane.biometrics.auto = False
    lane.scan()
    lane.walk_in()
    lane.send("door_fault", detail="exit lock")
    lane.advance(1.0)
    assert lane.state == "out_of_service"
    assert lane.entry.position == "open"


def test_a_door_fault_does_not_release_a_held_cekal_subject() -> None:
    lane = cekal_lane()
    lane.send("door_fault", detail="exit")
    assert lane.state == "held_cekal"
    assert "door_fault" in lane.recorder.alarms()


def test_a_supervisor_brings_a_lane_back_into_service() -> None:
    lane = Lane()
    lane.send("door_fault")
    lane.flow.command("back_in_service")
    lane.advance(1.0)
    assert lane.state == "awaiting_document"


def test_a_supervisor_takes_an_idle_lane_out_of_service() -> None:
    lane = Lane()
    lane.flow.command("out_of_service")
    assert lane.state == "out_of_service"


def test_an_out_of_service_order_lets_the_current_passenger_finish_first() -> None:
    lane = Lane()
    lane.scan()
    lane.walk_in()
    lane.flow.command("out_of_service")
    lane.advance(3.0)
    assert lane.state == "exiting"
    lane.walk_out()
    assert lane.state == "out_of_service"


def test_a_full_outbox_stops_the_gate_until_it_drains() -> None:
    lane = Lane()
    lane.send("outbox_full")
    assert lane.state == "out_of_service"
    lane.send("outbox_drained")
    lane.advance(1.0)
    assert lane.state == "awaiting_document"


def test_a_lost_device_comes_back_into_service_when_restored() -> None:
    lane = Lane()
    lane.send("device_lost", detail="camera")
    assert lane.state == "out_of_service"
    lane.send("device_restored")
    lane.advance(1.0)
    assert lane.state == "awaiting_document"


def test_unknown_supervisor_commands_are_refused_with_the_known_ones() -> None:
    lane = Lane()
    with pytest.raises(ValueError, match="release_held"):
        lane.flow.command("open_sesame")


# -- the machine's own checks ----------------------------------------------------------------------


def test_a_state_without_a_way_out_is_refused_at_class_definition() -> None:
    with pytest.raises(MachineDefinitionError, match="no way out"):

        class Stuck(Machine):
            a = State(initial=True)
            b = State()
            transitions = (a.to(b, on="go"),)


def test_a_state_with_a_timeout_must_say_where_the_timeout_leads() -> None:
    with pytest.raises(MachineDefinitionError, match="timed_out"):

        class NoTimeoutExit(Machine):
            a = State(initial=True, timeout="t")
            b = State(final=True)
            transitions = (a.to(b, on="go"),)


def test_the_transition_table_renders_for_the_docs() -> None:
    table = GateFlow.transition_table()
    assert "| held_cekal | release_held |  | releasing_to_counter |" in table


def test_walking_back_out_through_the_entrance_after_a_redirect_is_not_wrong_way() -> None:
    # SOP-003-A08 step 7: after a final failure the entrance reopens and the passenger walks back out,
    # towards the entry; the beams see a backward movement. That is the way out, not a wrong-way entry.
    lane = Lane()
    lane.biometrics.fingerprint = [False]
    lane.scan()
    lane.walk_in()
    lane.advance(2.0)
    assert lane.state == "awaiting_fingerprint_retry"
    lane.flow.command("deny_retry")
    assert lane.state == "releasing_to_counter"
    lane.advance(1.0)
    assert lane.entry.position == "open" and lane.exit.position == "closed"
    lane.send("wrong_way")
    assert lane.state == "releasing_to_counter"
    assert "wrong_way" not in lane.recorder.alarms()


def test_walking_away_before_the_entrance_closes_is_not_wrong_way() -> None:
    lane = Lane()
    lane.scan()
    lane.advance(1.0)
    assert lane.state == "admitting"
    lane.send("wrong_way")  # stepped in, then turned round and left
    assert "wrong_way" not in lane.recorder.alarms()
    lane.advance(14.2)  # the enter_s timeout (15 s after the scan) resets the lane; the entrance closes
    assert lane.state == "resetting"
    lane.send("wrong_way")  # still on the way out while the leaf closes
    assert "wrong_way" not in lane.recorder.alarms()


def test_coming_in_through_the_open_exit_is_still_wrong_way() -> None:
    lane = Lane()
    lane.scan()
    lane.walk_in()
    lane.advance(3.0)
    assert lane.state == "exiting" and lane.exit.position == "open"
    lane.send("wrong_way")
    assert lane.state == "intrusion_hold"
    assert "wrong_way" in lane.recorder.alarms()


def _a_whole_passage(lane: Lane) -> None:
    lane.scan()
    lane.walk_in()
    lane.advance(3.0)
    assert lane.state == "exiting"
    lane.walk_out()
    assert lane.state == "awaiting_document"


def test_wrong_way_into_the_idle_lane_locks_both_doors_and_alarms_once() -> None:
    # Issue 6: someone breaks the exit-side beam from outside while the lane waits for a passport. After a
    # passage the exit is shut but not latched; the hold latches both leaves, so whoever came in passes
    # neither way and nobody follows, and no passport opens the entrance meanwhile.
    lane = Lane()
    _a_whole_passage(lane)
    assert not lane.exit.locked
    before = len(lane.recorder.alarms())
    for _ in range(4):  # every beam the walker crosses reports a backward step
        lane.send("wrong_way")
    assert lane.state == "intrusion_hold"
    assert lane.recorder.alarms()[before:] == ["wrong_way"], "one alarm, not one per beam"
    assert lane.entry.locked and lane.exit.locked
    assert lane.display.current == "wrong_way"
    assert lane.flow.is_lane_occupied, "the lane holds someone the flow did not admit"
    lane.scan()
    lane.advance(2.0)
    assert lane.state == "intrusion_hold" and not lane.entry.is_open and not lane.exit.is_open
    # The reminder repeats the wrong-way alarm (not a tailgating one) and the doors stay latched.
    lane.advance(60.0)
    assert lane.recorder.alarms()[before:] == ["wrong_way", "wrong_way"]
    assert lane.entry.locked and lane.exit.locked
    # The supervisor clears it: the intruder is let out by the entrance, to a manual counter, the exit
    # staying shut (never both open).
    assert lane.flow.command("clear_alarm")
    assert lane.state == "releasing_to_counter"
    assert "wrong_way" not in lane.flow.active_alarms
    lane.advance(1.0)
    assert lane.entry.position == "open" and lane.exit.position == "closed" and lane.exit.locked
    lane.step_back_out()
    assert lane.state == "awaiting_document"
    assert not lane.entry.is_open and not lane.exit.is_open


def test_a_wrong_way_walker_who_left_again_is_cleared_to_an_empty_lane() -> None:
    lane = Lane()
    lane.send("wrong_way")
    lane.send("lane_clear")  # went back out the way they came
    assert lane.flow.command("clear_alarm")
    assert lane.state == "awaiting_document" and lane.flow.active_alarms == {}
    assert lane.entry.locked
