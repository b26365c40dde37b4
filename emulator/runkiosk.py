"""``python -m emulator kiosk``: one emulated kiosk process, the real kiosk runtime played by applicants.

    python -m emulator kiosk --index 0 --applicants 3 --seed 1 --device-id kiosk-01 --site cgk \\
        --folder var/site/kiosk-01 --central-url http://127.0.0.1:8080 \\
        --device-token-file var/site/kiosk-01/device.token --broker mqtts://127.0.0.1:PORT \\
        --mqtt-user kiosk-01 --mqtt-password-file var/site/kiosk-01/mqtt.password

The kiosk is ``kiosk.runtime.build`` on a per-kiosk copy of ``hal/boards/emulated-kiosk.toml`` (its own
``emu://`` names), with its own outbox, its device token for central's status read and its own broker
account; its web app is served on a free loopback port (``<folder>/kiosk.url``: open it in a browser
to watch). ``emulator.applicant`` plays the applicants against that web app and the board's far end.
Applications reach central only over MQTT (the kiosk's outbox and ``edge.publisher``), where central's
ingest opens one workflow case per application id.

Ledger (``<folder>/ledger.jsonl``, read by ``emulator.kiosksite``): per applicant a ``ticket`` line, then
an ``application`` line with the number on the receipt (central's application number, or the kiosk's
application id when central had not answered in time) or a ``problem`` line. Applicants already in the
ledger are skipped on a restart. At the end the kiosk waits until central has acknowledged everything
in its outbox. Exit status: 0 when drained, 3 when the drain timed out, 4 when an applicant got stuck,
2 on bad arguments.

Real time: the kiosk runs on the system clock (an applicant's wait at the screen is real).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from core.clock import SystemClock
from edge.link import MqttLink
from emulator.applicant import Applicant, ApplicantDriver, ApplicantError, make_applicants
from emulator.sitetls import add_identity_options, link_options
from emulator.wiregate import Ledger, read_ledger
from kiosk.submitter import Submitter

BOARD_TEMPLATE = Path(__file__).resolve().parents[1] / "hal" / "boards" / "emulated-kiosk.toml"


def board_config(folder: Path, kiosk_id: str) -> Path:
    """A copy of the emulated kiosk board with this kiosk's own ``emu://`` names."""
    text = BOARD_TEMPLATE.read_text(encoding="utf-8")
    text = re.sub(r"emu://(\w+)/kiosk1", lambda m: f"emu://{m.group(1)}/{kiosk_id}", text)
    text = text.replace('name = "emulated-kiosk-1"', f'name = "emulated-{kiosk_id}"')
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "board.toml"
    path.write_text(text, encoding="utf-8")
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emulator kiosk", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--index", type=int, default=0, help="this kiosk's index, 0-based")
    parser.add_argument("--applicants", type=int, default=3, help="applicants this kiosk serves")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--device-id", required=True, help="e.g. kiosk-01 (central device add)")
    parser.add_argument("--site", default="cgk")
    parser.add_argument("--folder", type=Path, required=True, help="outbox, board copy and ledger live here")
    parser.add_argument("--central-url", required=True, help="central's HTTP address (status reads)")
    parser.add_argument("--device-token-file", type=Path, required=True, help="the kiosk's API token")
    parser.add_argument("--broker", required=True, help="mqtt://host:port or mqtts://host:port")
    parser.add_argument("--pace", type=float, default=0.2, help="real seconds an applicant takes per touch")
    parser.add_argument("--ack-wait", type=float, default=8.0, help="seconds the kiosk waits for central")
    parser.add_argument("--drain-timeout", type=float, default=60.0, help="real seconds to wait for acks")
    add_identity_options(parser)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    options = link_options(args)
    stop = threading.Event()

    def on_signal(_sig: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return EmulatedKiosk(args, options, stop).run()


class EmulatedKiosk:
    def __init__(self, args: argparse.Namespace, link: dict[str, Any], stop: threading.Event) -> None:
        """``link``: the broker identity (``emulator.sitetls.link_options``): account, password and
        the TLS files, which go into the kiosk's own config as a deployed kiosk's TOML would carry them."""
        self.args, self.stop = args, stop
        self.link = link
        self.folder: Path = args.folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.ledger = Ledger(self.folder / "ledger.jsonl")

    def _done_before(self) -> set[int]:
        return {
            int(r["applicant"])
            for r in read_ledger(self.ledger.path)
            if r.get("line") in ("application", "problem")
        }

    def run(self) -> int:
        from central.server import BackgroundServer
        from hal.backend import use_emulated_clock
        from kiosk.config import KioskConfig
        from kiosk.runtime import build
        from models import FaceConfig, FacePipeline

        args = self.args
        # The kiosk's devices on real time, like the kiosk itself (SystemClock in kiosk.runtime).
        use_emulated_clock(SystemClock())
        face = FacePipeline.load(dataclasses.replace(FaceConfig.from_env(), threads=1))
        config = KioskConfig(
            site=args.site,
            device_id=args.device_id,
            board=board_config(self.folder, args.device_id),
            data_dir=self.folder / "kiosk-data",
            ack_wait_s=args.ack_wait,
            central_url=args.central_url,
            central_token=args.device_token_file.read_text(encoding="utf-8").strip(),
            broker_url=args.broker,
            mqtt_username=self.link.get("username"),
            mqtt_password=self.link.get("password"),
            mqtt_ca_file=self.link.get("ca_file"),
            mqtt_cert_file=self.link.get("cert_file"),
            mqtt_key_file=self.link.get("key_file"),
        )
        kiosk = build(config, face_pipeline=face)
        server = BackgroundServer(kiosk.app).start()
        (self.folder / "kiosk.url").write_text(server.url + "/\n", encoding="utf-8")
        driver = ApplicantDriver(server.url, kiosk.board.far_end, face, pace_s=args.pace)
        stuck = False
        try:
            self._wait_connected(kiosk.link, 30.0)
            applicants = make_applicants(seed=args.seed, kiosk=args.index, count=args.applicants)
            done = self._done_before()
            for applicant in applicants:
                if self.stop.is_set():
                    break
                if applicant.index in done:
                    continue
                stuck = not self._serve(driver, applicant) or stuck
            drained = self._drain(kiosk.submitter, args.drain_timeout)
        finally:
            driver.close()
            server.stop()
            kiosk.close()
            use_emulated_clock(None)
            self.ledger.close()
        return 4 if stuck else 0 if drained else 3

    def _serve(self, driver: ApplicantDriver, applicant: Applicant) -> bool:
        base = {"applicant": applicant.index, "service": applicant.service_code,
                "document": applicant.document.document_number}  # fmt: skip
        try:
            applied = driver.apply(applicant)
        except (ApplicantError, OSError) as exc:
            self.ledger.write({"line": "problem", **base, "why": str(exc)})
            print(f"python -m emulator kiosk: applicant {applicant.index}: {exc}", file=sys.stderr)
            return False
        self.ledger.write({"line": "ticket", **base, "number": applied.ticket})
        self.ledger.write({"line": "application", **base, "number": applied.number, "queued": applied.queued,
                           "steps_s": applied.steps_s})  # fmt: skip
        return True

    def _wait_connected(self, link: MqttLink | None, timeout_s: float) -> None:
        """Before the first applicant, give the link a moment (an application made earlier would only
        wait in the outbox, which is also fine)."""
        deadline = time.monotonic() + timeout_s
        while link is not None and not link.is_connected and time.monotonic() < deadline:
            if self.stop.wait(0.1):
                return

    def _drain(self, submitter: Submitter | None, timeout_s: float) -> bool:
        """Wait (real seconds) until central has acked the kiosk's whole outbox, replaying now and then."""
        if submitter is None:
            return False
        deadline = time.monotonic() + timeout_s
        last = 0.0
        while submitter.pending() and time.monotonic() < deadline and not self.stop.is_set():
            if time.monotonic() - last > 2.0:
                submitter.retry_now()
                last = time.monotonic()
            self.stop.wait(0.1)
        return submitter.pending() == 0
