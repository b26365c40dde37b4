"""Who walks up to the gates, and how long people take: a seeded passenger population and timing model.

Every passenger is drawn from one ``random.Random(seed)``, so the same scenario, seed and gate count give
the same passengers in the same order on every run. Gate ``i`` of ``n`` plays passengers ``i, i+n, ...``
(``share``), so each gate process can rebuild its own share without talking to the others.

The timing model (seconds; sources and reasoning in docs/emulator.md):

- walking: comfortable adult walking speed, normal around 1.34 m/s (sd 0.2), over a 2.5 m lane;
- placing the passport on the reader: log-normal, median 4 s (the SOP-003-A08 scan budget is 5 s,
  which includes reading and the cekal check);
- placing a finger: log-normal, median 3 s; looking at the camera: log-normal, median 2 s;
- "slow" passengers (elderly, first-time users) take about twice as long at every step.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

LANE_LENGTH_M = 2.5
WALK_SPEED_MEAN = 1.34
WALK_SPEED_SD = 0.2
DOOR_TRAVEL_S = 1.0  # SOP-003-A08 steps 4 and 8: the 1 s door standard


class Kind(StrEnum):
    """The kinds of passenger a scenario mixes (issue 11's population)."""

    VALID = "valid"  # a DPRI holder, enrolled, everything matches
    EXPIRED = "expired"  # DPRI past its expiry date: A08-3 fail, entrance stays shut
    DAMAGED_MRZ = "damaged_mrz"  # the MRZ cannot be read: A08-3 fail
    FOREIGN = "foreign"  # not a DPRI: the autogate serves WNI only (SOP §0.4 item 1)
    CEKAL_IDENTIK = "cekal_identik"  # identical watch-list hit: held inside (A08-4, A03)
    CEKAL_MIRIP = "cekal_mirip"  # similar watch-list hit: held for a supervisor's review
    IMPOSTOR = "impostor"  # the face is not the holder's: A08-7 redirect
    NEEDS_RETRY = "needs_retry"  # first fingerprint fails, the supervisor grants a retry (A08-5/6)
    SLOW = "slow"  # valid but twice as slow at every step
    WALKS_AWAY = "walks_away"  # scans, then never enters: the entry timeout runs out
    TAILGATER = "tailgater"  # a second body follows a valid passenger in: intrusion alarm
    WRONG_WAY = "wrong_way"  # someone enters from the exit side: intrusion alarm


# What each kind ends as (core.wire.CrossingOutcome values) and with which reason, following the
# gate's safe defaults in docs/gate.md. A kind with an alarm also raises one (core.wire.AlarmKind).
EXPECTED: Mapping[Kind, tuple[str, str]] = {
    Kind.VALID: ("crossed", ""),
    Kind.EXPIRED: ("rejected_document", "expired"),
    Kind.DAMAGED_MRZ: ("rejected_document", "unreadable"),
    Kind.FOREIGN: ("not_eligible", "not_dpri"),
    Kind.CEKAL_IDENTIK: ("held_cekal", "cekal_identik"),
    Kind.CEKAL_MIRIP: ("held_review", "cekal_mirip"),
    Kind.IMPOSTOR: ("redirected", "face_mismatch"),
    Kind.NEEDS_RETRY: ("crossed", ""),
    Kind.SLOW: ("crossed", ""),
    Kind.WALKS_AWAY: ("timeout", "not_entered"),
    Kind.TAILGATER: ("redirected", "tailgating"),
    Kind.WRONG_WAY: ("abandoned", "wrong_way"),
}
ALARMS: Mapping[Kind, str] = {
    Kind.CEKAL_IDENTIK: "cekal_identik",
    Kind.CEKAL_MIRIP: "cekal_mirip",
    Kind.TAILGATER: "tailgating",
    Kind.WRONG_WAY: "wrong_way",
}


class PopulationError(ValueError):
    """A population mix or timing parameter is not usable."""


@dataclass(frozen=True)
class Timing:
    """Seconds one passenger spends at each step (emulated time)."""

    walk_in_s: float
    scan_s: float
    fingerprint_s: float
    face_s: float
    walk_out_s: float

    def cycle_s(self, kind: Kind) -> float:
        """Lane occupancy from the passport touching the reader to the lane reset, for this kind."""
        doors = 2 * DOOR_TRAVEL_S
        if kind in (Kind.EXPIRED, Kind.DAMAGED_MRZ, Kind.FOREIGN):
            return self.scan_s  # A08-3 fail: the entrance never opens
        if kind is Kind.WALKS_AWAY:
            return self.scan_s + 15.0  # the gate's enter_s timeout (docs/gate.md)
        if kind is Kind.WRONG_WAY:
            return self.walk_in_s + DOOR_TRAVEL_S
        if kind in (Kind.CEKAL_IDENTIK, Kind.CEKAL_MIRIP):
            return self.scan_s + self.walk_in_s + doors
        if kind is Kind.IMPOSTOR:
            return self.scan_s + self.walk_in_s + self.fingerprint_s + 2 * self.face_s + doors
        if kind is Kind.NEEDS_RETRY:
            return (
                self.scan_s + self.walk_in_s + 2 * self.fingerprint_s + self.face_s + self.walk_out_s + doors
            )
        return self.scan_s + self.walk_in_s + self.fingerprint_s + self.face_s + self.walk_out_s + doors


@dataclass(frozen=True)
class Passenger:
    """One traveller: who they are, what they carry, how they behave and how long they take."""

    index: int
    kind: Kind
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: str
    sex: str
    expiry_date: str
    arrival_s: float  # emulated seconds after the scenario start when they reach the gate area
    timing: Timing

    @property
    def expected_outcome(self) -> str:
        return EXPECTED[self.kind][0]

    @property
    def expected_reason(self) -> str:
        return EXPECTED[self.kind][1]

    @property
    def alarm(self) -> str | None:
        return ALARMS.get(self.kind)

    @property
    def cycle_s(self) -> float:
        return self.timing.cycle_s(self.kind)


_SURNAMES = (
    "SANTOSO", "WIJAYA", "HALIM", "SIREGAR", "NASUTION", "HARAHAP", "PRATAMA", "SAPUTRA", "KUSUMA",
    "HIDAYAT", "SETIAWAN", "GUNAWAN", "LUBIS", "SIMANJUNTAK", "WIBOWO", "PURNOMO", "TANJUNG", "RAHAYU",
)  # fmt: skip
_GIVEN = (
    "BUDI", "SITI", "AGUS", "DEWI", "RINA", "ANDI", "PUTRI", "EKO", "NUR", "AYU", "RUDI", "INDAH",
    "YOGA", "SRI", "HENDRA", "LESTARI", "FAJAR", "MAYA",
)  # fmt: skip
_FOREIGN_NATIONALITIES = ("MYS", "SGP", "AUS", "JPN", "NLD", "CHN", "USA")


def lognormal(rng: random.Random, median: float, sigma: float = 0.35) -> float:
    """A positive duration with the given median; sigma 0.35 puts the 90th percentile near 1.6x."""
    return median * math.exp(rng.gauss(0.0, sigma))


def draw_timing(rng: random.Random, *, slow: bool = False) -> Timing:
    """Seconds for each step of one passenger (see the module docstring and docs/emulator.md)."""
    speed = max(0.5, rng.gauss(WALK_SPEED_MEAN, WALK_SPEED_SD))
    factor = 2.0 if slow else 1.0
    walk = LANE_LENGTH_M / speed * factor
    return Timing(
        walk_in_s=walk / 2,
        scan_s=lognormal(rng, 4.0) * factor,
        fingerprint_s=lognormal(rng, 3.0) * factor,
        face_s=lognormal(rng, 2.0) * factor,
        walk_out_s=walk / 2,
    )


def normalise_mix(mix: Mapping[str, float]) -> dict[Kind, float]:
    """The mix as shares of 1 by kind; raises PopulationError naming an unknown kind or a bad weight."""
    shares: dict[Kind, float] = {}
    for name, weight in mix.items():
        try:
            kind = Kind(name)
        except ValueError:
            raise PopulationError(
                f"unknown passenger kind {name!r} in the mix; use one of {', '.join(k.value for k in Kind)}"
            ) from None
        if not isinstance(weight, int | float) or weight < 0 or math.isnan(weight):
            raise PopulationError(f"mix weight of {name!r} must be a number >= 0, got {weight!r}")
        shares[kind] = float(weight)
    total = sum(shares.values())
    if total <= 0:
        raise PopulationError("the mix has no positive weight; give at least one kind a weight above 0")
    return {kind: weight / total for kind, weight in shares.items() if weight > 0}


@dataclass
class Population:
    """A seeded stream of passengers from a mix and an arrival rate (passengers per hour per gate)."""

    mix: Mapping[str, float]
    seed: int
    arrivals_per_hour: float = 180.0
    gates: int = 1
    start: date = field(default_factory=lambda: date(2026, 11, 22))

    def __post_init__(self) -> None:
        self._shares = normalise_mix(self.mix)
        if self.arrivals_per_hour <= 0:
            raise PopulationError(f"arrivals_per_hour must be above 0, got {self.arrivals_per_hour}")
        if self.gates < 1:
            raise PopulationError(f"gates must be at least 1, got {self.gates}")

    def passengers(self, count: int) -> list[Passenger]:
        """The first ``count`` passengers of the site, in arrival order."""
        return list(self._generate(count))

    def share(self, count: int, index: int) -> list[Passenger]:
        """The passengers gate ``index`` (0-based) of ``gates`` plays out of the site's first ``count``."""
        if not 0 <= index < self.gates:
            raise PopulationError(f"gate index {index} is outside 0..{self.gates - 1}")
        return [p for p in self._generate(count) if p.index % self.gates == index]

    def _generate(self, count: int) -> Iterator[Passenger]:
        rng = random.Random(self.seed)
        kinds = list(self._shares)
        weights = [self._shares[k] for k in kinds]
        # Poisson arrivals for the whole site: exponential gaps at gates x the per-gate rate.
        rate_per_s = self.arrivals_per_hour * self.gates / 3600.0
        t = 0.0
        for index in range(count):
            kind = rng.choices(kinds, weights)[0]
            t += rng.expovariate(rate_per_s)
            yield self._person(rng, index, kind, t)

    def _person(self, rng: random.Random, index: int, kind: Kind, arrival_s: float) -> Passenger:
        nationality = rng.choice(_FOREIGN_NATIONALITIES) if kind is Kind.FOREIGN else "IDN"
        birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
        if kind is Kind.EXPIRED:
            expiry = self.start - timedelta(days=rng.randrange(1, 2000))
        else:
            expiry = self.start + timedelta(days=rng.randrange(30, 3650))
        letter = "C" if nationality == "IDN" else "X"
        return Passenger(
            index=index,
            kind=kind,
            surname=rng.choice(_SURNAMES),
            given_names=rng.choice(_GIVEN),
            document_number=f"{letter}{rng.randrange(0, 10**7):07d}",
            nationality=nationality,
            birth_date=birth.isoformat(),
            sex=rng.choice("MF"),
            expiry_date=expiry.isoformat(),
            arrival_s=arrival_s,
            timing=draw_timing(rng, slow=kind is Kind.SLOW),
        )
