"""The autogate flow of SOP-003-A08 (with the cekal handling of SOP-003-A03) as a declarative machine.

The flow only decides. Devices act in entry actions through small ports (``DoorPort``, ``DisplayPort``,
``BiometricsPort``, ``EnrolmentPort``) that the HAL devices and the runtime satisfy; hardware callbacks
only send events; everything the gate must report (crossings, rejected attempts, alarms, retry requests)
leaves as a ``Fact`` to listeners, which write the outbox, the audit log and the metrics.

Safety first (issue 6 invariants, proven by ``tests/edge/test_flow_invariants.py``):
(a) the exit door is only commanded open after the entrance door reported closed, and the entrance
never opens while the exit is open, except in fire mode; (b) a cekal-identical passenger is only let out
through the entrance, and only by a supervisor's release; (c) the fire alarm commands both doors open
at once, from every state; (d) an obstructed closing door is reopened and closed again after a pause;
(e) every state with a timeout leaves on it; (f) whenever the entrance is locked with someone inside,
an alarm is active.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Protocol

from core.clock import SITE_ZONE, Clock, local_date
from core.documents import MrzResult
from core.documents.rules import is_dpri, is_expired
from core.wire import new_event_id
from edge.machine import TIMED_OUT, Machine, State, from_any

# -- what the flow is told ---------------------------------------------------------------------------


class Verdict(StrEnum):
    """The watch-list answer for a document holder (core's matching engine decides; the flow reacts)."""

    NO_HIT = "none"
    POSSIBLE = "mirip"
    IDENTICAL = "identik"


@dataclass(frozen=True)
class Screening:
    """The watch-list check of one holder; ``instructions`` go to the supervisors with the alarm."""

    verdict: Verdict = Verdict.NO_HIT
    entry_id: str | None = None
    list_type: str | None = None
    instructions: str = ""
    agency: str = ""
    score: float = 0.0


@dataclass(frozen=True)
class DocumentCheck:
    """A scanned document: the parsed MRZ (``None`` when unreadable) and its watch-list screening."""

    mrz: MrzResult | None
    screening: Screening = Screening()


class Direction(StrEnum):
    ARRIVAL = "arrival"
    DEPARTURE = "departure"


class MiripPolicy(StrEnum):
    HOLD = "hold"
    REDIRECT = "redirect"


@dataclass(frozen=True)
class FlowPolicy:
    """Configured decisions. Defaults are the safe ones: DPRI only, hold a possible match, redirect
    when no enrolment record can be had (never pass anyone unverified)."""

    direction: Direction = Direction.DEPARTURE
    # Issuing states whose passports this gate serves besides the DPRI (SOP-003-A08 scope is WNI only).
    extra_issuers: frozenset[str] = frozenset()
    mirip: MiripPolicy = MiripPolicy.HOLD
    fingerprint_attempts: int = 2
    face_attempts: int = 2
    # The office's time zone: a passport is expired from the local day after its expiry date on.
    timezone: str = SITE_ZONE


DEFAULT_TIMINGS: dict[str, float] = {
    "rejected_notice_s": 5.0,  # SOP-003-A08 step 3: show the redirect, then wait for the next passenger
    "enter_s": 15.0,  # the admitted passenger walks in; walking away resets the lane
    "door_travel_s": 3.0,  # a door that does not report its end position in time is a fault
    "reopen_pause_s": 2.0,  # after an obstruction the door reopens, waits, and closes again
    "hold_reminder_s": 60.0,  # a held passenger's alarm is raised again until a supervisor acts
    "enrolment_wait_s": 3.0,  # short: central unreachable and not cached → redirect policy
    "fingerprint_s": 15.0,
    "face_s": 10.0,
    "retry_decision_s": 30.0,  # the supervisor may grant another attempt (SOP-003-A08 steps 5-6)
    "exit_s": 20.0,
    "leave_s": 30.0,
}


# -- what the flow drives ----------------------------------------------------------------------------


class DoorPort(Protocol):
    """What the flow asks of a ``hal`` GateDoor; results come back as events."""

    def open(self) -> None: ...

    def close(self) -> None: ...

    def lock(self) -> None: ...


class DisplayPort(Protocol):
    def show(self, key: str) -> None: ...


class BiometricsPort(Protocol):
    """Starts captures; the result comes back as ``fingerprint_matched`` / ``fingerprint_failed`` or
    ``face_matched`` / ``face_failed`` events."""

    def start_fingerprint(self, record: object) -> None: ...

    def start_face(self, record: object) -> None: ...

    def cancel(self) -> None: ...


class EnrolmentPort(Protocol):
    """Fetches the holder's enrolment record; answers ``enrolment_ready`` or ``enrolment_unavailable``."""

    def request(self, mrz: MrzResult) -> None: ...


@dataclass
class GatePorts:
    entry: DoorPort
    exit: DoorPort
    display: DisplayPort
    biometrics: BiometricsPort
    enrolments: EnrolmentPort


@dataclass(frozen=True)
class Fact:
    """Something the gate must report; ``kind`` is the event type on the wire."""

    kind: str
    fields: Mapping[str, Any] = field(default_factory=dict)


# -- pure decisions ----------------------------------------------------------------------------------


def rejection_reason(check: DocumentCheck, policy: FlowPolicy, today: date) -> str | None:
    """Why a scanned document may not use this gate, as a passenger message key; ``None`` if it may.

    SOP-003-A08 step 3 and main step 1: unreadable, invalid (check digits), expired or not a DPRI →
    the entrance door stays shut and the passenger goes to a manual counter.
    """
    mrz = check.mrz
    if mrz is None:
        return "document_unreadable"
    if not mrz.valid:
        return "document_invalid"
    if is_expired(mrz, today):
        return "document_expired"
    if not (
        is_dpri(mrz) or (mrz.document_code.startswith("P") and mrz.issuing_state in policy.extra_issuers)
    ):
        return "document_not_eligible"
    return None


def document_fields(mrz: MrzResult | None) -> dict[str, Any]:
    """The document fields a crossing record needs (SOP-003-A01 lists the nine captured at counters)."""
    if mrz is None:
        return {}
    return {
        "document_code": mrz.document_code,
        "issuing_state": mrz.issuing_state,
        "document_number": mrz.document_number,
        "surname": mrz.surname,
        "given_names": mrz.given_names,
        "nationality": mrz.nationality,
        "sex": mrz.sex,
        "birth_date": mrz.birth_date.isoformat() if mrz.birth_date else None,
        "expiry_date": mrz.expiry_date.isoformat() if mrz.expiry_date else None,
    }


# -- the machine -------------------------------------------------------------------------------------


class GateFlow(Machine):
    """One lane's flow. Send events with ``send(name, **data)``; read ``state``; attach listeners."""

    awaiting_document = State(initial=True)
    document_rejected = State(timeout="rejected_notice_s")
    admitting = State(timeout="enter_s")
    closing_entry = State(timeout="door_travel_s")
    reopening_entry = State(timeout="reopen_pause_s")
    held_cekal = State(timeout="hold_reminder_s")
    held_for_review = State(timeout="hold_reminder_s")
    awaiting_enrolment = State(timeout="enrolment_wait_s")
    verifying_fingerprint = State(timeout="fingerprint_s")
    awaiting_fingerprint_retry = State(timeout="retry_decision_s")
    verifying_face = State(timeout="face_s")
    awaiting_face_retry = State(timeout="retry_decision_s")
    exiting = State(timeout="exit_s")
    closing_exit = State(timeout="door_travel_s")
    reopening_exit = State(timeout="reopen_pause_s")
    releasing_to_counter = State(timeout="leave_s")
    resetting = State(timeout="door_travel_s")
    intrusion_hold = State(timeout="hold_reminder_s")
    fire_mode = State()
    out_of_service = State()

    _everything_but_fire = (
        awaiting_document, document_rejected, admitting, closing_entry, reopening_entry, held_cekal,
        held_for_review, awaiting_enrolment, verifying_fingerprint, awaiting_fingerprint_retry,
        verifying_face, awaiting_face_retry, exiting, closing_exit, reopening_exit, releasing_to_counter,
        resetting, intrusion_hold, out_of_service,
    )  # fmt: skip
    _passenger_inside = (
        closing_entry, reopening_entry, awaiting_enrolment, verifying_fingerprint,
        awaiting_fingerprint_retry, verifying_face, awaiting_face_retry, exiting, closing_exit,
        reopening_exit,
    )  # fmt: skip
    # A door fault or a lost device takes the lane out of service, except while a watch-list subject is
    # held: SOP-003-A03 step 6 (secure the person) outranks it; the fault is still alarmed.
    _can_fail = (
        awaiting_document, document_rejected, admitting, closing_entry, reopening_entry,
        awaiting_enrolment, verifying_fingerprint, awaiting_fingerprint_retry, verifying_face,
        awaiting_face_retry, exiting, closing_exit, reopening_exit, releasing_to_counter, resetting,
        intrusion_hold,
    )  # fmt: skip

    transitions = (
        # SOP-003-A08 step 3: the scan decides whether the entrance opens at all.
        awaiting_document.to(document_rejected, on="document_read", cond="document_refused"),
        awaiting_document.to(document_rejected, on="document_read", cond="possible_match_redirected"),
        awaiting_document.to(admitting, on="document_read"),
        awaiting_document.to(out_of_service, on="service_suspended"),
        awaiting_document.to(intrusion_hold, on="wrong_way"),
        # Someone in the lane with no accepted document (or still there after a reset): alarm, hold.
        from_any((awaiting_document, document_rejected), intrusion_hold, on="passenger_entered"),
        from_any((awaiting_document, document_rejected), intrusion_hold, on="second_body"),
        awaiting_document.to(intrusion_hold, on="lane_occupied"),
        document_rejected.to(awaiting_document, on=TIMED_OUT),
        document_rejected.to(awaiting_document, on="document_removed"),
        # Step 4: the entrance opens (1 s) and closes once the passenger is inside, never on a person.
        admitting.to(closing_entry, on="passenger_entered"),
        admitting.to(resetting, on=TIMED_OUT),
        admitting.to(intrusion_hold, on="second_body"),
        closing_entry.to(reopening_entry, on="entry_obstructed"),
        closing_entry.to(held_cekal, on="entry_closed", cond="is_cekal_identik"),
        closing_entry.to(held_for_review, on="entry_closed", cond="is_held_for_review"),
        closing_entry.to(verifying_fingerprint, on="entry_closed", cond="has_enrolment"),
        closing_entry.to(releasing_to_counter, on="entry_closed", cond="enrolment_missing"),
        closing_entry.to(awaiting_enrolment, on="entry_closed"),
        closing_entry.to(out_of_service, on=TIMED_OUT),
        reopening_entry.to(resetting, on=TIMED_OUT, cond="is_resetting"),
        reopening_entry.to(closing_entry, on=TIMED_OUT),
        # Step 4 (cekal): held inside, locked; only a supervisor releases, to the counter side (A03).
        held_cekal.to(releasing_to_counter, on="release_held"),
        held_cekal.to(held_cekal, on=TIMED_OUT),
        held_for_review.to(releasing_to_counter, on="release_held"),
        held_for_review.to(verifying_fingerprint, on="review_cleared", cond="has_enrolment"),
        held_for_review.to(releasing_to_counter, on="review_cleared", cond="enrolment_missing"),
        held_for_review.to(awaiting_enrolment, on="review_cleared"),
        held_for_review.to(held_for_review, on=TIMED_OUT),
        awaiting_enrolment.to(verifying_fingerprint, on="enrolment_ready"),
        awaiting_enrolment.to(releasing_to_counter, on="enrolment_unavailable"),
        awaiting_enrolment.to(releasing_to_counter, on=TIMED_OUT),
        # Step 5: fingerprint; a failure notifies the supervisor, who may grant another attempt.
        verifying_fingerprint.to(verifying_face, on="fingerprint_matched"),
        verifying_fingerprint.to(
            awaiting_fingerprint_retry, on="fingerprint_failed", cond="fingerprint_retry_left"
        ),
        verifying_fingerprint.to(releasing_to_counter, on="fingerprint_failed"),
        verifying_fingerprint.to(awaiting_fingerprint_retry, on=TIMED_OUT, cond="fingerprint_retry_left"),
        verifying_fingerprint.to(releasing_to_counter, on=TIMED_OUT),
        awaiting_fingerprint_retry.to(verifying_fingerprint, on="retry_granted"),
        awaiting_fingerprint_retry.to(releasing_to_counter, on="retry_denied"),
        awaiting_fingerprint_retry.to(releasing_to_counter, on=TIMED_OUT),
        # Step 6: face, with the same retry rule.
        verifying_face.to(exiting, on="face_matched"),
        verifying_face.to(awaiting_face_retry, on="face_failed", cond="face_retry_left"),
        verifying_face.to(releasing_to_counter, on="face_failed"),
        verifying_face.to(awaiting_face_retry, on=TIMED_OUT, cond="face_retry_left"),
        verifying_face.to(releasing_to_counter, on=TIMED_OUT),
        awaiting_face_retry.to(verifying_face, on="retry_granted"),
        awaiting_face_retry.to(releasing_to_counter, on="retry_denied"),
        awaiting_face_retry.to(releasing_to_counter, on=TIMED_OUT),
        # Steps 8-9: the exit opens, the crossing is recorded, the passenger leaves, the lane resets.
        exiting.to(closing_exit, on="passenger_exited"),
        exiting.to(closing_exit, on=TIMED_OUT),
        closing_exit.to(reopening_exit, on="exit_obstructed"),
        closing_exit.to(awaiting_document, on="exit_closed", cond="entry_is_closed"),
        closing_exit.to(resetting, on="exit_closed"),
        closing_exit.to(out_of_service, on=TIMED_OUT),
        reopening_exit.to(closing_exit, on=TIMED_OUT),
        # Step 7: final failure re-opens the entrance; the passenger goes back to a manual counter.
        releasing_to_counter.to(resetting, on="lane_clear"),
        releasing_to_counter.to(resetting, on=TIMED_OUT),
        resetting.to(reopening_entry, on="entry_obstructed"),
        resetting.to(reopening_exit, on="exit_obstructed"),
        resetting.to(awaiting_document, on="lane_reset", cond="doors_closed"),
        resetting.to(awaiting_document, on="entry_closed", cond="doors_closed"),
        resetting.to(awaiting_document, on="exit_closed", cond="doors_closed"),
        resetting.to(out_of_service, on=TIMED_OUT),
        # Tailgating, a second body, or someone coming the wrong way: alarm and hold until cleared.
        from_any(_passenger_inside, intrusion_hold, on="second_body"),
        from_any((exiting, closing_exit, reopening_exit), intrusion_hold, on="wrong_way"),
        intrusion_hold.to(held_cekal, on="alarm_cleared", cond="is_cekal_identik"),
        intrusion_hold.to(releasing_to_counter, on="alarm_cleared", cond="lane_occupied"),
        intrusion_hold.to(resetting, on="alarm_cleared"),
        intrusion_hold.to(intrusion_hold, on=TIMED_OUT),
        # Faults: out of service with an alarm; supervisors bring the lane back.
        from_any(_can_fail, out_of_service, on="door_fault"),
        from_any(_can_fail, out_of_service, on="device_lost"),
        out_of_service.to(resetting, on="service_resumed", cond="nothing_stops_service"),
        # Fire: both doors open and stay open until the alarm clears; the flow is suspended.
        from_any(_everything_but_fire, fire_mode, on="fire_alarm_raised"),
        fire_mode.to(resetting, on="fire_alarm_cleared"),
    )

    def __init__(
        self,
        clock: Clock,
        ports: GatePorts,
        *,
        gate_id: str = "gate",
        policy: FlowPolicy | None = None,
        timings: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__(clock, {**DEFAULT_TIMINGS, **(timings or {})})
        self.ports = ports
        self.gate_id = gate_id
        self.policy = policy or FlowPolicy()
        self.check: DocumentCheck | None = None
        self.record: object | None = None
        self.enrolment_failed = False
        self.fingerprint_attempts = 0
        self.face_attempts = 0
        self.is_lane_occupied = False
        self.door_positions = {"entry": "closed", "exit": "closed"}
        self.entry_locked = True
        self.stop_reasons: set[str] = set()
        self.active_alarms: dict[str, dict[str, Any]] = {}
        self.redirect_reason = ""
        self.steps: dict[str, float] = {}
        self.last_result: dict[str, Any] = {}
        # One id per passenger session: every fact of the session carries it (the wire's session_id).
        self.session_id: str | None = None
        self.scores: dict[str, float] = {}
        self._resetting = False
        self._passenger_started: float | None = None
        # What the flow last asked of each door ("open" / "close" / "lock"), and whether the door is
        # known shut: reported closed and not commanded open since. A door commanded open and then
        # closed again before it reported anything is still travelling: not shut, for the interlock (a).
        self.door_commands = {"entry": "lock", "exit": "lock"}
        self.door_shut = {"entry": True, "exit": True}
        self._entry_waits_for_exit = False
        self._crossing_recorded = False
        # What the running intrusion hold is about ("wrong_way" / "tailgating"), kept for its reminders.
        self._intrusion = "tailgating"
        self._intrusion_doors = "close"

    # -- guards (named predicates, no I/O) -----------------------------------------------------------

    def document_refused(self) -> bool:
        return self.check is None or rejection_reason(self.check, self.policy, self.today()) is not None

    def possible_match_redirected(self) -> bool:
        return self.screening_verdict() is Verdict.POSSIBLE and self.policy.mirip is MiripPolicy.REDIRECT

    def is_cekal_identik(self) -> bool:
        return self.screening_verdict() is Verdict.IDENTICAL

    def is_held_for_review(self) -> bool:
        return self.screening_verdict() is Verdict.POSSIBLE and self.policy.mirip is MiripPolicy.HOLD

    def has_enrolment(self) -> bool:
        return self.record is not None

    def enrolment_missing(self) -> bool:
        return self.enrolment_failed

    def fingerprint_retry_left(self) -> bool:
        return self.fingerprint_attempts < self.policy.fingerprint_attempts

    def face_retry_left(self) -> bool:
        return self.face_attempts < self.policy.face_attempts

    def lane_occupied(self) -> bool:
        return self.is_lane_occupied

    def is_resetting(self) -> bool:
        return self._resetting

    def entry_is_closed(self) -> bool:
        return self.door_positions["entry"] == "closed"

    def doors_closed(self) -> bool:
        return self.door_positions["entry"] == "closed" and self.door_positions["exit"] == "closed"

    def nothing_stops_service(self) -> bool:
        return not self.stop_reasons

    def screening_verdict(self) -> Verdict:
        return self.check.screening.verdict if self.check is not None else Verdict.NO_HIT

    # -- event data the flow keeps -------------------------------------------------------------------

    def absorb(self, event: str, data: Mapping[str, Any]) -> None:
        now = self.clock.monotonic()
        if event == "document_read" and self.state == "awaiting_document":
            self.check = data["check"]
            self.session_id = new_event_id(self.clock.now())
            self.scores = {}
            self._passenger_started = now
            self.steps = {"document_read": now}
        elif event == "enrolment_ready":
            self.record = data.get("record")
            self.steps.setdefault("enrolment_ready", now)
        elif event in ("fingerprint_matched", "fingerprint_failed", "face_matched", "face_failed"):
            score = data.get("score")
            if isinstance(score, int | float):
                step = event.split("_")[0]
                self.scores[step] = max(float(score), self.scores.get(step, float(score)))
            self.last_result = dict(data)
        elif event == "enrolment_unavailable":
            self.enrolment_failed = True
        elif event == "passenger_entered":
            self.is_lane_occupied = True
        elif event in ("lane_clear", "passenger_exited"):
            self.is_lane_occupied = False
        elif event == "wrong_way" and self.is_wrong_way():
            # Someone came into the lane from the exit side: the lane holds a person the flow did not
            # admit, so it must not take the next passenger (or reset) as if it were empty.
            self.is_lane_occupied = True
        elif event in ("entry_opened", "entry_closed", "exit_opened", "exit_closed"):
            door, position = event.split("_")
            self.door_positions[door] = position
            self.door_shut[door] = position == "closed"
            if event == "exit_closed" and self._entry_waits_for_exit:
                # The exit had to close before the entrance may reopen for the way back (a).
                self._open_entry_once_exit_closed()
        elif event in ("entry_obstructed", "exit_obstructed"):
            self.door_positions[event.split("_")[0]] = "open"
            self.door_shut[event.split("_")[0]] = False
            self._fact("door_event", door=event.split("_")[0], event="obstructed")
        elif event in ("door_fault", "device_lost"):
            self.stop_reasons.add(event)
            detail = str(data.get("detail", ""))
            self._alarm(event, "high", f"{event.replace('_', ' ')}: {detail}".strip(": "), "out_of_service")
        elif event == "device_restored":
            self.stop_reasons.discard("device_lost")
            self.send("service_resumed")
        elif event == "outbox_full":
            if "outbox_full" in self.stop_reasons:
                # Said again (an event refused at the hard limit, a restart): one alarm while it lasts.
                # Raising another would be one more event the full outbox refuses, saying it again.
                return
            self.stop_reasons.add("outbox_full")
            self._alarm("outbox_full", "high", "the outbox is full; central has not acknowledged events", "")
            self._suspend_when_idle()
        elif event == "outbox_drained":
            self.stop_reasons.discard("outbox_full")
            self._clear_alarm("outbox_full")
            self.send("service_resumed")
        elif event == "take_out_of_service":
            self.stop_reasons.add("supervisor")
            self._suspend_when_idle()
        elif event == "return_to_service":
            self.stop_reasons -= {"supervisor", "door_fault"}
            for kind in ("door_fault", "device_lost", "out_of_service"):
                if kind not in self.stop_reasons:
                    self._clear_alarm(kind)
            self.send("service_resumed")

    def _suspend_when_idle(self) -> None:
        # With a passenger inside, the lane finishes that passenger first: on_enter_awaiting_document
        # looks at stop_reasons before taking the next one.
        if self.state == "awaiting_document":
            self.send("service_suspended")

    # States in which the passenger is sent (or walks) back out through the entrance: a movement towards
    # the entry is the way out, not someone coming in from the exit side (SOP-003-A08 steps 3 and 7).
    _way_back = frozenset({
        "admitting", "closing_entry", "reopening_entry", "document_rejected", "releasing_to_counter",
        "resetting", "out_of_service",
    })  # fmt: skip

    def is_walking_back_out(self) -> bool:
        """A backward movement with the exit shut, while the lane sends the passenger back (or the
        entrance is open for that): no wrong-way alarm."""
        return self.door_shut["exit"] and (self.state in self._way_back or not self.door_shut["entry"])

    def today(self) -> date:
        """The office's local day (``policy.timezone``), for the document's expiry."""
        return local_date(self.clock, self.policy.timezone)

    def is_wrong_way(self) -> bool:
        """A backward movement that is a wrong-way entry (not fire mode, not the way back out)."""
        return self.state != "fire_mode" and not self.is_walking_back_out()

    def unhandled(self, event: str, data: Mapping[str, Any]) -> None:
        # Every beam a wrong-way walker crosses reports a backward step: one alarm while it is up.
        if event == "wrong_way" and self.is_wrong_way() and "wrong_way" not in self.active_alarms:
            self._alarm("wrong_way", "normal", "someone is entering the lane from the exit side", "")

    # -- entry actions (devices act here) ------------------------------------------------------------

    def on_enter_awaiting_document(self) -> None:
        self.check = None
        self.record = None
        self.enrolment_failed = False
        self.fingerprint_attempts = 0
        self.face_attempts = 0
        self.redirect_reason = ""
        self.session_id = None
        self.scores = {}
        self._resetting = False
        self._passenger_started = None
        self._crossing_recorded = False
        self._drive("entry", "lock")
        self.entry_locked = True
        self.ports.display.show("scan_passport")
        if self.is_lane_occupied:
            self.send("lane_occupied")
        elif self.stop_reasons:
            # Outbox full, a fault or a supervisor's order arrived while a passenger was inside: the
            # lane finished that passenger first and takes no new one.
            self.send("service_suspended")

    def on_enter_document_rejected(self) -> None:
        assert self.check is not None
        reason = rejection_reason(self.check, self.policy, self.today())
        if reason is None:
            # A possible watch-list match under the redirect policy: the passenger is sent to a
            # counter without being told why (SOP-003-A03 step 4 is for the officer to confirm).
            reason = "manual_counter"
            self._alarm("watchlist_possible_match", "normal", "possible watch-list match redirected", "")
        self.ports.display.show(reason)
        # SOP-003-A08 step 3: the entrance stays shut; the rejected attempt is recorded.
        self._fact("rejected_attempt", reason=reason, **document_fields(self.check.mrz))

    def on_enter_admitting(self) -> None:
        self.entry_locked = False
        self.steps.setdefault("admitted", self.clock.monotonic())
        mrz = self.check.mrz if self.check is not None else None
        if mrz is not None and self.record is None and "enrolment_requested" not in self.steps:
            self.steps["enrolment_requested"] = self.clock.monotonic()
            # Fetched while the passenger walks in, so it is usually there when the door closes.
            self.ports.enrolments.request(mrz)
        self._drive("entry", "open")
        self.ports.display.show("please_enter")

    def on_enter_closing_entry(self) -> None:
        self._drive("entry", "close")

    def on_enter_reopening_entry(self) -> None:
        # (d) an obstruction stops the closing door; the door reopens and closing is retried.
        self.entry_locked = False
        self._drive("entry", "open")

    def on_enter_held_cekal(self) -> None:
        # SOP-003-A08 step 4 (cekal identik): the entrance locks behind the passenger, who is held
        # inside; the supervisor is alerted with the list entry's instructions (SOP-003-A03 steps 5-6).
        self.steps.setdefault("entry_closed", self.clock.monotonic())
        self._drive("entry", "lock")
        self.entry_locked = True
        self._drive("exit", "lock")
        self.ports.display.show("please_wait")
        screening = self.check.screening if self.check else Screening()
        self._alarm(
            "cekal_identik",
            "critical",
            "watch-list subject held inside the gate; follow SOP cekal (A03)",
            "held_cekal",
            entry_id=screening.entry_id,
            list_type=screening.list_type,
            instructions=screening.instructions,
            agency=screening.agency,
            **document_fields(self.check.mrz if self.check else None),
        )

    def on_enter_held_for_review(self) -> None:
        self.steps.setdefault("entry_closed", self.clock.monotonic())
        self._drive("entry", "lock")
        self.entry_locked = True
        self._drive("exit", "lock")
        self.ports.display.show("please_wait")
        screening = self.check.screening if self.check else Screening()
        self._alarm(
            "watchlist_review",
            "high",
            "possible watch-list match held for review; clear it or release to the counter",
            "held_for_review",
            entry_id=screening.entry_id,
            instructions=screening.instructions,
            score=screening.score,
            **document_fields(self.check.mrz if self.check else None),
        )

    def on_enter_awaiting_enrolment(self) -> None:
        self.steps.setdefault("entry_closed", self.clock.monotonic())
        self.ports.display.show("please_wait")

    def on_enter_verifying_fingerprint(self) -> None:
        self.steps.setdefault("entry_closed", self.clock.monotonic())
        self.steps.setdefault("fingerprint_started", self.clock.monotonic())
        self._clear_alarm("retry_request")
        self.fingerprint_attempts += 1
        self.ports.display.show("place_finger" if self.fingerprint_attempts == 1 else "try_again")
        self.ports.biometrics.start_fingerprint(self.record)

    def on_enter_awaiting_fingerprint_retry(self) -> None:
        self._retry_request("fingerprint", self.fingerprint_attempts)

    def on_enter_verifying_face(self) -> None:
        self.steps.setdefault("face_started", self.clock.monotonic())
        self._clear_alarm("retry_request")
        self.face_attempts += 1
        self.ports.display.show("look_at_camera" if self.face_attempts == 1 else "try_again")
        self.ports.biometrics.start_face(self.record)

    def on_enter_awaiting_face_retry(self) -> None:
        self._retry_request("face", self.face_attempts)

    def on_enter_exiting(self) -> None:
        # SOP-003-A08 step 8: the exit door opens (1 s) and the travel history is recorded. The
        # entrance reported closed before biometrics began, so both are never open together (a).
        self.steps["exit_opened"] = self.clock.monotonic()
        self._drive("exit", "open")
        self.ports.display.show("please_proceed")
        self._crossing("passed")

    def on_enter_closing_exit(self) -> None:
        self._drive("exit", "close")

    def on_enter_reopening_exit(self) -> None:
        self._drive("exit", "open")

    def on_enter_releasing_to_counter(self) -> None:
        # SOP-003-A08 step 7 and A03: the entrance opens again; the passenger goes to a manual counter.
        self.ports.biometrics.cancel()
        self._clear_alarm("retry_request")
        self._clear_alarm("cekal_identik")
        self._clear_alarm("watchlist_review")
        self.redirect_reason = self._why_redirected()
        self._drive("exit", "close")
        self._open_entry_once_exit_closed()
        self.ports.display.show("go_to_counter")
        self._crossing("redirected")

    def on_enter_resetting(self) -> None:
        if self.previous_state == "admitting":
            self.redirect_reason = "walked_away"
            self._crossing("abandoned")
        self._resetting = True
        self._drive("exit", "close")
        self._drive("entry", "close")
        self.send("lane_reset")  # both doors may already be shut: then no door event will come

    def on_enter_intrusion_hold(self) -> None:
        self.ports.biometrics.cancel()
        if self.last_event != TIMED_OUT:  # a reminder (the hold timed out) keeps what the hold is about
            self._intrusion = "wrong_way" if self.last_event == "wrong_way" else "tailgating"
            # From the idle lane (both doors shut, nobody admitted) someone came in from the exit side
            # (wrong way) or over a leaf: both doors lock, so that person passes neither way and nobody
            # follows until a supervisor clears the alarm; the way out is then the entrance, to a manual
            # counter, as after SOP-003-A08 step 7. Locked in only with the alarm raised (f).
            self._intrusion_doors = "lock" if self.previous_state == "awaiting_document" else "close"
        # Driven again at every reminder: a leaf that an obstruction reopened closes again.
        self._drive("entry", self._intrusion_doors)
        self._drive("exit", self._intrusion_doors)
        if self._intrusion_doors == "lock":
            self.entry_locked = True
        kind = self._intrusion
        self.ports.display.show("wrong_way" if kind == "wrong_way" else "one_person_only")
        self._alarm(
            kind, "high", "second person or wrong-way entry; check the lane and clear", "intrusion_hold"
        )

    def on_enter_fire_mode(self) -> None:
        # (c) Fire: both doors open at once and stay open until the alarm clears; safety over interlock.
        self.ports.biometrics.cancel()
        self.entry_locked = False
        self._drive("entry", "open")
        self._drive("exit", "open")
        self.ports.display.show("emergency_exit")
        self._alarm("fire", "critical", "fire alarm: both doors open, flow suspended", "fire_mode")

    def on_enter_out_of_service(self) -> None:
        self.ports.biometrics.cancel()
        if self.is_lane_occupied and self.door_commands["exit"] == "open":
            # The passenger was cleared (SOP-003-A08 step 8) and the exit is opening or open: they leave
            # that way; the entrance stays shut, so the two are never open together (a).
            pass
        elif self.is_lane_occupied:
            # Nobody stays locked in a broken lane: the passenger leaves by the entrance (f), as after a
            # final failure (SOP-003-A08 step 7). The exit may still be moving (a fault while it was
            # opening): the entrance opens only once the exit reported closed (a), in absorb.
            self._drive("exit", "close")
            self._open_entry_once_exit_closed()
        else:
            self._drive("exit", "close")
            self._drive("entry", "lock")
            self.entry_locked = True
        self.ports.display.show("out_of_service")
        if self._passenger_started is not None and self.check is not None and not self._crossing_recorded:
            # One crossing record per passenger: one already passed or redirected keeps its outcome.
            self.redirect_reason = "out_of_service"
            self._crossing("redirected")
        self._alarm(
            "out_of_service", "high", f"lane out of service: {', '.join(sorted(self.stop_reasons))}", ""
        )

    # -- door driving --------------------------------------------------------------------------------

    def _drive(self, door: str, action: str) -> None:
        """Command a door, remembering the command: the interlock looks at commands, not only reports."""
        if door == "entry":
            # Any other command for the entrance supersedes a deferred reopening.
            self._entry_waits_for_exit = False
        self.door_commands[door] = action
        if action == "open":
            self.door_shut[door] = False
        port = self.ports.entry if door == "entry" else self.ports.exit
        getattr(port, action)()

    def exit_is_shut(self) -> bool:
        """The exit reported closed and was not commanded open since (else it may be travelling)."""
        return self.door_shut["exit"]

    def _open_entry_once_exit_closed(self) -> None:
        """Open the entrance for the way back now if the exit is shut, else as soon as it reports closed."""
        if self.exit_is_shut():
            self.entry_locked = False
            self._drive("entry", "open")
        else:
            self._entry_waits_for_exit = True

    # -- supervisor commands (SOP-003-A08 steps 5-6, A03) --------------------------------------------

    def command(self, name: str) -> bool:
        """Apply a supervisor command; returns whether the current state accepted it."""
        events = {
            "release_held": "release_held",
            "grant_retry": "retry_granted",
            "deny_retry": "retry_denied",
            "clear_review": "review_cleared",
            "clear_alarm": "alarm_cleared",
            "out_of_service": "take_out_of_service",
            "back_in_service": "return_to_service",
        }
        if name not in events:
            raise ValueError(f"unknown supervisor command {name!r}; known: {', '.join(events)}")
        before = (self.state, self.entered_at)
        event = events[name]
        if event == "alarm_cleared" and self.state == "fire_mode":
            return False
        self.send(event)
        if event == "alarm_cleared":
            self._clear_alarm("wrong_way")
            self._clear_alarm("tailgating")
        return (self.state, self.entered_at) != before or event in (
            "take_out_of_service",
            "return_to_service",
        )

    # -- facts ---------------------------------------------------------------------------------------

    def _fact(self, kind: str, **fields: Any) -> None:
        fields.setdefault("session_id", self.session_id)
        fact = Fact(kind, {"gate_id": self.gate_id, "state": self.state, **fields})
        for listener in list(self.listeners):
            hook = getattr(listener, "on_fact", None)
            if hook is not None:
                hook(self, fact)

    def _alarm(self, kind: str, priority: str, message: str, state: str, **details: Any) -> None:
        # The raising message's id is the alarm's id; the clearing message repeats it (core.wire.Alarm).
        alarm_id = new_event_id(self.clock.now())
        self.active_alarms[kind] = {"priority": priority, "message": message, "alarm_id": alarm_id}
        self._fact(
            "alarm", alarm=kind, alarm_id=alarm_id, priority=priority, message=message, raised=True, **details
        )

    def _clear_alarm(self, kind: str) -> None:
        active = self.active_alarms.pop(kind, None)
        if active is not None:
            self._fact("alarm", alarm=kind, alarm_id=active.get("alarm_id"), raised=False)

    def _retry_request(self, step: str, attempt: int) -> None:
        # SOP-003-A08 steps 5-6: "a notification appears on the autogate supervisor's screen, and the
        # officer may let the passenger retry".
        self.ports.display.show("please_wait")
        self.active_alarms["retry_request"] = {"priority": "normal", "message": f"{step} retry request"}
        self._fact(
            "retry_request",
            step=step,
            attempt=attempt,
            score=self.last_result.get("score") if self.last_event == f"{step}_failed" else None,
            threshold=self.last_result.get("threshold") if self.last_event == f"{step}_failed" else None,
            attempts_allowed=getattr(self.policy, f"{step}_attempts"),
            **document_fields(self.check.mrz if self.check else None),
        )

    def _why_redirected(self) -> str:
        if self.last_event == "release_held":
            return "supervisor_release_cekal" if self.is_cekal_identik() else "supervisor_release_review"
        if self.previous_state == "intrusion_hold":
            return "intrusion"
        if self.enrolment_failed or self.record is None:
            return "no_enrolment_record"
        if self.face_attempts:
            return "face_not_verified"
        if self.fingerprint_attempts:
            return "fingerprint_not_verified"
        return "supervisor_release"

    def _crossing(self, outcome: str) -> None:
        self._crossing_recorded = True
        now = self.clock.monotonic()
        start = self._passenger_started if self._passenger_started is not None else now
        marks = dict(self.steps)
        timings = {f"{name}_s": round(at - start, 4) for name, at in marks.items() if name != "document_read"}
        timings["total_s"] = round(now - start, 4)
        self._fact(
            "crossing",
            direction=self.policy.direction.value,
            outcome=outcome,
            reason=self.redirect_reason if outcome != "passed" else "",
            at=self.clock.now().isoformat(),
            watchlist=self.screening_verdict().value,
            fingerprint_attempts=self.fingerprint_attempts,
            face_attempts=self.face_attempts,
            timings=timings,
            scores=dict(self.scores),
            cekal_entry_id=self.check.screening.entry_id if self.check else None,
            cekal_score=self.check.screening.score if self.check else None,
            **document_fields(self.check.mrz if self.check else None),
        )
