"""A simulated lane for flow tests: doors with travel time and obstruction, on a hand-advanced clock.

The ``hal`` devices are being written in parallel; these stand-ins act like them at the flow's ports
(commands in, events out, time from the same ``ManualClock``), so flow tests never sleep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from core.clock import ManualClock, Timer
from core.documents import MrzResult, TravelDocument, parse_mrz, render_mrz
from edge.flow import DocumentCheck, Fact, FlowPolicy, GateFlow, GatePorts, Screening, Verdict
from edge.machine import TransitionRecord

TRAVEL_S = 0.8  # door travel in the simulation (SOP-003-A08: doors move within 1 s)


def passport(
    *,
    issuing_state: str = "IDN",
    expiry: date = date(2030, 1, 1),
    number: str = "X1234567",
    surname: str = "SANTOSO",
) -> MrzResult:
    doc = TravelDocument(
        document_code="P",
        issuing_state=issuing_state,
        surname=surname,
        given_names="BUDI",
        document_number=number,
        nationality=issuing_state,
        birth_date=date(1980, 5, 17),
        sex="M",
        expiry_date=expiry,
    )
    return parse_mrz(render_mrz(doc, "TD3"))


def check(
    mrz: MrzResult | None = None, verdict: Verdict = Verdict.NO_HIT, *, instructions: str = ""
) -> DocumentCheck:
    screening = Screening(
        verdict, "W-1" if verdict is not Verdict.NO_HIT else None, "prevention", instructions
    )
    return DocumentCheck(passport() if mrz is None else mrz, screening)


class SimDoor:
    def __init__(self, name: str, clock: ManualClock, lane: Lane, travel_s: float = TRAVEL_S) -> None:
        self.name = name
        self.clock = clock
        self.lane = lane
        self.travel_s = travel_s
        self.position = "closed"  # closed | opening | open | closing
        self.locked = True
        self.obstructed = False
        self.commands: list[str] = []
        self._motion: Timer | None = None

    @property
    def is_open(self) -> bool:
        """Anything but fully closed counts as open for the interlock."""
        return self.position != "closed"

    def _move(self, to: str, event: str, delay: float) -> None:
        if self._motion is not None:
            self._motion.cancel()

        def arrive() -> None:
            self._motion = None
            self.position = to
            self.lane.send(event)

        self._motion = self.clock.call_later(delay, arrive)

    def open(self) -> None:
        self.commands.append("open")
        self.locked = False
        if self.position in ("open", "opening"):
            return
        self.position = "opening"
        self._move("open", f"{self.name}_opened", self.travel_s)

    def close(self) -> None:
        self.commands.append("close")
        if self.position in ("closed", "closing"):
            return
        if self.obstructed:
            self._obstruct()
            return
        self.position = "closing"
        self._move("closed", f"{self.name}_closed", self.travel_s)

    def lock(self) -> None:
        self.commands.append("lock")
        if self.position == "closed":
            self.locked = True
        else:
            self.close()

    def block(self, blocked: bool = True) -> None:
        """Someone stands in the doorway; a closing door stops and reopens (hal GateDoor does this)."""
        self.obstructed = blocked
        if blocked and self.position == "closing":
            self._obstruct()

    def _obstruct(self) -> None:
        self.position = "opening"
        self._move("open", f"{self.name}_opened", self.travel_s / 2)
        self.lane.send(f"{self.name}_obstructed")


class SimDisplay:
    def __init__(self) -> None:
        self.shown: list[str] = []

    def show(self, key: str) -> None:
        self.shown.append(key)

    @property
    def current(self) -> str:
        return self.shown[-1]


class SimBiometrics:
    """Answers each capture after ``capture_s`` from a script of outcomes (``True`` = match)."""

    def __init__(self, clock: ManualClock, lane: Lane, capture_s: float = 1.0) -> None:
        self.clock = clock
        self.lane = lane
        self.capture_s = capture_s
        self.fingerprint: list[bool] = []
        self.face: list[bool] = []
        self.started: list[str] = []
        self._pending: Timer | None = None
        self.auto = True

    def _answer(self, kind: str, script: list[bool]) -> None:
        self.started.append(kind)
        if not self.auto:
            return
        ok = script.pop(0) if script else True
        event = f"{kind}_matched" if ok else f"{kind}_failed"
        self._pending = self.clock.call_later(self.capture_s, lambda: self.lane.send(event))

    def start_fingerprint(self, record: object) -> None:
        self._answer("fingerprint", self.fingerprint)

    def start_face(self, record: object) -> None:
        self._answer("face", self.face)

    def cancel(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None


class SimEnrolments:
    def __init__(self, clock: ManualClock, lane: Lane) -> None:
        self.clock = clock
        self.lane = lane
        self.available = True
        self.auto = True
        self.delay_s = 0.2
        self.requested: list[str] = []

    def request(self, mrz: MrzResult) -> None:
        self.requested.append(mrz.document_number)
        if not self.auto:
            return
        if self.available:
            self.clock.call_later(
                self.delay_s, lambda: self.lane.send("enrolment_ready", record={"doc": mrz.document_number})
            )
        else:
            self.clock.call_later(self.delay_s, lambda: self.lane.send("enrolment_unavailable"))


@dataclass
class Recorder:
    """A listener keeping every transition and fact, as the outbox and audit listeners would see them."""

    transitions: list[TransitionRecord] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)

    def on_transition(self, flow: GateFlow, record: TransitionRecord) -> None:
        self.transitions.append(record)

    def on_fact(self, flow: GateFlow, fact: Fact) -> None:
        self.facts.append(fact)

    def kinds(self) -> list[str]:
        return [f.kind for f in self.facts]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [dict(f.fields) for f in self.facts if f.kind == kind]

    def alarms(self) -> list[str]:
        return [f.fields["alarm"] for f in self.facts if f.kind == "alarm" and f.fields["raised"]]


class Lane:
    """The flow wired to simulated devices; ``send`` is what hardware callbacks would call."""

    def __init__(
        self, policy: FlowPolicy | None = None, *, travel_s: float = TRAVEL_S, start: datetime | None = None
    ) -> None:
        self.clock = ManualClock(start)
        self.entry = SimDoor("entry", self.clock, self, travel_s)
        self.exit = SimDoor("exit", self.clock, self, travel_s)
        self.display = SimDisplay()
        self.biometrics = SimBiometrics(self.clock, self)
        self.enrolments = SimEnrolments(self.clock, self)
        ports = GatePorts(self.entry, self.exit, self.display, self.biometrics, self.enrolments)
        self.flow = GateFlow(self.clock, ports, gate_id="gate-01", policy=policy)
        self.recorder = Recorder()
        self.flow.listeners.append(self.recorder)
        self.flow.start()

    @property
    def state(self) -> str:
        return self.flow.state

    def send(self, event: str, **data: Any) -> None:
        self.flow.send(event, **data)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def scan(self, document: DocumentCheck | None = None) -> None:
        self.send("document_read", check=document or check())

    def walk_in(self) -> None:
        """Entrance open → the passenger steps in past the entry door."""
        self.advance(1.0)
        self.send("passenger_entered")
        self.advance(1.0)

    def walk_out(self) -> None:
        self.advance(1.0)
        self.send("passenger_exited")
        self.advance(1.0)

    def step_back_out(self) -> None:
        self.advance(1.0)
        self.send("lane_clear")
        self.advance(1.0)
