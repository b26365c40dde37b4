"""The real gate on the emulated board: ``edge.runtime.GateRuntime`` plus a passenger driver and supervisor.

``RuntimeRig`` writes a per-gate copy of ``hal/boards/emulated-gate.toml`` (unique ``emu://`` names),
a gate config for it (with the ledger), seeds what the gate verifies against, builds ``GateRuntime``
on the given clock (``hal.backend.use_emulated_clock`` makes the emulated devices run on it too) and
plays passengers with ``emulator.driver.PassengerDriver``. Seeding:

* enrolments: one record per passenger (face template from ``models.FacePipeline.enrol`` on the
  fixture photo, synthetic fingerprint template of the finger the driver places), either POSTed to
  central's ``/api/v1/enrolments`` (the site) or written into the gate's enrolment cache (offline);
* the watch list: in the site, central's own distribution (``emulator.site``); on a gate run alone,
  a signed snapshot file in the gate's watch-list folder (``seed_watchlist``), with an Ed25519 key
  pair generated per run; the gate verifies it like any list from central. Each
  ``cekal_identik`` passenger is listed with name, birth date and document number (an identical
  hit); each ``cekal_mirip`` passenger with a misspelt name and no document (a possible match).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core import wire
from core.clock import Clock
from core.watchlist import PartialDate, Snapshot, WatchlistEntry, sign_snapshot
from edge.config import GateConfig, parse_config
from edge.runtime import Background, GateRuntime, threaded
from emulator.devices.fingerprint import synthetic_template
from emulator.driver import EmulatedSupervisor, PassengerDriver, Played, face_photos, finger_id
from emulator.population import Kind, Passenger
from hal.backend import reset_emulated, use_emulated_clock

BOARD_TEMPLATE = Path(__file__).resolve().parents[1] / "hal" / "boards" / "emulated-gate.toml"
FINGER_MODEL = "emulated-zfm-v1"
DOOR_FAULT_S = 3.0
COMMAND_SKEW_REAL_S = 3600.0


class RigError(RuntimeError):
    """The emulated gate could not be assembled; the message says what to fix."""


def board_config(folder: Path, gate_id: str, *, door_fault_s: float = DOOR_FAULT_S) -> Path:
    """A copy of the emulated board with this gate's own ``emu://`` names (gates never share devices).

    ``door_fault_s`` replaces the doors' ``travel_time`` (when the HAL calls a move overrun a fault).
    The emulated leaf still takes its 0.6 s, inside SOP-003-A08's 1 s; the slack is for the leaf's
    20 ms steps, each a timer on the ``ScaledClock``, which drift behind on a loaded machine.
    """
    text = BOARD_TEMPLATE.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^travel_time = [0-9.]+", f"travel_time = {door_fault_s}", text)
    text = re.sub(r"emu://(\w+)/gate1", lambda m: f"emu://{m.group(1)}/{gate_id}", text)
    text = text.replace('name = "emulated-gate-1"', f'name = "emulated-{gate_id}"')
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "board.toml"
    path.write_text(text, encoding="utf-8")
    return path


def gate_config(
    folder: Path,
    *,
    gate_id: str,
    site: str,
    broker_url: str,
    central_url: str | None = None,
    direction: str = "departure",
    ledger: Path | None = None,
    watchlist_key: Path | None = None,
    command_key: Path | None = None,
    keepalive_s: int | None = None,
    factor: float = 1.0,
    outbox_max_events: int = 100_000,
    link_options: dict[str, Any] | None = None,
) -> GateConfig:
    folder.mkdir(parents=True, exist_ok=True)
    raw: dict[str, Any] = {
        "gate": {"id": gate_id, "site": site, "direction": direction, "status_file": "status.json"},
        "board": {"config": str(board_config(folder, gate_id))},
        # The emulated camera moves a flat photo rigidly, which the passive liveness cue rightly calls
        # a picture (edge/examples/gate.toml), so the emulated gate runs with liveness off.
        "face": {"liveness": "off", "max_frames": 2, "frame_interval_s": 0.0},
        "link": {"url": broker_url},
        "outbox": {"path": "outbox.sqlite", "max_events": outbox_max_events},
        "central": {"enrolment_cache_dir": "enrolments", "enrolment_timeout_s": 2.0},
        "watchlist": {"dir": "watchlist"},
        "metrics": {"port": 0},
    }
    if central_url:
        raw["central"]["url"] = central_url
    if ledger is not None:
        raw["gate"]["ledger"] = str(ledger)
    if watchlist_key is not None:
        raw["watchlist"]["public_key"] = str(watchlist_key)
    if command_key is not None:
        raw["central"]["command_public_key"] = str(command_key)
        # The gate's clock is emulated time (factor x real), central's is real time, so a command's
        # stamp drifts from the gate's "now" by (factor - 1) x the run's length. The freshness window
        # is widened to an hour of real running; signature, target and nonce checks stay as they are.
        raw["central"]["command_max_skew_s"] = COMMAND_SKEW_REAL_S * max(1.0, factor)
    if keepalive_s is not None:
        raw["link"]["keepalive_s"] = keepalive_s
    # The broker account and TLS files ([link] username, password, ca_file, cert_file, key_file).
    for name, value in (link_options or {}).items():
        raw["link"][name] = str(value) if isinstance(value, Path) else value
    return parse_config(raw, base=folder)


class FaceBook:
    """Face templates of the fixture photos, computed once per photo with the gate's own model."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        self._templates: dict[Path, bytes] = {}
        self.model_id = ""

    def template(self, photo: Path) -> bytes:
        if photo not in self._templates:
            image = cv2.imread(str(photo), cv2.IMREAD_COLOR)
            if image is None:
                raise RigError(
                    f"cannot read face photo {photo}; set IMIGRASI_FACE_FIXTURES to the faces folder"
                )
            template = self.pipeline.enrol(image)
            self.model_id = template.model_id
            self._templates[photo] = template.to_bytes()
        return self._templates[photo]


def enrolment_record(
    passenger: Passenger, faces: FaceBook, device_id: str, clock: Clock
) -> wire.EnrolmentRecord:
    face = faces.template(face_photos(passenger)[0])
    return wire.EnrolmentRecord(
        ts=clock.now(),
        device_id=device_id,
        document_number=passenger.document_number,
        issuing_state=passenger.nationality,
        face_template=face,
        face_model_id=faces.model_id,
        fingerprint_template=synthetic_template(finger_id(passenger)),
        fingerprint_model_id=FINGER_MODEL,
    )


def seed_cache(cache_dir: Path, records: Iterable[wire.EnrolmentRecord]) -> int:
    """Write records where ``edge.enrolments.EnrolmentClient`` looks when central is not asked."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    for record in records:
        body = {
            "issuing_state": record.issuing_state,
            "document_number": record.document_number,
            "face_template": {"$base64": base64.b64encode(record.face_template).decode()},
            "face_model_id": record.face_model_id,
            "fingerprint_template": {
                "$base64": base64.b64encode(record.fingerprint_template or b"").decode()
            },
            "fingerprint_model_id": record.fingerprint_model_id,
        }
        safe = re.sub(r"[^A-Z0-9<]", "_", f"{record.issuing_state}_{record.document_number}")
        (cache_dir / f"{safe}.json").write_text(json.dumps(body), encoding="utf-8")
        count += 1
    return count


def _misspelt(name: str) -> str:
    # One letter changed in the surname: what a possible (mirip) match looks like (SOP-003-A03).
    head, _, tail = name.rpartition(" ")
    changed = tail[:-1] + ("A" if tail[-1] != "A" else "E")
    return f"{head} {changed}".strip()


def watchlist_entries(passengers: Iterable[Passenger]) -> list[WatchlistEntry]:
    """List entries for the cekal passengers: identik with the document, mirip by a near name only."""
    entries = []
    for p in passengers:
        if p.kind not in (Kind.CEKAL_IDENTIK, Kind.CEKAL_MIRIP):
            continue
        year, month, day = (int(x) for x in p.birth_date.split("-"))
        name = f"{p.given_names} {p.surname}"
        identik = p.kind is Kind.CEKAL_IDENTIK
        entries.append(
            WatchlistEntry(
                entry_id=f"emu-{p.index}",
                list="pencegahan",
                full_name=name if identik else _misspelt(name),
                birth_date=PartialDate(year, month, day),
                nationality=p.nationality,
                sex=p.sex if identik else "",
                document_numbers=(p.document_number,) if identik else (),
                agency="emulator",
                reason="emulated cekal subject",
                instructions="hold and call the duty officer (emulated)",
            )
        )
    return entries


def seed_watchlist(folder: Path, passengers: Iterable[Passenger], *, version: int = 1) -> Path:
    """Sign a snapshot of the cekal passengers with a fresh key; returns the public key file.

    Writes ``folder/watchlist/snapshot.wls`` (where ``edge.watchlist_cache`` looks) and
    ``folder/watchlist.pub``. The private key is not kept: this run's list cannot be extended.
    """
    key = Ed25519PrivateKey.generate()
    snapshot = Snapshot(version=version, entries=tuple(watchlist_entries(passengers)))
    directory = folder / "watchlist"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "snapshot.wls").write_bytes(sign_snapshot(snapshot, key))
    public = folder / "watchlist.pub"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return public


@dataclass
class RuntimeRig:
    """One real gate on the emulated board, with its passenger driver and emulated supervisor."""

    config: GateConfig
    clock: Clock
    face: Any
    background: Background = threaded
    supervisor_delay_s: float = 8.0
    command_sink: Callable[[wire.CommandName, str | None], None] | None = None
    runtime: GateRuntime = field(init=False)
    driver: PassengerDriver = field(init=False)
    supervisor: EmulatedSupervisor = field(init=False)

    def __post_init__(self) -> None:
        reset_emulated()
        use_emulated_clock(self.clock)
        self.runtime = GateRuntime(
            self.config,
            clock=self.clock,
            face=self.face,
            background=self.background,
            heartbeat_s=30.0,
        )
        self.driver = PassengerDriver(
            self.runtime.board, self.clock, flow_listeners=self.runtime.flow.listeners
        )
        sink = self.command_sink or self.apply_locally
        self.supervisor = EmulatedSupervisor(self.clock, sink, delay_s=self.supervisor_delay_s)
        self.runtime.flow.listeners.append(self.supervisor)

    def apply_locally(self, name: wire.CommandName, reply_to: str | None) -> None:
        """The supervisor's command straight into the gate (unit tests; the site goes through central)."""
        command = wire.SupervisorCommand(
            ts=self.clock.now(),
            device_id="central",
            target=self.config.gate_id,
            name=name,
            in_reply_to=reply_to,
            issued_by="emulated-supervisor",
        )
        self.runtime.apply_command(command)

    def start(self) -> RuntimeRig:
        self.runtime.start()
        return self

    def play(self, passenger: Passenger, *, timeout_s: float = 60.0) -> Played:
        """Play one passenger and wait (real seconds) until the gate is ready for the next one."""
        played = self.driver.play(passenger)
        if not played.done.wait(timeout_s):
            raise RigError(
                f"passenger {passenger.index} ({passenger.kind}) not finished after {timeout_s} s; "
                f"gate state {self.runtime.flow.state}, display {played.shown[-3:]}"
            )
        return played

    def stop(self) -> None:
        self.supervisor.on_duty = False
        try:
            self.runtime.stop()
        finally:
            use_emulated_clock(None)
