"""The whole emulated site as processes: Mosquitto, central (SQLite), N gates, M kiosks; faults on a
timeline. The broker is TLS only with an account and ACL per device (``emulator.sitetls``; ``tls=False``
for debugging); kiosks are ``python -m emulator kiosk`` processes (``emulator.kiosksite``).

    with Site(folder, scenario, gates=2, seed=7, kiosks=1) as site:
        site.start()            # PKI and accounts, broker, central, gate and kiosk processes
        site.wait(on_tick=...)  # plays the fault timeline until every gate has exited
        summary = site.summary()

Everything runs as separate OS processes so faults are real: the broker is stopped or ``kill -9``'d and
restarted on the same port with its persistence kept; central is ``kill -9``'d and started again on the
same database; a gate is ``kill -9``'d and started again on the same outbox and ledger.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from emulator.broker import MosquittoBroker, free_port
from emulator.kiosksite import KioskProcess, kiosk_argv, kiosk_summary
from emulator.netcut import CuttableProxy
from emulator.reconcile import command_states, stored_event_counts, summarise
from emulator.scenarios import DEVICE_FAULTS, Fault, Scenario
from emulator.sitetls import Identity, SiteTls, identity_args, write_secret
from emulator.wiregate import read_ledger

PYTHON = sys.executable
DEMO_USER = "demo"


ENGINES = {
    "runtime": "runtime: edge.runtime.GateRuntime on the emulated board, passengers from emulator.driver",
    "wire": "wire stand-in: real delivery path, outcomes from the passenger model (no SOP flow)",
}


class SiteError(RuntimeError):
    """A part of the emulated site would not start or stop; the message names it and its log."""


@dataclass
class GateProcess:
    index: int
    device_id: str
    direction: str
    folder: Path
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    @property
    def ledger(self) -> Path:
        return self.folder / "ledger.jsonl"

    def played(self) -> int:
        return sum(1 for row in read_ledger(self.ledger) if row.get("line") == "session")


@dataclass
class Site:
    folder: Path
    scenario: Scenario
    gates: int = 2
    seed: int = 1
    passengers: int | None = None
    factor: float = 200.0
    site_id: str = "cgk"
    drain_timeout_s: float = 60.0
    http_port: int = 0
    gate_extra_args: dict[int, list[str]] = field(default_factory=dict)
    log: Callable[[str], None] = lambda _msg: None
    # "runtime": the real gate (edge.runtime) played by the passenger driver; needs factor <= ~10.
    # "wire": the delivery-path stand-in, for fast pure-delivery fault runs at high factors.
    engine: str = "runtime"
    supervisor_delay_s: float = 8.0
    # MQTT keep-alive of the real gates (None: the gate's default, 30 s); a cut gate notices the
    # silent partition after 1.5 x this.
    gate_keepalive_s: int | None = None
    # Issue 12: the broker TLS only, an account and ACL per device, anonymous off (emulator.sitetls).
    # False: a plain anonymous broker, for debugging only (`--no-tls`).
    tls: bool = True
    # Emulated kiosks (the real kiosk runtime, emulator.kiosksite) and applicants per kiosk.
    kiosks: int = 0
    applicants: int = 3
    kiosk_pace_s: float = 0.2

    def __post_init__(self) -> None:
        self.folder = Path(self.folder).resolve()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.db_path = self.folder / "central.sqlite"
        self.db_url = f"sqlite:///{self.db_path}"
        self.security = SiteTls(self.folder) if self.tls else None
        self.broker = MosquittoBroker(
            self.folder / "broker", self.security.broker_config() if self.security else None
        )
        self.identities: dict[str, Identity] = {}
        self.kiosk_processes: list[KioskProcess] = []
        self.http_port = self.http_port or free_port()
        self.central: subprocess.Popen[bytes] | None = None
        self.gate_processes: list[GateProcess] = []
        self.password = ""
        self.faults_played: list[dict[str, Any]] = []
        self._pending_faults = list(self.scenario.faults)
        self.started_at = 0.0
        self.count = self.passengers or self.scenario.passengers
        # One cuttable loopback proxy per gate between it and the broker, when the timeline cuts one.
        self.proxies: dict[int, CuttableProxy] = {}
        self._restores: list[tuple[float, int, dict[str, Any]]] = []

    # -- life cycle -----------------------------------------------------------------------------------

    @property
    def dashboard_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/"

    def start(self) -> None:
        self.started_at = time.monotonic()
        # Accounts, ACL and certificates first: Mosquitto reads its password file and ACL at start.
        self._prepare_central()
        self.broker.start()
        if self.security is not None:
            self.log(f"broker TLS only at {self.broker.url} (every client: certificate and password)")
        else:
            self.log(f"broker (plain, anonymous: --no-tls) at {self.broker.url}")
        self.start_central()
        if any(f.kind == "gate_cut" for f in self.scenario.faults):
            for i in range(self.gates):
                self.proxies[i] = CuttableProxy(upstream_port=self.broker.port).start()
        for i in range(self.gates):
            self.gate_processes.append(self._gate(i))
        for gate in self.gate_processes:
            self.start_gate(gate)
        for kiosk in self.kiosk_processes:
            kiosk.start()

    def _central_cli(self, *args: str) -> str:
        # central's own command lines, called in this process: one import instead of one per command.
        from central.__main__ import main as central_main

        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = central_main([*args, "--db", self.db_url])
        if code != 0:
            raise SiteError(f"python -m central {' '.join(args)} failed: {err.getvalue()[-2000:]}")
        return out.getvalue()

    def _prepare_central(self) -> None:
        # One demo supervisor with a random password, printed once by the caller (never on argv).
        self.password = secrets.token_urlsafe(12)
        secret = self.folder / "demo-password"
        secret.touch(mode=0o600)
        secret.write_text(self.password, encoding="utf-8")
        self._central_cli("user", "add", DEMO_USER, "--role", "supervisor", "--password-file", str(secret))
        secret.unlink()
        self._prepare_keys_and_watchlist()
        broker_files: list[str] = []
        if self.security is not None:
            self.security.init()
            files = self.security.files
            broker_files = ["--password-file", str(files.password_file), "--acl-file", str(files.acl_file)]
            self.identities["central"] = self.security.central()
        for i in range(self.gates):
            creds = json.loads(self._central_cli(
                "device", "add", self._device_id(i), "--site", self.site_id, "--lane", str(i + 1),
                "--direction", self._direction(i), "--json", *broker_files,
            ))  # fmt: skip
            # The gate's API token (enrolments), kept out of argv like every secret here.
            folder = self.folder / self._device_id(i)
            folder.mkdir(parents=True, exist_ok=True)
            write_secret(folder / "device.token", str(creds["api_token"]))
            if self.security is not None:
                self.identities[self._device_id(i)] = self.security.device(
                    self._device_id(i), str(creds["mqtt_password"]), folder, certificate=True
                )
        for k in range(self.kiosks):
            kiosk_id = f"kiosk-{k + 1:02d}"
            creds = json.loads(self._central_cli(
                "device", "add", kiosk_id, "--kind", "kiosk", "--site", self.site_id, "--json", *broker_files,
            ))  # fmt: skip
            folder = self.folder / kiosk_id
            folder.mkdir(parents=True, exist_ok=True)
            write_secret(folder / "device.token", str(creds["api_token"]))
            identity = None
            if self.security is not None:
                password = str(creds["mqtt_password"])
                identity = self.security.device(kiosk_id, password, folder, certificate=True)
                self.identities[kiosk_id] = identity
            self.kiosk_processes.append(self._kiosk(k, kiosk_id, folder, identity))
        # The emulated supervisor acts through central's command API with the demo supervisor's token.
        write_secret(self.folder / "supervisor.token", self._central_cli("user", "token", DEMO_USER).strip())

    @property
    def watchlist_key(self) -> Path:
        return self.folder / "keys" / "watchlist-ed25519.pem"

    @property
    def command_key(self) -> Path:
        return self.folder / "keys" / "command-ed25519.pem"

    @property
    def watchlist_public_key(self) -> Path:
        return self.folder / "watchlist.pub"

    @property
    def command_public_key(self) -> Path:
        return self.folder / "command.pub"

    def _prepare_keys_and_watchlist(self) -> None:
        """This run's own signing keys, and the cekal passengers on central's watch list.

        Central signs the watch list and every supervisor command with keys made here (in the run
        folder, mode 0600, never the user's default keys); the gates get the public halves as
        ``[watchlist] public_key`` and ``[central] command_public_key``. The cekal passengers of every
        gate's share are imported as one list version, which central announces (retained) when it
        starts; each gate downloads and verifies it like a real one.
        """
        from central.store import Store
        from central.watchlist.keys import load_or_create_key, public_pem
        from central.watchlist.service import WatchlistService
        from core.clock import SystemClock
        from core.watchlist import PartialDate, WatchlistEntry, write_entries_csv
        from emulator.rungate import watchlist_entries

        keys = self.folder / "keys"
        keys.mkdir(mode=0o700, exist_ok=True)
        wl_key = load_or_create_key(self.watchlist_key)
        cmd_key = load_or_create_key(self.command_key)
        self.watchlist_public_key.write_text(public_pem(wl_key.public_key()), encoding="utf-8")
        self.command_public_key.write_text(public_pem(cmd_key.public_key()), encoding="utf-8")
        if self.engine != "runtime":
            return
        population = self.scenario.population(seed=self.seed, gates=self.gates)
        entries = [e for i in range(self.gates) for e in watchlist_entries(population.share(self.count, i))]
        # A real list is never empty; one fictitious subject (no passenger's name, birth date or
        # document) gives a run without cekal passengers a list version to distribute too.
        entries.append(
            WatchlistEntry(
                entry_id="emu-sentinel",
                list="pencegahan",
                full_name="EMULATOR SENTINEL NOBODY",
                birth_date=PartialDate(1901, 1, 1),
                nationality="UTO",
                agency="emulator",
                reason="fictitious subject so the list is never empty",
            )
        )
        csv_text = io.StringIO()
        write_entries_csv(entries, csv_text)
        store = Store(self.db_url)
        try:
            WatchlistService(store, SystemClock(), wl_key).import_csv(
                io.StringIO(csv_text.getvalue()), by="emulator"
            )
        finally:
            store.close()

    def start_central(self) -> None:
        log = open(self.folder / "central.log", "ab")  # noqa: SIM115 - the child keeps it open
        argv = [PYTHON, "-m", "central", "serve", "--db", self.db_url, "--broker", self.broker.url,
                "--port", str(self.http_port), "--log-level", "WARNING", "--watchlist-key",
                str(self.watchlist_key), "--command-key", str(self.command_key),
                # One MQTT client id across restarts: a central restarted after kill -9 resumes its own
                # persistent session. With serve's default (a new random id per start) the dead
                # session stays in the shared subscription group and Mosquitto hands it every other
                # message until the devices' replays resend them (docs/emulator.md).
                "--client-id", "central-emulated-site"]  # fmt: skip
        identity = self.identities.get("central")
        if identity is not None:
            # Its own broker account and client certificate over TLS.
            argv += ["--mqtt-user", identity.username, "--mqtt-password-file", str(identity.password_file),
                     "--ca-file", str(identity.ca_file), "--cert-file", str(identity.cert_file),
                     "--key-file", str(identity.key_file)]  # fmt: skip
        self.central = subprocess.Popen(argv, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.central.poll() is not None:
                raise SiteError(
                    f"central exited with {self.central.returncode}; see {self.folder}/central.log"
                )
            try:
                if httpx.get(f"{self.dashboard_url}healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SiteError(f"central did not answer /healthz within 60 s; see {self.folder}/central.log")

    def kill_central(self) -> None:
        if self.central is not None and self.central.poll() is None:
            self.central.send_signal(signal.SIGKILL)
            self.central.wait()

    def _device_id(self, i: int) -> str:
        return f"gate-{i + 1:02d}"

    def _direction(self, i: int) -> str:
        return "departure" if i % 2 == 0 else "arrival"

    def _gate_broker_url(self, i: int) -> str:
        """The devices' listener, or this gate's cuttable proxy in front of it (TLS passes through)."""
        if i not in self.proxies:
            return self.broker.url
        scheme = "mqtts" if self.security is not None else "mqtt"
        return f"{scheme}://127.0.0.1:{self.proxies[i].port}"

    def _gate(self, i: int) -> GateProcess:
        folder = self.folder / self._device_id(i)
        argv = [
            PYTHON, "-m", "emulator", "gate", "--scenario", self.scenario.name, "--seed", str(self.seed),
            "--index", str(i), "--gates", str(self.gates), "--passengers", str(self.count),
            "--broker", self._gate_broker_url(i),
            "--device-id", self._device_id(i), "--site", self.site_id,
            "--direction", self._direction(i), "--folder", str(folder), "--factor", str(self.factor),
            "--drain-timeout", str(self.drain_timeout_s), "--engine", self.engine,
            *identity_args(self.identities.get(self._device_id(i))),
        ]  # fmt: skip
        if self.engine == "runtime":
            argv += [
                "--central-url", self.dashboard_url.rstrip("/"),
                "--device-token-file", str(folder / "device.token"),
                "--supervisor-token-file", str(self.folder / "supervisor.token"),
                "--supervisor-delay", str(self.supervisor_delay_s),
                "--watchlist-public-key", str(self.watchlist_public_key),
                "--command-public-key", str(self.command_public_key),
            ]  # fmt: skip
            if self.gate_keepalive_s is not None:
                argv += ["--keepalive", str(self.gate_keepalive_s)]
        if self.scenario.source is not None:
            argv[argv.index("--scenario") + 1] = self.scenario.source
        return GateProcess(i, self._device_id(i), self._direction(i), folder, argv)

    def _kiosk(self, k: int, kiosk_id: str, folder: Path, identity: Identity | None) -> KioskProcess:
        argv = kiosk_argv(
            index=k, device_id=kiosk_id, site=self.site_id, folder=folder, seed=self.seed,
            applicants=self.applicants, central_url=self.dashboard_url.rstrip("/"),
            broker_url=self.broker.url, pace_s=self.kiosk_pace_s, drain_timeout_s=self.drain_timeout_s,
            identity=identity_args(identity),
        )  # fmt: skip
        return KioskProcess(k, kiosk_id, folder, argv)

    def start_gate(self, gate: GateProcess, extra: list[str] | None = None) -> None:
        gate.folder.mkdir(parents=True, exist_ok=True)
        log = open(gate.folder / "gate.log", "ab")  # noqa: SIM115 - the child keeps it open
        args = gate.argv + (extra if extra is not None else self.gate_extra_args.get(gate.index, []))
        gate.process = subprocess.Popen(args, stdout=log, stderr=log)

    def kill_gate(self, gate: GateProcess) -> None:
        if gate.process is not None and gate.process.poll() is None:
            gate.process.send_signal(signal.SIGKILL)
            gate.process.wait()

    # -- running --------------------------------------------------------------------------------------

    def progress(self) -> float:
        """Share of the gates' passengers played (the fault timeline follows this)."""
        return sum(g.played() for g in self.gate_processes) / max(1, self.count)

    def wait(self, *, timeout_s: float = 600.0, on_tick: Callable[[Site], None] | None = None) -> None:
        """Play the fault timeline and restart gates killed by a fault until every gate and every kiosk
        has finished."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._pending_faults and self.progress() >= self._pending_faults[0].at:
                self.play_fault(self._pending_faults.pop(0))
            self._restore_due()
            for gate in self.gate_processes:
                code = gate.process.poll() if gate.process else 0
                if code == -signal.SIGKILL and gate.restarts < 5:
                    # A gate that died by kill -9 (its own fault hook or ours) is restarted as its
                    # supervisor (systemd, deploy/edge.service) would: same outbox, same ledger.
                    gate.restarts += 1
                    self.log(f"{gate.device_id} was killed; restarting it")
                    self.start_gate(gate, extra=[])
            if on_tick is not None:
                on_tick(self)
            codes = [g.process.poll() if g.process is not None else None for g in self.gate_processes]
            kiosks_done = all(k.poll() is not None for k in self.kiosk_processes)
            if all(code is not None for code in codes) and -signal.SIGKILL not in codes and kiosks_done:
                return
            time.sleep(0.1)
        raise SiteError(f"the site did not finish within {timeout_s} s; see the logs in {self.folder}")

    def play_fault(self, fault: Fault) -> None:
        began = time.monotonic()
        self.log(f"fault: {fault.kind} at {self.progress():.0%} played")
        if fault.kind == "broker_restart":
            self.broker.stop()
            time.sleep(fault.down_s)
            self.broker.start()
        elif fault.kind == "broker_kill":
            self.broker.kill()
            time.sleep(fault.down_s)
            self.broker.start()
        elif fault.kind == "central_kill":
            self.kill_central()
            time.sleep(fault.down_s)
            self.start_central()
        elif fault.kind in DEVICE_FAULTS:
            if self.engine != "runtime":
                raise SiteError(
                    f"device fault {fault.kind!r} needs real gates (engine runtime), not the stand-in"
                )
            # The gate process applies it to its emulated board before its next passenger.
            gate = self.gate_processes[fault.gate % len(self.gate_processes)]
            with (gate.folder / "faults.jsonl").open("a", encoding="utf-8") as out:
                out.write(json.dumps({"kind": fault.kind, "down_s": fault.down_s}) + "\n")
        elif fault.kind == "gate_cut":
            # Not waited for here: the gate serves passengers offline while the timeline goes on.
            index = fault.gate % len(self.gate_processes)
            gate = self.gate_processes[index]
            self.proxies[index].cut()
            record = {"kind": fault.kind, "at": fault.at, "down_s": fault.down_s, "gate": gate.device_id,
                      "played_at_cut": gate.played()}  # fmt: skip
            self._restores.append((time.monotonic() + fault.down_s, index, record))
            self.faults_played.append(record)
            return
        elif fault.kind == "gate_kill":
            gate = self.gate_processes[fault.gate % len(self.gate_processes)]
            self.kill_gate(gate)
            time.sleep(fault.down_s)
            gate.restarts += 1
            self.start_gate(gate, extra=[])
        else:  # pragma: no cover - scenarios.parse refuses other kinds
            raise SiteError(f"fault kind {fault.kind!r} is not playable")
        self.faults_played.append(
            {
                "kind": fault.kind,
                "at": fault.at,
                "down_s": fault.down_s,
                "took_s": round(time.monotonic() - began, 2),
            }
        )

    def _restore_due(self, *, all_now: bool = False) -> None:
        """Restore cut gates whose time is up; note what the gate did while it was cut off."""
        now = time.monotonic()
        for entry in [r for r in self._restores if all_now or r[0] <= now]:
            self._restores.remove(entry)
            _, index, record = entry
            gate = self.gate_processes[index]
            emitted = {r["event_id"] for r in read_ledger(gate.ledger) if r.get("line") == "event"}
            stored = set(stored_event_counts(self.db_path, [gate.device_id]))
            record["played_at_restore"] = gate.played()
            record["unacked_at_restore"] = len(emitted - stored)
            self.proxies[index].restore()
            self.log(f"{gate.device_id}: link to the broker restored")

    def settle(self, timeout_s: float = 30.0) -> None:
        """Wait until central stored every ledgered event (its ingest may still be committing)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            emitted = {r["event_id"] for g in self.gate_processes for r in read_ledger(g.ledger)
                       if r.get("line") == "event"}  # fmt: skip
            kiosks = kiosk_summary(self.db_path, self.kiosk_processes) if self.kiosk_processes else None
            if emitted <= set(stored_event_counts(self.db_path)) and (kiosks is None or kiosks["lost"] == 0):
                return
            time.sleep(0.2)

    def summary(self) -> dict[str, Any]:
        stored = stored_event_counts(self.db_path, [g.device_id for g in self.gate_processes])
        return summarise(
            [g.ledger for g in self.gate_processes],
            stored,
            passengers=self.count,
            gates=self.gates,
            extra={
                "scenario": self.scenario.name,
                "seed": self.seed,
                "factor": self.factor,
                "faults": self.faults_played,
                "gate_exit_codes": {
                    g.device_id: g.process.returncode if g.process else None for g in self.gate_processes
                },
                "gate_restarts": {g.device_id: g.restarts for g in self.gate_processes},
                "wall_s": round(time.monotonic() - self.started_at, 2),
                "engine": ENGINES[self.engine],
                # Applications the kiosks' applicants submitted against the cases central opened.
                "kiosks": kiosk_summary(self.db_path, self.kiosk_processes),
                "tls": self._tls_summary(),
                # The list version each gate got by central's distribution before its first passenger.
                "watchlist_versions": {
                    g.device_id: next(
                        (r.get("version") for r in read_ledger(g.ledger) if r.get("line") == "watchlist"),
                        None,
                    )
                    for g in self.gate_processes
                },
                "commands": command_states(self.db_path),
            },
        )

    def _tls_summary(self) -> dict[str, Any]:
        if self.security is None:
            return {"enabled": False, "note": "plain anonymous broker (--no-tls, debugging only)"}
        return {
            "enabled": True,
            "listener": self.broker.url,
            "anonymous": False,
            "accounts": sorted(self.identities),
            "client_certificates": sorted(k for k, v in self.identities.items() if v.cert_file is not None),
        }

    def passed(self, summary: dict[str, Any]) -> bool:
        """Nothing lost: every gate event stored once, every kiosk application opened one case."""
        kiosks = summary.get("kiosks") or {}
        return bool(
            summary["lost"] == 0
            and summary["duplicates_stored"] == 0
            and kiosks.get("lost", 0) == 0
            and kiosks.get("duplicates", 0) == 0
            and kiosks.get("cases_opened", 0) == kiosks.get("applications_submitted", 0)
        )

    def stop(self) -> None:
        self._restore_due(all_now=True)
        for gate in self.gate_processes:
            if gate.process is not None and gate.process.poll() is None:
                gate.process.terminate()
        for kiosk in self.kiosk_processes:
            if kiosk.process is not None and kiosk.process.poll() is None:
                kiosk.process.terminate()
        for gate in self.gate_processes:
            if gate.process is not None:
                try:
                    gate.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.kill_gate(gate)
        for kiosk in self.kiosk_processes:
            if kiosk.process is not None:
                try:
                    kiosk.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    kiosk.process.kill()
                    kiosk.process.wait()
        if self.central is not None and self.central.poll() is None:
            self.central.terminate()
            try:
                self.central.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill_central()
        for proxy in self.proxies.values():
            proxy.stop()
        self.broker.stop()

    def __enter__(self) -> Site:
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.stop()


def write_summary(summary: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    """``summary.json`` and ``summary.md`` in ``folder``."""
    json_path = folder / "summary.json"
    json_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    md = [
        f"# Site emulator run: {summary.get('scenario')} (seed {summary.get('seed')})",
        "",
        f"- passengers: {summary['passengers']} (played {summary.get('passengers_played')}) "
        f"on {summary['gates']} gates",
        f"- events emitted {summary['events_emitted']}, stored {summary['events_stored']}, "
        f"**lost {summary['lost']}**, duplicates stored {summary['duplicates_stored']}",
        f"- gate cycle p50 {summary['gate_cycle_s']['p50']} s, p95 {summary['gate_cycle_s']['p95']} s; "
        f"{summary['passengers_per_hour_per_gate']} passengers per hour per gate (back to back)",
        _emit_line(summary["controller_ms"]),
        f"- faults: {', '.join(f['kind'] for f in summary.get('faults', [])) or 'none'}",
        f"- engine: {summary.get('engine')}",
        *_kiosk_lines(summary.get("kiosks")),
        f"- broker: {_tls_line(summary.get('tls'))}",
        f"- watch list from central, version per gate: {summary.get('watchlist_versions')}",
        f"- supervisor commands (signed by central, verified by the gates): {summary.get('commands')}",
        "",
        "| outcome | count |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in summary["outcomes"].items()),
        "",
    ]
    md_path = folder / "summary.md"
    md_path.write_text("\n".join(md), encoding="utf-8")
    return json_path, md_path


def _kiosk_lines(kiosks: Any) -> list[str]:
    if not isinstance(kiosks, dict) or not kiosks.get("kiosks"):
        return ["- kiosks: none in this run (`--kiosks N`)"]
    return [
        f"- kiosks: {kiosks['kiosks']}, tickets {kiosks['tickets']}, applications submitted "
        f"{kiosks['applications_submitted']}, cases opened {kiosks['cases_opened']}, "
        f"**lost {kiosks['lost']}**, duplicates {kiosks['duplicates']}, problems {kiosks['problems']}",
    ]


def _emit_line(ms: dict[str, Any]) -> str:
    if ms.get("p50") is None:  # no gate ledgered an emit time (e.g. nothing was emitted)
        return "- emit (outbox write + hand-off): no event timed in this run"
    return f"- emit (outbox write + hand-off) p50 {ms['p50']} ms, p95 {ms['p95']} ms"


def _tls_line(tls: Any) -> str:
    if not isinstance(tls, dict) or not tls.get("enabled"):
        return "plain and anonymous (--no-tls: debugging only)"
    return (
        f"TLS only, anonymous off, accounts {', '.join(tls['accounts'])}; client certificates "
        f"{', '.join(tls['client_certificates']) or 'none'}"
    )


def run_folder(root: Path | None = None) -> Path:
    """A fresh run folder under ``var/`` (``var/site-YYYYmmdd-HHMMSS-PID``)."""
    base = root or Path(os.environ.get("EMULATOR_VAR", "var"))
    folder = base / f"site-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
