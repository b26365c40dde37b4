"""A small declarative state machine: states and transitions in the class body, checked at definition.

STYLE.md (python-statemachine): states are conditions, events are facts; guards are named predicates
with no I/O; actions run on entering a state (``on_enter_<state>``); each event finishes before the
next (events sent while one is being handled are queued); listeners see every transition. On top of
that every state may name a timeout (an attribute of the machine's timings), and a state that has one
must declare where ``timed_out`` leads, so "every state has an owner timeout and a way out" is checked
when the class is defined, not discovered in the field.

>>> class Turnstile(Machine):
...     locked = State(initial=True)
...     unlocked = State(timeout="open_s")
...     transitions = [
...         locked.to(unlocked, on="coin_inserted"),
...         unlocked.to(locked, on="pushed_through"),
...         unlocked.to(locked, on="timed_out"),
...     ]
>>> from core.clock import ManualClock
>>> clock = ManualClock()
>>> gate = Turnstile(clock, {"open_s": 5.0})
>>> _ = gate.send("coin_inserted"); gate.state
'unlocked'
>>> clock.advance(5.0); gate.state
'locked'
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from core.clock import Clock, Timer
from edge.errors import EdgeError

TIMED_OUT = "timed_out"


class MachineDefinitionError(EdgeError, TypeError):
    """A machine class is declared wrongly (unknown state, dead end, missing timeout way out)."""


@dataclass(eq=False)
class State:
    """One condition of the machine; ``timeout`` names the timing (seconds) after which it is left."""

    initial: bool = False
    timeout: str | None = None
    final: bool = False
    name: str = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def to(self, target: State, *, on: str, cond: str | None = None) -> Transition:
        return Transition(sources=(self,), target=target, event=on, cond=cond)

    def __repr__(self) -> str:
        return f"State({self.name})"


@dataclass(frozen=True, eq=False)
class Transition:
    sources: tuple[State, ...]
    target: State
    event: str
    cond: str | None = None


def from_any(sources: Iterable[State], target: State, *, on: str, cond: str | None = None) -> Transition:
    """One transition from each of several states (e.g. the fire alarm from every state)."""
    return Transition(sources=tuple(sources), target=target, event=on, cond=cond)


@dataclass(frozen=True)
class TransitionRecord:
    """What listeners receive after every transition."""

    event: str
    source: str
    target: str
    at: float
    data: Mapping[str, Any] = field(default_factory=dict)


class Machine:
    """Base class: subclasses declare ``State`` attributes and a ``transitions`` list."""

    states: ClassVar[dict[str, State]]
    transitions: ClassVar[tuple[Transition, ...]]
    _table: ClassVar[dict[tuple[str, str], list[Transition]]]
    _initial: ClassVar[State]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        states = {name: value for name, value in vars(cls).items() if isinstance(value, State)}
        if not states:
            raise MachineDefinitionError(f"{cls.__name__} declares no states")
        initial = [s for s in states.values() if s.initial]
        if len(initial) != 1:
            raise MachineDefinitionError(
                f"{cls.__name__} needs exactly one initial state, has {len(initial)}"
            )
        table: dict[tuple[str, str], list[Transition]] = {}
        leaving: set[str] = set()
        for t in cls.transitions:
            for s in (*t.sources, t.target):
                if states.get(s.name) is not s:
                    raise MachineDefinitionError(
                        f"{cls.__name__}: transition {t.event!r} names unknown {s!r}"
                    )
            if t.cond is not None and not callable(getattr(cls, t.cond, None)):
                raise MachineDefinitionError(
                    f"{cls.__name__}: guard {t.cond!r} of {t.event!r} is not a method"
                )
            for s in t.sources:
                table.setdefault((s.name, t.event), []).append(t)
                leaving.add(s.name)
        for state in states.values():
            if not state.final and state.name not in leaving:
                raise MachineDefinitionError(f"{cls.__name__}: state {state.name} has no way out")
            if state.timeout is not None and (state.name, TIMED_OUT) not in table:
                raise MachineDefinitionError(
                    f"{cls.__name__}: state {state.name} has a timeout but no {TIMED_OUT!r} transition"
                )
        cls.states = states
        cls._table = table
        cls._initial = initial[0]

    def __init__(self, clock: Clock, timings: Mapping[str, float]) -> None:
        missing = sorted({s.timeout for s in self.states.values() if s.timeout} - set(timings))
        if missing:
            raise MachineDefinitionError(f"{type(self).__name__}: timings missing for {missing}")
        self.clock = clock
        self.timings = dict(timings)
        self.listeners: list[Any] = []
        self._state = self._initial
        self.previous_state = ""
        self.last_event = ""
        self._queue: deque[tuple[str, dict[str, Any]]] = deque()
        self._lock = threading.RLock()
        self._busy = False
        self._timer: Timer | None = None
        self._generation = 0
        self._stopped = False
        self.entered_at = clock.monotonic()

    @property
    def state(self) -> str:
        return self._state.name

    def deadline(self) -> float | None:
        """When the current state's timeout falls due (monotonic seconds), or ``None``."""
        if self._state.timeout is None:
            return None
        return self.entered_at + self.timings[self._state.timeout]

    def start(self) -> None:
        """Run the initial state's entry action (call once, after listeners are attached)."""
        with self._lock:
            self._enter(
                self._initial, TransitionRecord("started", "", self._initial.name, self.clock.monotonic())
            )

    def stop(self) -> None:
        """Cancel the state's timer and take no more events (the owner is shutting down)."""
        with self._lock:
            self._stopped = True
            self._queue.clear()
            self._generation += 1  # a timer already firing is stale
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    @property
    def stopped(self) -> bool:
        return self._stopped

    def send(self, event: str, **data: Any) -> bool:
        """Deliver one event; queued if another is being handled. Returns whether it was handled now.

        After ``stop()`` events are dropped (``False``)."""
        with self._lock:
            if self._stopped:
                return False
            self._queue.append((event, data))
            if self._busy:
                return False
            self._busy = True
            try:
                while self._queue and not self._stopped:
                    name, payload = self._queue.popleft()
                    self._handle(name, payload)
            finally:
                self._busy = False
            return True

    def allowed_events(self) -> list[str]:
        return sorted({event for (state, event) in self._table if state == self._state.name})

    # -- hooks for subclasses -------------------------------------------------------------------------

    def absorb(self, event: str, data: Mapping[str, Any]) -> None:
        """Keep event data the machine needs later (called for every event, before guards)."""

    def unhandled(self, event: str, data: Mapping[str, Any]) -> None:
        """An event the current state has no transition for (ignored by default)."""

    # -- internals ------------------------------------------------------------------------------------

    def _handle(self, event: str, data: dict[str, Any]) -> None:
        if event == TIMED_OUT and data.get("generation") != self._generation:
            return  # a timer of a state already left
        self.absorb(event, data)
        for t in self._table.get((self._state.name, event), ()):
            if t.cond is None or getattr(self, t.cond)():
                record = TransitionRecord(
                    event, self._state.name, t.target.name, self.clock.monotonic(), data
                )
                self._enter(t.target, record)
                return
        self.unhandled(event, data)

    def _enter(self, target: State, record: TransitionRecord) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._generation += 1
        self.previous_state = self._state.name
        self.last_event = record.event
        self._state = target
        self.entered_at = self.clock.monotonic()
        if target.timeout is not None and not self._stopped:
            generation = self._generation
            delay = self.timings[target.timeout]

            def fire() -> None:
                self.send(TIMED_OUT, generation=generation)

            self._timer = self.clock.call_later(delay, fire)
        action: Callable[[], None] | None = getattr(self, f"on_enter_{target.name}", None)
        if action is not None:
            action()
        for listener in list(self.listeners):
            hook = getattr(listener, "on_transition", None)
            if hook is not None:
                hook(self, record)

    @classmethod
    def transition_table(cls) -> str:
        """The declared transitions as a Markdown table (for docs/gate.md; keep it true)."""
        lines = ["| from | event | guard | to |", "|---|---|---|---|"]
        for t in cls.transitions:
            for s in t.sources:
                lines.append(f"| {s.name} | {t.event} | {t.cond or ''} | {t.target.name} |")
        return "\n".join(lines)
