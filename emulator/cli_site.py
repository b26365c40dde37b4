"""``python -m emulator site``: the whole emulated site with a live terminal view (what ``make demo`` runs).

Starts Mosquitto on a free port, central on SQLite in a new folder under ``var/``, and the gates
(alternately departure and arrival) as separate processes; prints the dashboard address and a demo
supervisor login (random password, printed once); starts the kiosks (``--kiosks``, default 1: the real
kiosk runtime with emulated applicants; their addresses are printed, open one in a browser to watch);
shows live progress; on Ctrl-C or at the end writes ``summary.md`` and ``summary.json`` in the run
folder and prints the summary. The broker is TLS only with an account and ACL per device (``--no-tls``
for debugging).
"""

from __future__ import annotations

from rich.console import Console
from rich.live import Live
from rich.table import Table

from emulator.broker import BrokerError
from emulator.cli_run import build_parser
from emulator.reconcile import stored_event_counts
from emulator.scenarios import ScenarioError, load
from emulator.site import DEMO_USER, Site, SiteError, run_folder, write_summary


def _table(site: Site) -> Table:
    table = Table(title=f"{site.scenario.name}: {site.progress():.0%} of {site.count} passengers played")
    for column in ("gate", "direction", "played", "state"):
        table.add_column(column)
    for gate in site.gate_processes:
        code = gate.process.poll() if gate.process else None
        state = "running" if code is None else f"exited {code}"
        table.add_row(gate.device_id, gate.direction, str(gate.played()), state)
    for kiosk in site.kiosk_processes:
        code = kiosk.poll()
        state = "running" if code is None else f"exited {code}"
        table.add_row(kiosk.device_id, "applications", f"{kiosk.served()}/{site.applicants}", state)
    try:
        stored = sum(stored_event_counts(site.db_path).values())
        table.caption = f"central stored {stored} events (gates and kiosks)"
    except Exception:  # the database may be between migrations or locked for a moment
        table.caption = "central: starting"
    return table


def main(argv: list[str]) -> int:
    parser = build_parser("python -m emulator site", __doc__)
    parser.set_defaults(scenario="mixed", kiosks=1)
    args = parser.parse_args(argv)
    console = Console()
    try:
        scenario = load(args.scenario)
    except ScenarioError as exc:
        console.print(f"python -m emulator site: {exc}")
        return 2
    folder = args.folder or run_folder()
    site = Site(folder, scenario, gates=args.gates, seed=args.seed, passengers=args.passengers,
                factor=args.factor or (5.0 if args.engine == "runtime" else 20.0), engine=args.engine,
                tls=args.tls, kiosks=args.kiosks, applicants=args.applicants, kiosk_pace_s=1.0,
                log=lambda m: console.log(m))  # fmt: skip
    interrupted = False
    try:
        site.start()
        console.print(f"Dashboard: [bold]{site.dashboard_url}[/]  login [bold]{DEMO_USER}[/] / "
                      f"[bold]{site.password}[/] (shown once)")  # fmt: skip
        if site.security is not None:
            console.print("Broker: TLS only, anonymous off, an account and ACL per device; "
                          f"CA {site.security.ca_file}")  # fmt: skip
        else:
            console.print("Broker: [bold red]plain and anonymous[/] (--no-tls: debugging only)")
        console.print("Ctrl-C ends the run.")
        with Live(_table(site), console=console, refresh_per_second=2) as live:
            shown: set[str] = set()

            def tick(s: Site) -> None:
                for kiosk in s.kiosk_processes:
                    if kiosk.url and kiosk.device_id not in shown:
                        shown.add(kiosk.device_id)
                        console.print(f"Kiosk {kiosk.device_id}: {kiosk.url}")
                live.update(_table(s))

            site.wait(timeout_s=args.timeout, on_tick=tick)
        site.settle()
    except KeyboardInterrupt:
        interrupted = True
    except (SiteError, BrokerError) as exc:
        console.print(f"python -m emulator site: {exc}")
        site.stop()
        return 1
    try:
        site.stop()
        summary = site.summary() | {"interrupted": interrupted}
    except KeyboardInterrupt:
        return 130
    json_path, md_path = write_summary(summary, folder)
    console.print(md_path.read_text(encoding="utf-8"))
    console.print(f"Summary written to {md_path} and {json_path}")
    return 0 if site.passed(summary) and not interrupted else 1
