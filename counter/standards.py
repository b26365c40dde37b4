"""The counter SOPs' time standards and a per-step stopwatch on the injected clock.

SOP §0.4 item 6 and SOP-003-A01/A02/A11/A12: 3 s receive, 20 s validity, 5 s scan, 5 s list check,
15 s permit type, 20 s biometrics, flight code 1 min (A01/A02) or 5 s (A11/A12), 5 s stamp, 2 s return.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.clock import Clock


class Step(StrEnum):
    RECEIVE = "receive"  # A01-2
    VALIDITY = "validity"  # A01-3
    SCAN = "scan"  # A01-4
    LIST_CHECK = "list_check"  # A01-5
    PERMIT = "permit"  # A01-6
    BIOMETRICS = "biometrics"  # A01-10
    FLIGHT_CODE = "flight_code"  # A01-11
    STAMP = "stamp"  # A01-12


STANDARD_S: dict[Step, float] = {
    Step.RECEIVE: 3.0,
    Step.VALIDITY: 20.0,
    Step.SCAN: 5.0,
    Step.LIST_CHECK: 5.0,
    Step.PERMIT: 15.0,
    Step.BIOMETRICS: 20.0,
    Step.FLIGHT_CODE: 60.0,
    Step.STAMP: 5.0,
}
# SOP-003-A11/A12 step 11: a migrant worker's flight code has 5 s, not A01's minute.
PMI_FLIGHT_CODE_S = 5.0


@dataclass(frozen=True)
class StepTime:
    """How long one step took against its SOP standard; on time means strictly under it."""

    step: Step
    seconds: float
    standard_s: float

    @property
    def within(self) -> bool:
        return self.seconds < self.standard_s

    def to_dict(self) -> dict[str, object]:
        return {
            "step": self.step.value,
            "seconds": round(self.seconds, 3),
            "standard_s": self.standard_s,
            "within": self.within,
        }


class StepClock:
    """Times steps on ``clock.monotonic()``; a step runs from ``start`` until ``stop``."""

    def __init__(self, clock: Clock, *, pmi: bool = False) -> None:
        self.clock = clock
        self.pmi = pmi
        self.times: dict[Step, StepTime] = {}
        self._started: dict[Step, float] = {}

    def start(self, step: Step) -> None:
        self._started[step] = self.clock.monotonic()

    def is_running(self, step: Step) -> bool:
        return step in self._started

    def stop(self, step: Step) -> StepTime:
        began = self._started.pop(step, self.clock.monotonic())
        standard = PMI_FLIGHT_CODE_S if (self.pmi and step is Step.FLIGHT_CODE) else STANDARD_S[step]
        timed = StepTime(step, self.clock.monotonic() - began, standard)
        self.times[step] = timed
        return timed

    def millis(self, *steps: Step) -> int | None:
        """Milliseconds of the given steps together; ``None`` when none of them was timed."""
        found = [self.times[s].seconds for s in steps if s in self.times]
        return round(sum(found) * 1000) if found else None
