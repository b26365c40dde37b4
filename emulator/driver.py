"""A passenger driver: plays one passenger against the far end of an emulated gate board.

The driver is the passenger's hands and feet. It reads only what a passenger can see — the message on
the gate's display (``hal.display.PassengerDisplay.when_shown``) and whether a door stands open — and
acts on the emulated devices (``emulator.devices.board.EmulatedBoard``): it presents the passport on
the MRZ reader, walks through the beams (``EmulatedLane`` walkers), places a finger on the module and
stands in front of the camera with the passenger's face photo (an impostor shows another person's).

Timing (emulated seconds, docs/emulator.md): the passport goes on the reader ``scan_s`` after the gate
shows "scan passport"; the passenger walks in at the speed drawn for them once the entrance is open.
The emulated fingerprint module and camera answer at once, so the finger and the face are presented
the moment the gate asks for them (their drawn durations are not spent; the gate's own time is).

An ``EmulatedSupervisor`` plays the officer at the supervisor screen: it sees the gate's retry requests
and alarms (the flow's facts) and, after a human-like delay, grants the retry, releases the held
passenger to the counter or clears the intrusion alarm through a command ``sink`` — in-process
(``runtime.apply_command``) or through central's command API in the site.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from core.clock import Clock
from core.documents import TravelDocument
from core.wire import CommandName
from emulator.devices.board import FACES, EmulatedBoard
from emulator.devices.walkers import Walker
from emulator.population import LANE_LENGTH_M, Kind, Passenger
from hal.board import Board
from hal.display import DisplayMessage

log = logging.getLogger("emulator.driver")

TICK_S = 0.05  # how often the passenger looks at the lane (emulated seconds)
STOP_AT_M = 1.0  # where a passenger stands inside the lane for fingerprint and face
REACTION_S = 0.5  # from "please enter" on an open door to the first step
GIVE_UP_S = 600.0  # a passenger the gate never finishes with is recorded as stuck
SETTLE_S = 1.0  # after "out of service", time for the gate's own record of the passage


class DriverError(RuntimeError):
    """The driver could not play a passenger; the message says what is missing."""


def finger_id(passenger: Passenger) -> str:
    """The finger a passenger puts on the module; enrolment uses the same id (``synthetic_template``)."""
    return f"finger-{passenger.document_number}"


def face_photos(passenger: Passenger) -> tuple[Path, Path]:
    """(enrolment photo, photo shown at the gate). Impostors enrol one person and show another."""
    person = "person_a" if passenger.index % 2 == 0 else "person_b"
    live = FACES / ("impostor_1.jpg" if passenger.kind is Kind.IMPOSTOR else f"{person}_2.jpg")
    return FACES / f"{person}_1.jpg", live


def travel_document(passenger: Passenger) -> TravelDocument:
    return TravelDocument(
        document_code="P",
        issuing_state=passenger.nationality,
        surname=passenger.surname,
        given_names=passenger.given_names,
        document_number=passenger.document_number,
        nationality=passenger.nationality,
        birth_date=date.fromisoformat(passenger.birth_date),
        sex=passenger.sex,
        expiry_date=date.fromisoformat(passenger.expiry_date),
    )


@dataclass
class Played:
    """What happened to one passenger, from the gate's own facts."""

    passenger: Passenger
    outcome: str = ""  # crossing outcome ("passed", "redirected", "abandoned"), "rejected", "none"
    reason: str = ""
    alarms: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    started_s: float = 0.0
    ended_s: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def cycle_s(self) -> float:
        return max(0.0, self.ended_s - self.started_s)


class PassengerDriver:
    """Plays passengers one after another on one gate's emulated board."""

    def __init__(self, board: Board, clock: Clock, *, flow_listeners: list[Any] | None = None) -> None:
        far = board.far_end
        if not isinstance(far, EmulatedBoard):
            raise DriverError("the board has no emulated far end; use a board config with far_end set")
        if far.lane is None or far.mrz is None or board.display is None:
            raise DriverError(
                "the emulated board needs beams, an MRZ reader and a display to play passengers"
            )
        self.board, self.far, self.clock = board, far, clock
        self.lane = far.lane
        self.current: Played | None = None
        self._walkers: list[Walker] = []
        self._phase = "idle"
        self._step = ""  # "fingerprint" or "face": what a "try again" refers to
        self._finger_attempts = 0
        self._lock = threading.RLock()
        self._broken_at = 0.0
        self.mrz_garbage = 0  # fault: this many noise bytes on the reader's line before each document
        board.display.when_shown = self._shown
        if flow_listeners is not None:
            flow_listeners.append(self)

    # -- playing -----------------------------------------------------------------------------------

    def play(self, passenger: Passenger) -> Played:
        """Start one passenger; wait on ``result.done`` (the gate is back to "scan passport")."""
        with self._lock:
            played = Played(passenger, started_s=self.clock.monotonic())
            self.current = played
            if self._shown_last() == "out_of_service":
                # The lane is closed (a fault nobody has repaired): the passenger goes to another lane.
                played.outcome, played.reason = "lane_closed", "out_of_service"
                played.ended_s = played.started_s
                played.done.set()
                return played
            self._walkers = []
            self._step = ""
            self._finger_attempts = 0
            self._phase = "wrong_way" if passenger.kind is Kind.WRONG_WAY else "scanning"
        # Devices are touched outside the driver's lock: a beam change calls into the gate's flow, and
        # the flow calls back into the driver (the display), so holding both would deadlock.
        if passenger.kind is Kind.WRONG_WAY:
            # Someone comes in through the exit side while the gate waits for a passport.
            walker = self.lane.walk_in_wrong_way(speed=self._speed(passenger))
            with self._lock:
                self._walkers = [walker]
        else:
            self.clock.call_later(passenger.timing.scan_s, self._present_document)
        self.clock.call_later(TICK_S, lambda: self._tick(played))
        self.clock.call_later(GIVE_UP_S, lambda: self._finish(played, stuck=True))
        return played

    def _speed(self, passenger: Passenger) -> float:
        # walk_in_s covers half of the modelled lane (population.draw_timing).
        return (LANE_LENGTH_M / 2) / max(0.1, passenger.timing.walk_in_s)

    def _present_document(self) -> None:
        played = self.current
        if played is None or self._phase != "scanning":
            return
        p = played.passenger
        mrz = self.far.mrz
        assert mrz is not None
        self._phase = "presented"
        if p.kind is Kind.DAMAGED_MRZ:
            mrz.present(travel_document(p), missing_line=1)  # worn laminate: a line does not read
        else:
            mrz.present(travel_document(p), garbage=self.mrz_garbage)

    # -- what the passenger sees -------------------------------------------------------------------

    def _shown(self, message: DisplayMessage | None) -> None:
        key = message.key if message is not None else ""
        with self._lock:
            played = self.current
            if played is None or played.done.is_set():
                return
            played.shown.append(key)
            p = played.passenger
            if key == "please_enter" and self._phase == "presented":
                self._phase = "waiting_for_door"
            elif key in ("place_finger", "try_again") and (
                key == "place_finger" or self._step == "fingerprint"
            ):
                self._step = "fingerprint"
                self._finger_attempts += 1
                fingerprint = self.far.fingerprint
                if fingerprint is not None:
                    # needs_retry: the first touch is a smudge of the wrong finger; the retry is right.
                    wrong = p.kind is Kind.NEEDS_RETRY and self._finger_attempts == 1
                    fingerprint.place_finger("someone-else" if wrong else finger_id(p))
            elif key in ("look_at_camera", "try_again"):
                self._step = "face"
                if self.far.fingerprint is not None:
                    self.far.fingerprint.lift_finger()
                if self.far.camera is not None and self.far.camera.mode != "failed":
                    self.far.camera.present(face_photos(p)[1])  # a dead camera stays dead
            elif key == "please_proceed":
                self._phase = "waiting_for_exit"  # steps out once the exit door stands open
                self._clear_devices()
            elif key == "go_to_counter":
                self._phase = "waiting_to_go_back"  # turns back once the entrance stands open
                self._clear_devices()
            elif key == "out_of_service":
                # The lane stopped: whoever is inside leaves by the door the gate opens for them.
                forward = self._phase in ("leaving", "waiting_for_exit")
                self._phase = "leaving_broken_lane"
                self._broken_at = self.clock.monotonic()
                self._leave(forward=forward)
            elif key == "wrong_way" and p.kind is Kind.WRONG_WAY:
                self._leave(forward=True)  # told off, they go back out of the exit side they came in by
            elif key == "scan_passport" and self._back_to_idle():
                self._finish(played)

    def _back_to_idle(self) -> bool:
        """Whether "scan passport" now means the gate is done with this passenger."""
        if self._phase == "wrong_way":
            return not self._walkers
        return self._phase not in ("scanning", "idle")

    def _clear_devices(self) -> None:
        if self.far.camera is not None and self.far.camera.mode != "failed":
            self.far.camera.empty()  # the passenger steps away (a failed camera is left failed)
        if self.far.fingerprint is not None:
            self.far.fingerprint.lift_finger()

    def _leave(self, *, forward: bool) -> None:
        self._clear_devices()
        for walker in self._walkers:
            walker.stopped = False
            walker.speed = abs(walker.speed) if forward else -abs(walker.speed)

    def _tick(self, mine: Played) -> None:
        """One look at the lane for passenger ``mine``; the chain ends with that passenger."""
        if mine.done.is_set() or mine is not self.current:
            return
        entry, exit_ = self.board.doors.get("entry"), self.board.doors.get("exit")
        entry_open = entry is not None and entry.is_open  # read outside the lock (see play)
        exit_open = exit_ is not None and exit_.is_open
        last_shown = self._shown_last()
        with self._lock:
            played = self.current
            if played is not mine or played.done.is_set():
                return
            p = played.passenger
            if self._phase == "waiting_for_door" and entry_open:
                self._phase = "walking_in"
                if p.kind is not Kind.WALKS_AWAY:
                    self.clock.call_later(REACTION_S, self._walk_in)
            elif self._phase == "waiting_for_exit" and exit_open:
                self._phase = "leaving"
                self._leave(forward=True)
            elif self._phase == "waiting_to_go_back" and entry_open:
                self._phase = "back_to_counter"
                self._leave(forward=False)
            for walker in self._walkers:
                inside_stop = STOP_AT_M if walker is self._walkers[0] else STOP_AT_M - walker.length - 0.1
                if (
                    self._phase in ("walking_in", "inside")
                    and walker.speed > 0
                    and walker.position >= inside_stop
                ):
                    walker.stopped = True
                if self._phase == "wrong_way" and walker.speed < 0 and walker.position <= STOP_AT_M:
                    walker.stopped = True
            self._walkers = [w for w in self._walkers if w in self.lane.walkers]
            finished = (
                self._phase == "wrong_way" and not self._walkers and last_shown == "scan_passport"
            ) or (
                # The gate records the passage right after it shows "out of service": wait a moment.
                self._phase == "leaving_broken_lane"
                and not self._walkers
                and self.clock.monotonic() - self._broken_at >= SETTLE_S
            )
        if finished:
            self._finish(played)
            return
        self.clock.call_later(TICK_S, lambda: self._tick(mine))

    def _shown_last(self) -> str | None:
        display = self.board.display
        current = display.current if display is not None else None
        return current.key if current is not None else None

    def _walk_in(self) -> None:
        with self._lock:
            played = self.current
            if played is None or self._phase != "walking_in":
                return
            self._phase = "inside"
        speed = self._speed(played.passenger)
        walkers = [self.lane.walk_in(speed=speed)]
        if played.passenger.kind is Kind.TAILGATER:
            # A second person follows close behind before the entrance closes.
            walkers.append(self.lane.walk_in(speed=speed, gap=0.15))
        with self._lock:
            self._walkers = walkers

    def _finish(self, played: Played, *, stuck: bool = False) -> None:
        with self._lock:
            if played.done.is_set():
                return
            if stuck and not played.outcome:
                played.outcome, played.reason = "stuck", self._shown_last() or ""
            if not played.outcome:
                played.outcome = "none"
            played.ended_s = self.clock.monotonic()
            for walker in self._walkers:
                if walker in self.lane.walkers:
                    self.lane.walkers.remove(walker)
            self._walkers = []
            self._phase = "idle"
            self._clear_devices()
            played.done.set()

    # -- the gate's facts (a flow listener): what happened, for the summary ------------------------

    def on_transition(self, flow: Any, record: Any) -> None:
        return None

    def on_fact(self, flow: Any, fact: Any) -> None:
        played = self.current
        if played is None or played.done.is_set():
            return
        kind, data = fact.kind, fact.fields
        if kind == "crossing" and not played.outcome:
            played.outcome, played.reason = str(data.get("outcome", "")), str(data.get("reason", ""))
        elif kind == "rejected_attempt" and not played.outcome:
            played.outcome, played.reason = "rejected", str(data.get("reason", ""))
        elif kind == "alarm" and data.get("raised"):
            played.alarms.append(str(data.get("alarm")))


# -- the supervisor --------------------------------------------------------------------------------

CommandSink = Callable[[CommandName, str | None], None]


class EmulatedSupervisor:
    """The officer at the supervisor screen, answering the gate after ``delay_s`` emulated seconds.

    SOP-003-A08 steps 5-6: a failed biometric "notifies the supervisor, who may let the passenger
    retry" — this one always grants (the gate's attempt limit still applies). SOP-003-A03: a held
    watch-list subject is released to the counter side (an officer takes them to the manual counter).
    An intrusion alarm (tailgating, wrong way) is cleared once the officer has looked.
    """

    def __init__(self, clock: Clock, sink: CommandSink, *, delay_s: float = 8.0) -> None:
        self.clock, self.sink, self.delay_s = clock, sink, delay_s
        self.issued: list[tuple[CommandName, str | None]] = []
        self.on_duty = True  # off duty once the gate stops: no command into a closed gate

    def _later(self, name: CommandName, reply_to: str | None) -> None:
        def issue() -> None:
            if not self.on_duty:
                return
            self.issued.append((name, reply_to))
            try:
                self.sink(name, reply_to)
            except Exception as exc:  # a lost command is the gate's timeout's problem, not a crash
                log.warning("supervisor command %s not delivered: %s", name, exc)

        self.clock.call_later(self.delay_s, issue)

    def on_transition(self, flow: Any, record: Any) -> None:
        return None

    def on_fact(self, flow: Any, fact: Any) -> None:
        kind, data = fact.kind, fact.fields
        if kind == "retry_request":
            self._later(CommandName.GRANT_RETRY, data.get("session_id"))
        elif kind == "alarm" and data.get("raised"):
            alarm = data.get("alarm")
            if alarm in ("cekal_identik", "watchlist_review"):
                self._later(CommandName.RELEASE_PASSENGER, data.get("alarm_id"))
            elif alarm in ("tailgating", "wrong_way"):
                self._later(CommandName.CLEAR_ALARM, data.get("alarm_id"))
