"""``python -m emulator gate --engine runtime``: the real gate runtime, played by the passenger driver.

One process = one gate: ``emulator.rungate.RuntimeRig`` (``edge.runtime.GateRuntime`` on a per-gate copy
of the emulated board, on a ``ScaledClock``). Before the first passenger it seeds what the gate needs:

* its passengers' enrolments, POSTed to central's ``/api/v1/enrolments`` with the gate's device token
  (as a kiosk would have); the gate then fetches them by document like a real one. Without a central
  URL they go into the gate's enrolment cache instead;
* the watch list: with ``--watchlist-public-key`` (the site) nothing is seeded; the site imported the
  cekal passengers into central's list and the gate gets it by central's distribution (retained
  announce, download, signature check), waiting for it before its first passenger. Without it, a
  signed snapshot of its own cekal passengers (key generated per run) in its watch-list folder.
* with ``--command-public-key`` the gate verifies central's signature on every supervisor command.

The emulated supervisor answers through central's command API (``POST /api/v1/commands``, a supervisor's
bearer token) when ``--supervisor-token-file`` is given, else straight into the gate.

Ledger (``ledger.jsonl``, the same file the wire stand-in writes, read by ``emulator.reconcile``): a
``session`` line before each passenger, ``event`` lines for the event ids the runtime wrote to its outbox
(its own id list, ``events.txt``, written by ``edge.listeners.OutboxWriter`` after each outbox append),
and an ``outcome`` line per passenger. On start, ids in the outbox or ``events.txt`` but not yet in the
ledger (a kill -9 in between) are added, and passengers already played are skipped.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import httpx

from core.clock import Clock
from core.wire import CommandName, to_jsonable
from emulator.devices.walkers import Walker
from emulator.driver import GIVE_UP_S, Played
from emulator.population import Passenger
from emulator.rungate import (
    FaceBook,
    RigError,
    RuntimeRig,
    enrolment_record,
    gate_config,
    seed_cache,
    seed_watchlist,
)
from emulator.wiregate import Ledger, read_ledger

# How the real gate's results map onto the summary's outcome keys (emulator.reconcile.OUTCOME_KEYS).
_REJECTED = {
    "document_not_eligible": "not_eligible",
    "document_expired": "rejected_document",
    "document_invalid": "rejected_document",
    "document_unreadable": "rejected_document",
}


def outcome_key(played: Played) -> str:
    """The summary's name for what happened to one passenger at the real gate."""
    if played.outcome == "passed":
        return "crossed"
    if played.outcome == "rejected":
        return _REJECTED.get(played.reason, "rejected_document")
    if played.outcome == "redirected":
        if played.reason == "supervisor_release_cekal":
            return "held_cekal"
        if played.reason == "supervisor_release_review":
            return "held_review"
        if played.reason == "out_of_service":
            return "fault"
        return "redirected"
    if played.outcome == "lane_closed":
        return "fault"
    if played.outcome == "abandoned":
        return "timeouts" if played.reason == "walked_away" else "abandoned"
    if "wrong_way" in played.alarms:
        return "abandoned"
    return played.outcome or "none"


def apply_device_fault(far: Any, rig: RuntimeRig, kind: str) -> Callable[[], None] | None:
    """Break one device of the emulated board; returns how to mend it (or None)."""
    if kind == "fire_alarm" and far.fire_contact is not None:
        far.fire_contact.raise_alarm()
        return cast(Callable[[], None], far.fire_contact.clear)
    if kind == "door_jam" and "entry" in far.leaves:
        leaf = far.leaves["entry"]
        leaf.jam()
        return lambda: leaf.jam(False)
    if kind == "beam_stuck" and far.lane is not None:
        lane = far.lane
        stuck = lane.add(Walker(position=0.75, speed=0.0, length=0.02, kind="stuck-beam", stopped=True))
        return lambda: lane.walkers.remove(stuck) if stuck in lane.walkers else None
    if kind == "camera_lost" and far.camera is not None:
        far.camera.fail()
        return cast(Callable[[], None], far.camera.empty)
    if kind == "fingerprint_unplugged" and far.fingerprint is not None:
        far.fingerprint.unplug()
        return cast(Callable[[], None], far.fingerprint.plug_in)
    if kind == "serial_garbage":
        rig.driver.mrz_garbage = 40
        return lambda: setattr(rig.driver, "mrz_garbage", 0)
    raise RigError(f"device fault {kind!r} cannot be applied to this board")


class CentralSupervisorSink:
    """The emulated supervisor's commands through central's API, as the dashboard would send them."""

    def __init__(self, central_url: str, token: str, device_id: str) -> None:
        self.url = central_url.rstrip("/") + "/api/v1/commands"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.device_id = device_id

    def __call__(self, name: CommandName, _reply_to: str | None) -> None:
        response = httpx.post(
            self.url,
            json={"device_id": self.device_id, "action": name.value},
            headers=self.headers,
            timeout=5.0,
        )
        response.raise_for_status()


def post_enrolments(central_url: str, token: str, records: list[Any]) -> int:
    """Register each record with central (``POST /api/v1/enrolments``); returns how many were stored."""
    url = central_url.rstrip("/") + "/api/v1/enrolments"
    stored = 0
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=10.0) as client:
        for record in records:
            response = client.post(url, json=to_jsonable(record))
            if response.status_code >= 400:
                raise RigError(
                    f"central refused an enrolment ({response.status_code}): {response.text[:300]}"
                )
            stored += 1
    return stored


class RuntimeGate:
    """Plays a list of passengers on the real gate runtime; the same life cycle as ``WireGate``."""

    def __init__(
        self,
        *,
        device_id: str,
        site: str,
        direction: str,
        broker_url: str,
        folder: Path,
        ledger_path: Path,
        clock: Clock,
        passengers: list[Passenger],
        central_url: str | None = None,
        device_token_file: Path | None = None,
        supervisor_token_file: Path | None = None,
        supervisor_delay_s: float = 8.0,
        watchlist_public_key: Path | None = None,
        command_public_key: Path | None = None,
        keepalive_s: int | None = None,
        link_options: dict[str, Any] | None = None,
    ) -> None:
        from models import FaceConfig, FacePipeline

        self.folder = folder
        self.clock = clock
        # Real seconds before a passenger counts as stuck: the driver's own give-up time, plus slack.
        self.passenger_timeout_s = GIVE_UP_S / float(getattr(clock, "factor", 1.0)) + 30.0
        self.stop = threading.Event()
        self.events_path = folder / "events.txt"
        # One inference thread: several gates share the machine, and the doors' and beams' timer
        # threads must keep up with the scaled clock (docs/emulator.md).
        face = FacePipeline.load(dataclasses.replace(FaceConfig.from_env(), threads=1))
        config = gate_config(
            folder,
            gate_id=device_id,
            site=site,
            broker_url=broker_url,
            central_url=central_url,
            direction=direction,
            ledger=self.events_path,
            # Central's key: the list arrives by central's distribution. Without it (no central), a
            # snapshot of this gate's own cekal passengers signed with a key made here.
            watchlist_key=watchlist_public_key or seed_watchlist(folder, passengers),
            command_key=command_public_key,
            keepalive_s=keepalive_s,
            factor=float(getattr(clock, "factor", 1.0)),
            link_options=link_options,
        )
        self.list_from_central = watchlist_public_key is not None
        token = device_token_file.read_text(encoding="utf-8").strip() if device_token_file else None
        if token is not None:
            config = dataclasses.replace(config, device_token_file=device_token_file)
        book = FaceBook(face)
        records = [enrolment_record(p, book, "kiosk-emulated", clock) for p in passengers]
        if central_url and token:
            post_enrolments(central_url, token, records)
        else:
            assert config.enrolment_cache_dir is not None
            seed_cache(config.enrolment_cache_dir, records)
        sink = None
        if central_url and supervisor_token_file is not None:
            sink = CentralSupervisorSink(
                central_url, supervisor_token_file.read_text(encoding="utf-8").strip(), device_id
            )
        self.rig = RuntimeRig(config, clock, face, supervisor_delay_s=supervisor_delay_s, command_sink=sink)
        self.ledger = Ledger(ledger_path)
        # Each event's outbox write + hand-off time, ledgered with it (``controller_ms`` in the summary).
        self.emit_s: dict[str, float] = {}
        self.rig.runtime.writer.when_emitted = self.emit_s.__setitem__
        self._faults_applied = 0
        self._recover()

    def _ledgered(self) -> tuple[set[int], set[str]]:
        rows = read_ledger(self.ledger.path)
        sessions = {int(r["passenger"]) for r in rows if r.get("line") == "session"}
        ids = {str(r["event_id"]) for r in rows if r.get("line") == "event"}
        return sessions, ids

    def _runtime_ids(self) -> list[str]:
        if not self.events_path.exists():
            return []
        return [
            line.strip() for line in self.events_path.read_text(encoding="ascii").splitlines() if line.strip()
        ]

    def _sync_events(self, passenger: int | None) -> None:
        """Ledger every id the runtime emitted (its id list and its outbox) that is not ledgered yet."""
        _, known = self._ledgered()
        ids = self._runtime_ids() + [e.event_id for e in self.rig.runtime.outbox.pending()]
        for event_id in dict.fromkeys(ids):
            if event_id not in known:
                row: dict[str, Any] = {"line": "event", "event_id": event_id, "passenger": passenger}
                if (seconds := self.emit_s.pop(event_id, None)) is not None:
                    row["emit_ms"] = round(seconds * 1000, 3)
                self.ledger.write(row)
                known.add(event_id)

    def _recover(self) -> None:
        self.played_before, _ = self._ledgered()
        self._sync_events(None)

    def start(self) -> None:
        self.rig.start()
        if self.list_from_central:
            self.wait_for_watchlist()

    def wait_for_watchlist(self, timeout_s: float = 60.0) -> int | None:
        """Wait (real seconds) for central's list: the retained announcement, the download, the check.

        A gate with no list would hold every passenger (SOP-003-A03 screening cannot be skipped), so
        the first passenger waits for it. Returns the version, or None after the timeout (the gate then
        plays on and its cekal passengers show what a gate without a list does).
        """
        cache = self.rig.runtime.watchlist
        deadline = time.monotonic() + timeout_s
        while cache is not None and cache.version is None and time.monotonic() < deadline:
            if self.stop.wait(0.1):
                break
        version = cache.version if cache is not None else None
        self.ledger.write({"line": "watchlist", "version": version})
        return version

    # -- device faults from the site's timeline ----------------------------------------------------

    def _apply_faults(self) -> None:
        """Apply fault lines the site appended to ``faults.jsonl`` since the last passenger.

        ``down_s`` is in emulated seconds here: after it the device recovers (a jammed door is freed,
        the camera and the module come back, the fire alarm clears, the stuck beam is wiped). A lane
        the fault took out of service stays out of service: nobody repairs it in the emulator.
        """
        path = self.folder / "faults.jsonl"
        if not path.exists():
            return
        lines = path.read_text(encoding="utf-8").splitlines()
        far = self.rig.runtime.board.far_end
        for line in lines[self._faults_applied :]:
            fault = json.loads(line)
            kind, down = str(fault["kind"]), float(fault.get("down_s", 1.0))
            undo = apply_device_fault(far, self.rig, kind)
            if undo is not None:
                self.clock.call_later(down, undo)
            self.ledger.write({"line": "fault", "kind": kind, "down_s": down})
        self._faults_applied = len(lines)

    def play(self, passengers: list[Passenger]) -> None:
        for passenger in passengers:
            if self.stop.is_set():
                return
            if passenger.index in self.played_before:
                continue
            self._apply_faults()
            self.ledger.write({"line": "session", "passenger": passenger.index, "kind": passenger.kind.value})
            try:
                played = self.rig.play(passenger, timeout_s=self.passenger_timeout_s)
            except RigError as exc:
                self._sync_events(passenger.index)
                self.ledger.write(
                    {"line": "outcome", "passenger": passenger.index, "outcome": "stuck", "why": str(exc)}
                )
                raise
            self._sync_events(passenger.index)
            self.ledger.write(
                {
                    "line": "outcome",
                    "passenger": passenger.index,
                    "kind": passenger.kind.value,
                    "outcome": outcome_key(played),
                    "gate_outcome": played.outcome,
                    "reason": played.reason,
                    "alarms": played.alarms,
                    "cycle_s": round(played.cycle_s, 3),
                }
            )

    def drain(self, timeout_s: float) -> bool:
        """Wait (real seconds) until central has acked every event; True when the outbox is empty."""
        runtime = self.rig.runtime
        deadline = time.monotonic() + timeout_s
        last_replay = 0.0
        while runtime.outbox.depth() and time.monotonic() < deadline and not self.stop.is_set():
            if runtime.link.is_connected and time.monotonic() - last_replay > 2.0:
                runtime.publisher.replay()
                last_replay = time.monotonic()
            self.stop.wait(0.1)
        self._sync_events(None)
        return runtime.outbox.depth() == 0

    def close(self) -> None:
        try:
            self._sync_events(None)
            self.rig.stop()
        finally:
            self.ledger.close()
