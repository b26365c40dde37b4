"""The running gate: the SOP flow wired to the board's devices, the outbox, the MQTT link and central.

``GateRuntime(config, clock=...)`` assembles everything from a gate config (``edge.config``):

* the HAL board (``hal.board.load_board_config`` / ``Board.open``) and adapters from its devices to the
  flow's ports. Hardware callbacks only *send events* to the flow; the flow's entry actions drive the
  doors and the display through the adapters;
* the document check: ``core.documents`` parses the MRZ (in the reader), the flow's rules refuse
  unreadable, invalid, expired or ineligible documents (SOP-003-A08 step 3), the watch-list cache
  screens the holder (``edge.watchlist_cache``);
* the enrolment fetch (``edge.enrolments``) started while the passenger walks in, the fingerprint step
  on the module (download the enrolled template, capture, Match: step 5) and the face step with
  ``models.FacePipeline`` (best frame of a short burst, optional passive liveness cue, 1:1 against the
  enrolled template: step 6);
* the outbox, the publisher and the link (``core.wire`` topics and messages); supervisor commands on
  ``cmd`` answered on ``cmd/ack``; the retained status heartbeat with the offline last will; the
  watch-list announcement; metrics; the status file; an optional ledger of every event id emitted.

Everything runs on the given ``clock``: ``ManualClock`` in tests, ``ScaledClock`` in the site emulator,
``SystemClock`` on a gate. Slow work (serial verification, camera and model) runs through
``background`` — a new thread by default; tests pass ``inline`` so a passage is deterministic.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

from core import wire
from core.clock import Clock, Timer
from core.documents import MrzResult
from edge import codec, messages
from edge.commands_auth import CommandAuthenticator, load_command_key
from edge.config import GateConfig
from edge.enrolments import Enrolment, EnrolmentClient
from edge.errors import EdgeError, EnrolmentError
from edge.flow import DocumentCheck, GateFlow, GatePorts, Screening
from edge.link import MqttLink
from edge.listeners import JsonLog, Metrics, OutboxWriter
from edge.machine import TransitionRecord
from edge.outbox import Outbox
from edge.publisher import EventPublisher
from edge.sealed import Sealer
from edge.watchlist_cache import HttpFetcher, WatchlistCache, load_public_key
from hal.board import Board, load_board_config
from hal.display import PICTOGRAMS, DisplayMessage
from hal.errors import HalError

log = logging.getLogger("edge.runtime")

SOFTWARE_VERSION = "edge 0.1.0"
HEARTBEAT_S = 30.0
Background = Callable[[Callable[[], None]], None]


def threaded(work: Callable[[], None]) -> None:
    """Run slow device work off the caller's thread (the default ``background``)."""
    threading.Thread(target=work, name="gate-work", daemon=True).start()


def inline(work: Callable[[], None]) -> None:
    """Run device work at once in the caller's thread (tests: a passage is deterministic)."""
    work()


# The flow's catalogue names its own pictograms; the HAL display knows a fixed set.
_PICTOGRAMS = {
    "passport_scan": "passport", "hourglass": "wait", "counter": "officer", "no_entry": "no-entry",
    "arrow_forward": "walk", "camera": "face", "one_person": "stop", "retry": "wait", "exit": "exit",
    "closed": "stop", "fingerprint": "fingerprint",
}  # fmt: skip
_GREEN = {"please_enter", "please_proceed", "emergency_exit"}
_RED = {"out_of_service", "wrong_way", "one_person_only", "go_to_counter"}


# -- adapters: the flow's ports over HAL devices -----------------------------------------------------


class GateLink(Protocol):
    """What the runtime needs of ``edge.link.MqttLink`` (a test may pass a link with no network)."""

    when_connected: Callable[[], None] | None

    @property
    def is_connected(self) -> bool: ...

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> bool: ...

    def subscribe(self, topic: str, handler: Callable[[str, bytes], None], *, qos: int = 1) -> None: ...

    def start(self) -> object: ...

    def close(self) -> None: ...


class DoorAdapter:
    """``DoorPort`` over a ``hal.door.GateDoor``: a refused command is a door fault event, never a crash."""

    def __init__(self, runtime: GateRuntime, name: str) -> None:
        self.runtime = runtime
        self.name = name
        self.door = runtime.board.doors[name]
        self.door.when_opened = lambda: runtime.door_moved(name, "opened")
        self.door.when_closed = lambda: runtime.door_moved(
            name, "locked" if self.door.is_locked else "closed"
        )
        self.door.when_obstructed = lambda: runtime.door_moved(name, "obstructed")
        self.door.when_fault = lambda: runtime.door_moved(name, "fault")

    def open(self) -> None:
        self._do(self._unlock_and_open)

    def _unlock_and_open(self) -> None:
        self.door.unlock()
        self.door.open()

    def close(self) -> None:
        self._do(self.door.close)

    def lock(self) -> None:
        self._do(self.door.lock)

    def _do(self, action: Callable[[], object]) -> None:
        try:
            action()
        except HalError as exc:
            self.runtime.send("door_fault", detail=f"{self.name} door: {exc}")


class DisplayAdapter:
    """``DisplayPort``: the bilingual message on the passenger display, and the lane lights."""

    def __init__(self, runtime: GateRuntime) -> None:
        self.board = runtime.board

    def show(self, key: str) -> None:
        text = messages.render(key)
        pictogram = _PICTOGRAMS.get(text.pictogram, text.pictogram)
        if self.board.display is not None:
            self.board.display.show(
                DisplayMessage(key, text.id, text.en, pictogram if pictogram in PICTOGRAMS else None)
            )
        if self.board.lights is not None:
            colour: Literal["red", "amber", "green"] = (
                "green" if key in _GREEN else "red" if key in _RED else "amber"
            )
            self.board.lights.show(colour)


class EnrolmentAdapter:
    """``EnrolmentPort``: fetch in the background; answer ``enrolment_ready`` / ``enrolment_unavailable``."""

    def __init__(self, runtime: GateRuntime) -> None:
        self.runtime = runtime

    def request(self, mrz: MrzResult) -> None:
        session = self.runtime.flow.session_id

        def work() -> None:
            try:
                record = self.runtime.enrolments.fetch(mrz.issuing_state, mrz.document_number)
            except EnrolmentError as exc:
                log.info("no enrolment: %s", exc)
                self.runtime.send_for(session, "enrolment_unavailable")
                return
            self.runtime.send_for(session, "enrolment_ready", record=record)

        self.runtime.background(work)


class BiometricsAdapter:
    """``BiometricsPort``: fingerprint on the module (step 5), face with the model (step 6)."""

    def __init__(self, runtime: GateRuntime) -> None:
        self.runtime = runtime
        self._generation = 0
        self._lock = threading.Lock()

    def _begin(self) -> int:
        with self._lock:
            self._generation += 1
            return self._generation

    def _current(self, generation: int) -> bool:
        with self._lock:
            return generation == self._generation

    def cancel(self) -> None:
        self._begin()  # results of a capture already under way are dropped

    def start_fingerprint(self, record: object) -> None:
        generation = self._begin()
        runtime = self.runtime

        def work() -> None:
            event, data = self.verify_fingerprint(record)
            if self._current(generation):
                runtime.send(event, **data)

        runtime.background(work)

    def verify_fingerprint(self, record: object) -> tuple[str, dict[str, Any]]:
        module = self.runtime.board.fingerprint
        if not isinstance(record, Enrolment) or record.fingerprint_template is None:
            return "fingerprint_failed", {"reason": "no_fingerprint_enrolled"}
        if module is None:
            return "device_lost", {"detail": "no fingerprint module on this board"}
        try:
            # SOP-003-A08 step 5: the enrolled template is downloaded to the module, which captures and
            # matches on board (DownChar, GenImg, Img2Tz, Match).
            result = module.verify(record.fingerprint_template)
        except (HalError, OSError) as exc:
            if isinstance(exc, TimeoutError):
                return "device_lost", {"detail": f"fingerprint module: {exc}"}
            return "fingerprint_failed", {"reason": str(exc)}
        event = "fingerprint_matched" if result.matched else "fingerprint_failed"
        return event, {"score": float(result.score), "threshold": None}

    def start_face(self, record: object) -> None:
        generation = self._begin()
        runtime = self.runtime

        def work() -> None:
            event, data = self.verify_face(record)
            if self._current(generation):
                runtime.send(event, **data)

        runtime.background(work)

    def verify_face(self, record: object) -> tuple[str, dict[str, Any]]:
        """Best frame of a short burst, liveness cue, 1:1 against the enrolled template."""
        runtime = self.runtime
        camera, pipeline = runtime.board.camera, runtime.face
        if not isinstance(record, Enrolment):
            return "face_failed", {"reason": "no_enrolment"}
        if camera is None or pipeline is None:
            return "device_lost", {"detail": "no camera or face model on this gate"}
        from models import FaceError, FaceTemplate, PassiveMotionCue

        cfg = runtime.config
        frames = []
        try:
            for n in range(cfg.face_max_frames):
                if n and cfg.face_frame_interval_s > 0:
                    time.sleep(cfg.face_frame_interval_s)  # the camera's pace, not flow logic
                frames.append(camera.capture())
        except (HalError, OSError) as exc:
            return "device_lost", {"detail": f"camera: {exc}"}
        try:
            reference = FaceTemplate.from_bytes(record.face_template)
            best = pipeline.best_frame(
                frames, clock=runtime.clock, budget_s=runtime.flow.timings["face_s"] / 2
            )
            if cfg.face_liveness == "passive":
                faces = [d for d in (pipeline.assess(f)[0] for f in frames) if d is not None]
                if not PassiveMotionCue().looks_live(faces):
                    return "face_failed", {"reason": "liveness", "score": None}
            probe = pipeline.embed(best.frame, best.detection)
            score = pipeline.compare(probe, reference)
        except (FaceError, ValueError) as exc:
            return "face_failed", {"reason": str(exc)}
        threshold = pipeline.config.match_threshold
        event = "face_matched" if score >= threshold else "face_failed"
        return event, {"score": round(float(score), 4), "threshold": threshold}


# -- the runtime -------------------------------------------------------------------------------------


class GateRuntime:
    """One gate: build with a config and a clock, ``start()``, and ``stop()`` at the end."""

    def __init__(
        self,
        config: GateConfig,
        *,
        clock: Clock,
        board: Board | None = None,
        face: Any = None,
        ledger_path: Path | None = None,
        background: Background = threaded,
        link: GateLink | None = None,
        watchlist: WatchlistCache | None = None,
        enrolments: EnrolmentClient | None = None,
        heartbeat_s: float = HEARTBEAT_S,
    ) -> None:
        self.config = config
        self.clock = clock
        self.background = background
        self.heartbeat_s = heartbeat_s
        self.started_at = clock.monotonic()
        self._own_board = board is None
        if board is None:
            if config.board_config is None:
                raise EdgeError("the gate config has no [board] config = '<board.toml>'; name the board file")
            board = Board.open(load_board_config(config.board_config))
        self.board = board
        if face is None:
            from models import FacePipeline

            face = FacePipeline.load()
        self.face = face
        self.ledger_path = ledger_path if ledger_path is not None else config.ledger_path
        token = None
        if config.device_token_file is not None:
            token = config.device_token_file.read_text(encoding="utf-8").strip()
        # Issue 12: one data key seals the outbox and the enrolment cache at rest ([outbox] key_file or
        # key_env; without either, a 0600 key file beside the outbox, a baseline: see docs/security.md).
        sealer = Sealer.load(
            default=config.outbox_path.with_name(config.outbox_path.name + ".key"),
            key_file=config.data_key_file,
            key_env=config.data_key_env,
        )
        self.enrolments = enrolments or EnrolmentClient(
            config.central_url,
            token=token,
            timeout_s=config.enrolment_timeout_s,
            cache_dir=config.enrolment_cache_dir,
            sealer=sealer,
        )
        self.watchlist = watchlist
        if self.watchlist is None and config.watchlist_public_key is not None:
            fetcher = HttpFetcher(config.central_url, token=token) if config.central_url else None
            self.watchlist = WatchlistCache(
                config.watchlist_dir,
                load_public_key(config.watchlist_public_key),
                clock,
                max_age_s=config.watchlist_max_age_s,
                fetcher=fetcher,
                timezone=config.policy.timezone,
            )
        if self.watchlist is not None:
            self.watchlist.when_alarm = self.raise_alarm
            self.watchlist.when_alarm_cleared = self.clear_alarm

        self.outbox = Outbox(
            config.outbox_path, max_events=config.outbox_max_events, reserve=50, sealer=sealer
        )
        will = codec.offline_will(config.gate_id, clock.now())
        self.link: GateLink = link or MqttLink(dataclasses.replace(config.link, will_payload=will))
        self.publisher = EventPublisher(
            self.outbox,
            self.link,
            ack_topic=codec.ack_topic(config.site, config.gate_id),
            decode_ack=codec.decode_ack,
            clock=clock,
        )
        self.ports = GatePorts(
            entry=_LazyDoor(self, "entry"),
            exit=_LazyDoor(self, "exit"),
            display=DisplayAdapter(self),
            biometrics=BiometricsAdapter(self),
            enrolments=EnrolmentAdapter(self),
        )
        self.flow = GateFlow(
            clock, self.ports, gate_id=config.gate_id, policy=config.policy, timings=config.timings
        )
        self.writer = OutboxWriter(
            self.publisher,
            config.gate_id,
            site=config.site,
            direction=config.policy.direction.value,
            watchlist_version=lambda: self.watchlist.version if self.watchlist is not None else None,
            ledger=self.ledger_path,
        )
        self.metrics = Metrics()
        self.flow.listeners.extend([self.writer, JsonLog(), self])
        self.runtime_alarms: dict[str, str] = {}
        self._seen_commands: deque[str] = deque(maxlen=1000)
        self.command_auth: CommandAuthenticator | None = None
        if config.command_public_key is not None:
            key = load_command_key(config.command_public_key)
            self.command_auth = CommandAuthenticator(
                key, config.gate_id, clock, max_skew_s=config.command_max_skew_s
            )
        else:
            log.warning("no [central] command_public_key: supervisor commands are NOT authenticated")
        self._heartbeat: Timer | None = None
        self._status_lock = threading.Lock()
        self._stopped = False

    # -- life cycle --------------------------------------------------------------------------------

    def start(self) -> GateRuntime:
        """Load the watch list, wire the devices, connect, and take the first passenger."""
        if self.watchlist is not None:
            self.watchlist.load()
        board = self.board
        for name in ("entry", "exit"):
            if name not in board.doors:
                raise EdgeError(f"board {board.config.name!r} has no '{name}' door; a gate needs both")
            setattr(self.ports, name, DoorAdapter(self, name))
        if board.beams is not None:
            board.beams.when_changed = self._beams_changed
            board.beams.when_tailgating = lambda: self.send("second_body")
            board.beams.when_wrong_way = lambda: self.send("wrong_way")
        if board.mrz is not None:
            board.mrz.when_document_read = self._document_read
        if board.fire_alarm is not None:
            board.fire_alarm.when_alarm_started = lambda: self.send("fire_alarm_raised")
            board.fire_alarm.when_alarm_ended = lambda: self.send("fire_alarm_cleared")
        self.outbox.when_full = lambda: self.send("outbox_full")
        self.outbox.when_drained = lambda: self.send("outbox_drained")
        self.writer.when_full = lambda: self.send("outbox_full")

        cfg = self.config
        self.link.subscribe(codec.command_topic(cfg.site, cfg.gate_id), self._on_command)
        self.link.subscribe(codec.announce_topic(cfg.site), self._on_announcement)
        previous = self.link.when_connected

        def connected() -> None:
            if previous is not None:
                previous()
            self.publisher.replay()
            self.publish_status()

        self.link.when_connected = connected
        self.publisher.start()
        self.link.start()
        self.flow.start()
        if self.outbox.is_full:
            # Full already at start-up (central has not acknowledged for a long time): when_full only
            # fires on the way up, so say it here. The gate takes no passenger and alarms rather than
            # drop events (issue 6).
            self.send("outbox_full")
        if board.fire_alarm is not None and board.fire_alarm.is_alarm_on:
            self.send("fire_alarm_raised")
        if self.watchlist is not None:
            self.watchlist.check_age()
        self._schedule_heartbeat()
        self.publish_status()
        return self

    def stop(self) -> None:
        """Say goodbye (retained offline status), then close the link, the outbox and the board."""
        if self._stopped:
            return
        self._stopped = True
        # The flow's state timer would otherwise still fire into closed devices and outbox.
        self.flow.stop()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        self.publish_status(online=False, reason="stopped")
        self.publisher.close()
        self.link.close()
        self.outbox.close()
        if self._own_board:
            self.board.close()

    def __enter__(self) -> GateRuntime:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- events into the flow ----------------------------------------------------------------------

    def send(self, event: str, **data: Any) -> None:
        if not self._stopped:
            self.flow.send(event, **data)

    def send_for(self, session_id: str | None, event: str, **data: Any) -> None:
        """Send only if the passenger's session is still the current one (a late answer is dropped)."""
        if session_id is not None and self.flow.session_id == session_id:
            self.send(event, **data)

    def door_moved(self, name: str, state: str) -> None:
        event = {"opened": "opened", "closed": "closed", "locked": "closed", "obstructed": "obstructed"}.get(
            state
        )
        if state == "fault":
            door = self.board.doors[name]
            self.send("door_fault", detail=f"{name} door: {door.fault}")
        if state != "obstructed":  # the flow reports obstructions itself, with its session
            self.writer.emit(
                codec.door_event(
                    self.config.gate_id, self.clock.now(), name, state, session_id=self.flow.session_id
                )
            )
        if event is not None:
            self.send(f"{name}_{event}")

    def _beams_changed(self) -> None:
        beams = self.board.beams
        assert beams is not None
        lane = beams.occupancy
        state = self.flow.state
        if lane.is_clear:
            self.send("passenger_exited" if state == "exiting" else "lane_clear")
        elif lane.inside and not lane.in_entry_zone and state == "admitting":
            # SOP-003-A08 step 4: the entrance closes once the passenger is inside, clear of the leaf.
            self.send("passenger_entered")
        elif lane.at_exit and state == "awaiting_document":
            # Nobody was admitted, yet the exit side of the lane is broken: someone coming the wrong way.
            # Said here from the pattern, not only from the beams' direction, which a body breaking two
            # beams between two reads does not show.
            self.send("wrong_way")
        elif lane.inside and state == "awaiting_document":
            self.send("passenger_entered")  # someone in the lane without a document: the flow alarms

    def _document_read(self, reading: Any) -> None:
        if self.flow.state != "awaiting_document":
            return
        mrz: MrzResult | None = reading.result
        screening = Screening()
        if mrz is not None and mrz.valid and self.watchlist is not None:
            # SOP-003-A08 step 3: the cekal check runs on the local replica, inside the scan budget.
            screening = self.watchlist.screen(mrz)
        self.send("document_read", check=DocumentCheck(mrz, screening))

    # -- supervisor commands (SOP-003-A08 steps 5-6, A03) ------------------------------------------

    COMMANDS: ClassVar[dict[wire.CommandName, str]] = {
        wire.CommandName.RELEASE_PASSENGER: "release_held",
        wire.CommandName.GRANT_RETRY: "grant_retry",
        wire.CommandName.REFUSE_RETRY: "deny_retry",
        wire.CommandName.OUT_OF_SERVICE: "out_of_service",
        wire.CommandName.IN_SERVICE: "back_in_service",
    }

    def _on_command(self, _topic: str, payload: bytes) -> None:
        try:
            command = wire.decode_as(wire.SupervisorCommand, payload)
        except wire.WireError as exc:
            log.warning("command refused: %s", exc)
            return
        accepted, reason = self.apply_command(command)
        ack = wire.CommandAck(
            ts=self.clock.now(),
            device_id=self.config.gate_id,
            command_id=command.command_id,
            accepted=accepted,
            reason=reason,
        )
        self.link.publish(codec.command_ack_topic(self.config.site, self.config.gate_id), wire.encode(ack))

    def apply_command(self, command: wire.SupervisorCommand) -> tuple[bool, str]:
        """Carry out one supervisor command; returns (accepted, reason when refused)."""
        if self.command_auth is not None and (refusal := self.command_auth.refusal(command)) is not None:
            # Issue 12: an unsigned, forged, stale, replayed or mis-addressed command never acts.
            self.raise_alarm("command_rejected", f"command {command.command_id} refused: {refusal}")
            return False, refusal
        if command.target != self.config.gate_id:
            return False, "wrong_target"
        if command.command_id in self._seen_commands:
            return False, "duplicate"  # QoS 1 may deliver twice; a command acts once
        self._seen_commands.append(command.command_id)
        name = command.name
        if name is wire.CommandName.RESYNC_WATCHLIST:
            if self.watchlist is None:
                return False, "no_watchlist_configured"
            self.watchlist.load()
            return True, ""
        if name is wire.CommandName.OPEN_DOORS_FOR_EVACUATION:
            self.send("fire_alarm_raised")
            return True, ""
        if name is wire.CommandName.CLEAR_ALARM:
            # In review, clearing means the possible match is not this person: the passage goes on.
            flow_command = "clear_review" if self.flow.state == "held_for_review" else "clear_alarm"
        else:
            flow_command = self.COMMANDS[name]
        accepted = self.flow.command(flow_command)
        self.publish_status()
        return accepted, "" if accepted else f"not_applicable_in_{self.flow.state}"

    # -- watch list, alarms raised by the runtime itself -------------------------------------------

    def _on_announcement(self, _topic: str, payload: bytes) -> None:
        if self.watchlist is None:
            return
        try:
            announcement = wire.decode_as(wire.WatchlistAnnouncement, payload)
        except wire.WireError as exc:
            log.warning("watch-list announcement refused: %s", exc)
            return
        if announcement.site != self.config.site:
            return
        cache = self.watchlist

        def update() -> None:
            cache.on_announcement(announcement)
            self.publish_status()

        self.background(update)

    def raise_alarm(self, kind: str, message: str) -> None:
        wire_kind = codec.ALARM_KINDS.get(kind)
        if wire_kind is None:
            return
        alarm_id = wire.new_event_id(self.clock.now())
        self.runtime_alarms[kind] = alarm_id
        self.writer.emit(
            wire.Alarm(
                event_id=alarm_id,
                ts=self.clock.now(),
                device_id=self.config.gate_id,
                alarm_id=alarm_id,
                kind=wire_kind,
                severity=wire.Severity.WARNING,
                message=message[:2000],
            )
        )

    def clear_alarm(self, kind: str) -> None:
        alarm_id = self.runtime_alarms.pop(kind, None)
        wire_kind = codec.ALARM_KINDS.get(kind)
        if alarm_id is None or wire_kind is None:
            return
        self.writer.emit(
            wire.Alarm(
                ts=self.clock.now(),
                device_id=self.config.gate_id,
                alarm_id=alarm_id,
                kind=wire_kind,
                severity=wire.Severity.WARNING,
                cleared=True,
            )
        )

    # -- status, heartbeat, metrics ----------------------------------------------------------------

    def on_transition(self, flow: GateFlow, record: TransitionRecord) -> None:
        self.metrics.on_transition(flow, record)
        if not self._stopped:
            self.publish_status()

    def on_fact(self, flow: GateFlow, fact: Any) -> None:
        self.metrics.on_fact(flow, fact)

    def status(self, *, online: bool = True, reason: str = "") -> wire.DeviceStatus:
        flow = self.flow
        doors = {name: _door_state(door) for name, door in self.board.doors.items()}
        in_service = flow.state not in ("out_of_service", "fire_mode")
        if not reason and not in_service:
            reason = ", ".join(sorted(flow.stop_reasons)) or flow.state
        return wire.DeviceStatus(
            ts=self.clock.now(),
            device_id=self.config.gate_id,
            online=online,
            in_service=in_service,
            lane_state=flow.state,
            entry_door=doors.get("entry"),
            exit_door=doors.get("exit"),
            passenger_inside=flow.is_lane_occupied,
            outbox_depth=self.outbox.depth(),
            watchlist_version=self.watchlist.version if self.watchlist is not None else None,
            watchlist_age_s=self.watchlist.age_s() if self.watchlist is not None else None,
            software_version=SOFTWARE_VERSION,
            uptime_s=max(0.0, self.clock.monotonic() - self.started_at),
            reason=reason,
        )

    def publish_status(self, *, online: bool = True, reason: str = "") -> wire.DeviceStatus:
        """The retained heartbeat (and the status file ``python -m edge status`` reads)."""
        with self._status_lock:
            status = self.status(online=online, reason=reason)
            topic = codec.status_topic(self.config.site, self.config.gate_id)
            goodbye = getattr(self.link, "publish_and_wait", None)
            if not online and goodbye is not None:
                goodbye(topic, wire.encode(status), retain=True)  # delivered before the clean disconnect
            elif self.link.is_connected:
                self.link.publish(topic, wire.encode(status), retain=True)
            self.metrics.outbox_depth.set(status.outbox_depth)
            self.metrics.link_up.set(1 if self.link.is_connected else 0)
            if status.watchlist_age_s is not None:
                self.metrics.watchlist_age.set(status.watchlist_age_s)
            self._write_status_file(status)
        return status

    def _write_status_file(self, status: wire.DeviceStatus) -> None:
        body = wire.to_jsonable(status)
        body.update(
            state=status.lane_state,
            link_connected=self.link.is_connected,
            active_alarms=sorted(set(self.flow.active_alarms) | set(self.runtime_alarms)),
        )
        path = self.config.status_path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(json.dumps(body, indent=1), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("status file %s not written: %s", path, exc)

    def _schedule_heartbeat(self) -> None:
        if self._stopped or self.heartbeat_s <= 0:
            return

        def beat() -> None:
            if self._stopped:
                return
            if self.watchlist is not None:
                self.watchlist.check_age()
            self.publish_status()
            self._schedule_heartbeat()

        self._heartbeat = self.clock.call_later(self.heartbeat_s, beat)


class _LazyDoor:
    """Stands in for a door port until ``start`` wires the real adapter (the flow is built first)."""

    def __init__(self, runtime: GateRuntime, name: str) -> None:
        self.runtime, self.name = runtime, name

    def open(self) -> None:
        raise EdgeError(f"{self.name} door used before GateRuntime.start()")

    close = lock = open


def _door_state(door: Any) -> wire.DoorState | None:
    state = str(getattr(door.state, "value", door.state)).lower()
    if door.is_locked and state == "closed":
        return wire.DoorState.LOCKED
    return {
        "open": wire.DoorState.OPENED,
        "opening": wire.DoorState.OPENING,
        "closing": wire.DoorState.CLOSING,
        "closed": wire.DoorState.CLOSED,
        "obstructed": wire.DoorState.OBSTRUCTED,
        "fault": wire.DoorState.FAULT,
    }.get(state)
