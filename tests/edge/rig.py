"""A gate runtime on the emulated board with a hand-advanced clock, and what a test does to it.

The board is the real ``hal`` board over the emulator's far end (doors, beams, MRZ reader, fingerprint
module, camera, fire contact); only time is in the test's hands. The face model is loaded once per test
session (it is the real model; loading it is the slow part).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core import wire
from core.clock import ManualClock
from core.documents import TravelDocument
from core.watchlist import PartialDate, Snapshot, WatchlistEntry, sign_snapshot
from edge.config import parse_config
from edge.enrolments import EnrolmentClient
from edge.runtime import GateRuntime, inline
from edge.watchlist_cache import SNAPSHOT_FILE, WatchlistCache
from emulator.devices.fingerprint import synthetic_template
from hal.backend import reset_emulated, use_emulated_clock

FACES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "faces"
BOARD = Path(__file__).resolve().parents[2] / "hal" / "boards" / "emulated-gate.toml"
FINGER = "finger-santoso"


@cache
def face_pipeline() -> Any:
    from models import FacePipeline

    return FacePipeline.load()


def passport(
    number: str = "X1234567", *, surname: str = "SANTOSO", expiry: date = date(2030, 1, 1)
) -> TravelDocument:
    return TravelDocument(
        document_code="P",
        issuing_state="IDN",
        surname=surname,
        given_names="BUDI",
        document_number=number,
        nationality="IDN",
        birth_date=date(1980, 5, 17),
        sex="M",
        expiry_date=expiry,
    )


def enrolment_json(
    number: str = "X1234567", *, photo: str = "person_a_1.jpg", finger: str = FINGER
) -> dict[str, Any]:
    """Central's stored enrolment record (the wire record as JSON) for a holder."""
    from models import read_image

    template = face_pipeline().enrol(read_image(FACES / photo))
    return {
        "issuing_state": "IDN",
        "document_number": number,
        "face_template": {"$base64": base64.b64encode(template.to_bytes()).decode()},
        "face_model_id": template.model_id,
        "fingerprint_template": {"$base64": base64.b64encode(synthetic_template(finger)).decode()},
        "fingerprint_model_id": "r503",
    }


def cekal_entry(surname: str = "SANTOSO") -> WatchlistEntry:
    return WatchlistEntry(
        "CK-1",
        "pencegahan",
        f"{surname} BUDI",
        birth_date=PartialDate(1980, 5, 17),
        nationality="IDN",
        sex="M",
        document_numbers=("X1234567",),
        agency="KPK",
        instructions="hold and hand over to the KPK liaison",
    )


class OfflineLink:
    """No network at all: the outbox keeps everything (what a gate does with its cable cut)."""

    is_connected = False
    when_connected: Callable[[], None] | None = None

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> bool:
        return False

    def subscribe(self, topic: str, handler: Callable[[str, bytes], None], *, qos: int = 1) -> None:
        return None

    def start(self) -> OfflineLink:
        return self

    def close(self) -> None:
        return None


class Rig:
    """One gate on the emulated board. ``advance`` moves every device and timer together."""

    def __init__(
        self,
        tmp: Path,
        *,
        broker_url: str = "mqtt://127.0.0.1:1",
        link: Any = None,
        enrolled: bool = True,
        watchlist: list[WatchlistEntry] | None = None,
        **sections: dict[str, Any],
    ) -> None:
        reset_emulated()
        self.clock = ManualClock()
        use_emulated_clock(self.clock)
        raw: dict[str, Any] = {
            "gate": {"id": "gate-01", "site": "cgk"},
            "link": {"url": broker_url},
            "board": {"config": str(BOARD)},
            "face": {"liveness": "off", "max_frames": 2, "frame_interval_s": 0},
            "metrics": {"port": 0},
        }
        for name, values in sections.items():
            raw[name] = {**raw.get(name, {}), **values}
        self.config = parse_config(raw, base=tmp)
        cache_dir = tmp / "enrolments"
        cache_dir.mkdir(exist_ok=True)
        if enrolled:
            (cache_dir / "IDN_X1234567.json").write_text(json.dumps(enrolment_json()))
        self.key = Ed25519PrivateKey.generate()
        cache_obj = None
        if watchlist is not None:
            directory = tmp / "watchlist"
            directory.mkdir(exist_ok=True)
            snapshot = Snapshot(1, tuple(watchlist), self.clock.now() - timedelta(hours=1))
            (directory / SNAPSHOT_FILE).write_bytes(sign_snapshot(snapshot, self.key))
            cache_obj = WatchlistCache(directory, self.key.public_key(), self.clock)
        self.runtime = GateRuntime(
            self.config,
            clock=self.clock,
            face=face_pipeline(),
            background=inline,
            link=link if link is not None else OfflineLink(),
            enrolments=EnrolmentClient(None, cache_dir=cache_dir),
            watchlist=cache_obj,
        )
        self.runtime.start()
        self.far = self.runtime.board.far_end
        self.flow = self.runtime.flow

    def close(self) -> None:
        self.runtime.stop()
        use_emulated_clock(None)
        reset_emulated()

    # -- what people do ----------------------------------------------------------------------------

    def advance(self, seconds: float, step: float = 0.05) -> None:
        for _ in range(round(seconds / step)):
            self.clock.advance(step)

    def present(self, document: TravelDocument | None = None) -> None:
        """Lay the passport on the reader; the reader's own thread delivers it (real serial I/O)."""
        self.far.mrz.present(document or passport())
        assert wait_real(lambda: self.flow.state != "awaiting_document"), "the document was not read"

    def walk_in_and_stop(self, at: float = 0.9) -> Any:
        walker = self.far.lane.walk_in()
        for _ in range(400):
            self.clock.advance(0.02)
            if walker.position >= at:
                walker.stopped = True
                break
        return walker

    def messages(self, kind: type[Any] | None = None) -> list[Any]:
        found = [wire.decode(e.payload) for e in self.runtime.outbox.pending()]
        return [m for m in found if kind is None or isinstance(m, kind)]


def wait_real(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Wait for another thread's device I/O (the serial reader thread, a broker): not flow logic."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
