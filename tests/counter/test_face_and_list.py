"""The station's face step on ``models.FacePipeline`` and its watch list from ``edge.watchlist_cache``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.clock import ManualClock
from core.documents import render_mrz
from core.watchlist import Snapshot, WatchlistEntry, sign_snapshot
from core.wire.messages import Direction
from counter.errors import InspectionStateError, ManualEntryError
from counter.permits import PermitKind, StayPermit
from counter.station import CounterStation, Devices, Inspection
from edge.watchlist_cache import WatchlistCache
from emulator.devices.board import FACES
from emulator.devices.camera import EmulatedCamera
from models.pipeline import FacePipeline, Frame, read_image
from models.template import FaceTemplate
from tests.counter.conftest import ENTRIES, passport
from tests.counter.test_station import Reader


@pytest.fixture(scope="session")
def pipeline() -> FacePipeline:
    return FacePipeline.load()


class CameraOf:
    """hal's ``Camera.capture()`` over the emulator's frame source (what ``hal.Camera`` does on ``emu://``)."""

    def __init__(self, source: EmulatedCamera) -> None:
        self.source = source

    def capture(self) -> Frame:
        return self.source.read()


def with_face(
    station: CounterStation,
    pipeline: FacePipeline,
    photo: str | None,
    reference: FaceTemplate | None = None,
) -> CounterStation:
    camera = EmulatedCamera()
    if photo is not None:
        camera.present(FACES / f"{photo}.jpg")
    station.devices = Devices(mrz=Reader(render_mrz(passport(), "TD3")), camera=CameraOf(camera))
    station.face_pipeline = pipeline
    station.face_reference = (lambda _p: reference) if reference is not None else None
    return station


def scanned_arrival(station: CounterStation) -> Inspection:
    inspection = station.scan(station.begin(Direction.ARRIVAL))
    station.record_permit(inspection, StayPermit(PermitKind.ITAS, "2C11AB0001", date(2027, 5, 1)))
    return inspection


def test_without_an_enrolled_template_the_best_frame_is_recorded_with_its_quality(
    station: CounterStation, pipeline: FacePipeline
) -> None:
    inspection = station.capture_biometrics(scanned_arrival(with_face(station, pipeline, "person_a_1")))
    assert inspection.face is not None and inspection.face["mode"] == "recorded"
    assert inspection.face_captured and set(inspection.face["quality"]) >= {"ok", "hint", "measures"}


def test_the_same_person_matches_the_enrolled_template(
    station: CounterStation, pipeline: FacePipeline
) -> None:
    enrolled = pipeline.enrol(read_image(FACES / "person_a_2.jpg"))
    inspection = station.capture_biometrics(
        scanned_arrival(with_face(station, pipeline, "person_a_1", enrolled))
    )
    assert inspection.face is not None
    assert (inspection.face["mode"], inspection.face["match"]) == ("verified", True)


def test_another_person_does_not_match_and_the_stamp_is_refused(
    station: CounterStation, pipeline: FacePipeline
) -> None:
    enrolled = pipeline.enrol(read_image(FACES / "impostor_1.jpg"))
    inspection = station.capture_biometrics(
        scanned_arrival(with_face(station, pipeline, "person_a_1", enrolled))
    )
    station.record_flight(inspection, "GA871")
    assert inspection.face is not None and inspection.face["match"] is False
    with pytest.raises(InspectionStateError, match="face does not match"):
        station.stamp(inspection)


def test_a_camera_that_sees_no_face_asks_the_officer_to_have_the_passenger_face_it(
    station: CounterStation, pipeline: FacePipeline
) -> None:
    inspection = scanned_arrival(with_face(station, pipeline, None))
    with pytest.raises(ManualEntryError, match="face the camera"):
        station.capture_biometrics(inspection)
    assert not inspection.face_captured


NEW_ENTRY = WatchlistEntry(
    entry_id="WL-CEGAH-9",
    list="penangkalan",
    full_name="JANE CITIZEN",
    nationality="AUS",
    sex="F",
    document_numbers=("PA1234567",),
    agency="Direktorat Jenderal Imigrasi",
    reason="deterrence",
    instructions="Refer to the supervisor",
)


def test_the_station_screens_with_the_newest_version_the_watchlist_cache_holds(
    station: CounterStation, clock: ManualClock, tmp_path: Path
) -> None:
    key = Ed25519PrivateKey.generate()
    cache = WatchlistCache(tmp_path / "list", key.public_key(), clock)
    cache.install_snapshot(sign_snapshot(Snapshot(7, ENTRIES, created_at=clock.now()), key))
    station.watchlist = cache
    station.devices = Devices(mrz=Reader(render_mrz(passport(), "TD3")))
    before = station.scan(station.begin(Direction.ARRIVAL))
    # Central announces version 8 with the passenger on it; the running station uses it at once.
    cache.install_snapshot(sign_snapshot(Snapshot(8, (*ENTRIES, NEW_ENTRY), created_at=clock.now()), key))
    after = station.scan(station.begin(Direction.ARRIVAL))
    assert before.screening is not None and after.screening is not None
    assert (before.screening.list_version, before.screening.hits) == (7, ())
    assert after.screening.list_version == 8
    assert [h.entry_id for h in after.screening.hits] == ["WL-CEGAH-9"]


def test_the_snapshot_index_is_used_while_the_cache_holds_no_version(
    station: CounterStation, clock: ManualClock, tmp_path: Path
) -> None:
    station.watchlist = WatchlistCache(tmp_path / "empty", Ed25519PrivateKey.generate().public_key(), clock)
    index, version = station.current_list()
    assert (index, version) == (station.index, 7)
