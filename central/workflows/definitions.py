"""SOP definitions: one TOML file per SOP under ``sops/``, parsed and checked when loaded.

A definition keeps the catalogue's SOP id and step numbers (as strings: the seeds have "7-WNI" and
print step 15 before 14), so every transition and every SLA figure can cite "SOP-000 step 3".

Branch targets (``next`` and ``[[steps.decisions]] to``):

- a step number of the same SOP, e.g. ``"8"``;
- ``"end:<outcome>"`` where outcome is one of :data:`OUTCOMES`;
- ``"sop:<SOP id>"`` or ``"sop:<SOP id>@<step>"``: open a linked case (cekal, nonconformity handling)
  and hold this one until the linked case ends.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from central.workflows.errors import CaseNotFound, DefinitionError

SOPS_DIR = Path(__file__).resolve().parent / "sops"

# Lanes of the seeds, in our words. Kanim lanes (Darinsuk, Doklanintalkim, Intalkim, Statuskim, ...)
# are folded into what the person does, because each seed names its sections differently (§1.6).
ROLES: Mapping[str, tuple[str, str]] = {
    "applicant": ("Pemohon", "Applicant"),
    "customer_service": ("Petugas layanan pelanggan", "Customer-service officer"),
    "counter": ("Petugas loket", "Counter officer"),
    "data_entry": ("Petugas entri data", "Data-entry officer"),
    "cashier": ("Bendahara / SIMPONI", "Cashier"),
    "examiner": ("Petugas pemeriksa", "Examining officer"),
    "biometrics": ("Petugas biometrik", "Biometrics officer"),
    "wasdakim": ("Wasdakim", "Supervision and enforcement"),
    "inteldakim": ("Inteldakim", "Intelligence and enforcement"),
    "approver": ("Pejabat berwenang", "Authorised official"),
    "head_of_office": ("Kepala Kantor", "Head of office"),
    "regional_office": ("Kantor Wilayah", "Regional office"),
    "director_general": ("Direktorat Jenderal", "Directorate General"),
    "archive": ("Arsip / Tikkim", "Archive"),
    "tata_usaha": ("Tata Usaha", "Administration"),
    "counter_officer": ("Petugas konter TPI", "Checkpoint counter officer"),
    "designated_officer": ("Pejabat Imigrasi yang ditunjuk", "Designated officer (supervisor)"),
    "kabid_tpi": ("Kabid TPI", "Head of the checkpoint field"),
    "officer_1": ("Petugas 1", "Officer 1"),
    "officer_2": ("Petugas 2", "Officer 2"),
    "officer_3": ("Petugas 3", "Officer 3"),
    "kasi_vitas": ("Kasi VITAS", "Head of the VITAS section"),
    "system": ("Sistem", "System"),
}

DOCUMENT_KINDS = (
    "application_receipt",
    "payment_receipt",
    "approval_letter",
    "register_number",
    "card_record",
)
# What a system does by itself (issue 9: cekal check, register number, billing code, documents).
ACTIONS = (
    "cekal_check",
    "register_number",
    "billing_code",
    "overstay_fee",
    *(f"document:{kind}" for kind in DOCUMENT_KINDS),
)
REQUIREMENTS = ("payment",)
# How a case can end; a linked case ending "approved" or "cleared" lets its parent carry on.
OUTCOMES: Mapping[str, bool] = {
    "approved": True,
    "cleared": True,
    "rejected": False,
    "refused": False,
    "confirmed": False,
    "delayed": False,
}
KINDS = ("task", "auto")
NO_STANDARD = ("relatif", "kondisional")
_UNITS = {"s": 1, "min": 60, "h": 3600, "d": 86400}
_STANDARD = re.compile(r"^\s*(?:(\d+)\s*-\s*)?(\d+)\s*(s|min|h|d)\s*$")


def parse_standard(text: str) -> float | None:
    """Seconds allowed by a time standard, or None for "relatif"/"kondisional" (no SLA timer).

    Ranges ("1-5 min") allow their upper bound. Days are calendar days (24 h): see docs/workflows.md.

    >>> parse_standard("10 min"), parse_standard("1-5 min"), parse_standard("relatif")
    (600.0, 300.0, None)
    """
    if text.strip().lower() in NO_STANDARD:
        return None
    found = _STANDARD.match(text.lower())
    if found is None:
        raise ValueError(
            f"time standard {text!r} is not understood; write e.g. '10 min', '30 s', '4 h', '1 d', "
            f"'1-5 min', or one of {', '.join(NO_STANDARD)}"
        )
    return float(int(found.group(2)) * _UNITS[found.group(3)])


@dataclass(frozen=True)
class Decision:
    when: str
    to: str
    label_en: str = ""


@dataclass(frozen=True)
class Step:
    no: str
    name: str
    role: str
    standard: str
    seconds: float | None
    next: str
    kind: str = "task"
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    decisions: tuple[Decision, ...] = ()

    def target(self, when: str) -> str | None:
        return next((d.to for d in self.decisions if d.when == when), None)

    def rejection(self) -> Decision | None:
        """The step's unfavourable branch (an unfavourable end or the nonconformity SOP), if it has one."""
        return next(
            (
                d
                for d in self.decisions
                if (d.to.startswith("end:") and not OUTCOMES.get(d.to[4:], True))
                or d.to.startswith("sop:SOP-NC")
            ),
            None,
        )


@dataclass(frozen=True)
class Sop:
    id: str
    title_id: str
    title_en: str
    service_code: str
    variant: str
    fee: bool
    linked: tuple[str, ...]
    steps: tuple[Step, ...]
    source: str = ""
    _index: dict[str, Step] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({s.no: s for s in self.steps})

    @property
    def first(self) -> Step:
        return self.steps[0]

    def step(self, no: str) -> Step:
        try:
            return self._index[no]
        except KeyError:
            raise CaseNotFound(
                f"{self.id} has no step {no!r}; its steps are {', '.join(self._index)}"
            ) from None

    def targets(self, step: Step) -> Iterator[str]:
        yield step.next
        yield from (d.to for d in step.decisions)


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DefinitionError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


def parse_sop(data: Mapping[str, Any], source: str = "") -> Sop:
    """Build and check one SOP from its parsed TOML; raises :class:`DefinitionError` naming the step."""
    sop_id = str(data.get("id", "")).strip()
    if not sop_id:
        raise DefinitionError(f"{source or 'definition'}: the SOP has no 'id'; add id = \"SOP-...\"")
    for key in ("title_id", "title_en", "service_code"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise DefinitionError(f"{sop_id}: '{key}' is missing; every SOP needs a title and a service code")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise DefinitionError(f"{sop_id}: no [[steps]]; an SOP needs at least one step")
    numbers: list[str] = []
    for raw in raw_steps:
        no = str(raw.get("no", "")).strip()
        if not no:
            raise DefinitionError(f"{sop_id}: a step has no 'no'; give the catalogue's step number")
        if no in numbers:
            raise DefinitionError(f"{sop_id} step {no}: duplicate step number; each step number appears once")
        numbers.append(no)
    steps = tuple(_parse_step(sop_id, raw, numbers, i) for i, raw in enumerate(raw_steps))
    sop = Sop(
        id=sop_id,
        title_id=data["title_id"],
        title_en=data["title_en"],
        service_code=data["service_code"],
        variant=str(data.get("variant", "")),
        fee=bool(data.get("fee", True)),
        linked=_strings(data.get("linked"), sop_id, "linked"),
        steps=steps,
        source=source,
    )
    _check_reachable(sop)
    return sop


def _parse_step(sop_id: str, raw: Mapping[str, Any], numbers: list[str], position: int) -> Step:
    no = numbers[position]
    where = f"{sop_id} step {no}"
    role = raw.get("role", "")
    if role not in ROLES:
        raise DefinitionError(f"{where}: unknown role {role!r}; use one of {', '.join(ROLES)}")
    kind = raw.get("kind", "task")
    if kind not in KINDS:
        raise DefinitionError(f"{where}: kind {kind!r} must be 'task' (people) or 'auto' (the system)")
    standard = str(raw.get("standard", ""))
    try:
        seconds = parse_standard(standard)
    except ValueError as exc:
        raise DefinitionError(f"{where}: {exc}") from None
    actions = _strings(raw.get("actions"), where, "actions")
    for action in actions:
        if action not in ACTIONS:
            raise DefinitionError(
                f"{where}: unknown automatic action {action!r}; use one of {', '.join(ACTIONS)}"
            )
    requires = _strings(raw.get("requires"), where, "requires")
    for need in requires:
        if need not in REQUIREMENTS:
            raise DefinitionError(
                f"{where}: unknown requirement {need!r}; use one of {', '.join(REQUIREMENTS)}"
            )
    if kind == "auto" and not actions:
        raise DefinitionError(f"{where}: an automatic step needs at least one action")
    default_next = numbers[position + 1] if position + 1 < len(numbers) else "end:approved"
    nxt = str(raw.get("next", default_next))
    decisions = []
    for d in raw.get("decisions", []):
        when, to = str(d.get("when", "")), str(d.get("to", ""))
        if not when or not to:
            raise DefinitionError(f"{where}: a decision needs both 'when' and 'to'")
        decisions.append(Decision(when, to, str(d.get("label_en", ""))))
    if len({d.when for d in decisions}) != len(decisions):
        raise DefinitionError(f"{where}: two decisions share a 'when'; each branch needs its own name")
    for target in (nxt, *(d.to for d in decisions)):
        _check_target(where, target, numbers)
    return Step(
        no=no,
        name=str(raw.get("name", "")),
        role=role,
        standard=standard,
        seconds=seconds,
        next=nxt,
        kind=kind,
        inputs=_strings(raw.get("inputs"), where, "inputs"),
        outputs=_strings(raw.get("outputs"), where, "outputs"),
        actions=actions,
        requires=requires,
        decisions=tuple(decisions),
    )


def _check_target(where: str, target: str, numbers: list[str]) -> None:
    if target.startswith("end:"):
        if target[4:] not in OUTCOMES:
            raise DefinitionError(
                f"{where}: branch {target!r} ends with an unknown outcome; use {', '.join(OUTCOMES)}"
            )
    elif target.startswith("sop:"):
        if not target[4:]:
            raise DefinitionError(f"{where}: branch 'sop:' names no SOP")
    elif target not in numbers:
        raise DefinitionError(f"{where}: dangling branch to step {target!r}, which this SOP does not have")


def _check_reachable(sop: Sop) -> None:
    seen: set[str] = set()
    todo = [sop.first.no]
    while todo:
        no = todo.pop()
        if no in seen:
            continue
        seen.add(no)
        todo.extend(t for t in sop.targets(sop.step(no)) if t in sop._index)
    for step in sop.steps:
        if step.no not in seen:
            raise DefinitionError(f"{sop.id} step {step.no}: unreachable; no step or decision leads to it")


def split_link(target: str) -> tuple[str, str | None]:
    """``"sop:SOP-003-A03@4"`` → ``("SOP-003-A03", "4")``."""
    sop_id, _, step = target[4:].partition("@")
    return sop_id, step or None


class Catalogue:
    """Every loaded SOP, with the office's choice among variants of the same service (§5.5)."""

    def __init__(self, sops: Iterable[Sop], choices: Mapping[str, str] | None = None) -> None:
        self.sops: dict[str, Sop] = {}
        for sop in sops:
            if sop.id in self.sops:
                raise DefinitionError(
                    f"{sop.id}: defined twice ({self.sops[sop.id].source} and {sop.source})"
                )
            self.sops[sop.id] = sop
        self.choices = dict(choices or {})
        for sop in self.sops.values():
            for step in sop.steps:
                for target in sop.targets(step):
                    if target.startswith("sop:"):
                        linked, at = split_link(target)
                        if linked not in self.sops:
                            raise DefinitionError(
                                f"{sop.id} step {step.no}: linked SOP {linked!r} is not defined"
                            )
                        if at is not None:
                            self.sops[linked].step(at)
        for service, chosen in self.choices.items():
            if self.sop(chosen).service_code != service:
                raise DefinitionError(f"variant choice {service}={chosen}: {chosen} does not serve {service}")

    @classmethod
    def load(cls, folder: Path = SOPS_DIR, choices: Mapping[str, str] | None = None) -> Catalogue:
        return cls((load_sop(path) for path in sorted(folder.glob("*.toml"))), choices)

    def sop(self, sop_id: str) -> Sop:
        try:
            return self.sops[sop_id]
        except KeyError:
            raise CaseNotFound(f"no SOP {sop_id!r}; known: {', '.join(sorted(self.sops))}") from None

    def services(self) -> dict[str, list[Sop]]:
        out: dict[str, list[Sop]] = {}
        for sop in sorted(self.sops.values(), key=lambda s: s.id):
            out.setdefault(sop.service_code, []).append(sop)
        return out

    def for_service(self, service_code: str) -> Sop:
        """The SOP an office runs for a service: its configured variant, else the first by SOP id."""
        if service_code in self.choices:
            return self.sop(self.choices[service_code])
        variants = self.services().get(service_code)
        if not variants:
            raise CaseNotFound(f"no service {service_code!r}; known: {', '.join(sorted(self.services()))}")
        return variants[0]


def load_sop(path: Path) -> Sop:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{path.name}: not valid TOML ({exc}); fix the file") from None
    return parse_sop(data, source=path.name)
