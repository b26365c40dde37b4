"""The watcher on emulated checkpoint video (SOP-003-D05 step 2: alarm on a face in the alert system).

Frames are full 1280×720; YuNet letterboxes each into 640×640 itself, so detection cost does not
depend on the frame size. Walks are 12 frames long to keep the suite fast.
"""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.clock import ManualClock
from core.wire.cctv import CctvFaceAlarm
from edge.cctv.gallery import AlertGallery
from edge.cctv.sinks import KEY_NAME, AlarmDirectory, AlarmList, AlarmSink
from edge.cctv.source import SequenceSource
from edge.cctv.watcher import CctvWatcher, WatchConfig
from models import FacePipeline
from tests.cctv.video import Frame, walk


def decode(jpeg: bytes) -> Frame:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "the alarm snapshot is not a JPEG"
    return np.asarray(image, dtype=np.uint8)


def watch(
    pipeline: FacePipeline, gallery: AlertGallery, name: str, sink: AlarmSink | None = None
) -> list[CctvFaceAlarm]:
    watcher = CctvWatcher("cam-1", pipeline, gallery, sink or AlarmList(), clock=ManualClock())
    raised: list[CctvFaceAlarm] = []
    watcher.run(SequenceSource(walk(name)), on_alarm=raised.append)
    return raised


def test_a_listed_person_walking_through_raises_exactly_one_alarm(
    pipeline: FacePipeline, gallery: AlertGallery
) -> None:
    alarms = watch(pipeline, gallery, "person_a_2")
    assert len(alarms) == 1
    assert alarms[0].entry_id == "alert-a"


def test_the_alarm_carries_camera_entry_watchlist_link_score_and_snapshot(
    pipeline: FacePipeline, gallery: AlertGallery
) -> None:
    (alarm,) = watch(pipeline, gallery, "person_a_2")
    assert alarm.camera_id == "cam-1"
    assert alarm.watchlist_id == "W-0001"
    assert alarm.score >= alarm.threshold == pipeline.config.match_threshold
    snapshot = decode(alarm.snapshot_jpeg)
    assert len(pipeline.detect(snapshot)) == 1


def test_the_snapshot_is_a_crop_around_the_face_not_the_whole_frame(
    pipeline: FacePipeline, gallery: AlertGallery
) -> None:
    (alarm,) = watch(pipeline, gallery, "person_a_2")
    snapshot = decode(alarm.snapshot_jpeg)
    assert snapshot.shape[0] < 720 and snapshot.shape[1] < 1280


def test_a_second_listed_person_alarms_against_their_own_entry(
    pipeline: FacePipeline, gallery: AlertGallery
) -> None:
    alarms = watch(pipeline, gallery, "person_b_2")
    assert [a.entry_id for a in alarms] == ["alert-b"]


@pytest.mark.parametrize("name", ["impostor_1", "impostor_2"])
def test_a_person_not_listed_raises_no_alarm(
    pipeline: FacePipeline, gallery: AlertGallery, name: str
) -> None:
    assert watch(pipeline, gallery, name) == []


def test_nothing_is_written_when_no_alarm_is_raised(
    pipeline: FacePipeline, gallery: AlertGallery, tmp_path: Path
) -> None:
    out = tmp_path / "alarms"
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert watch(pipeline, gallery, "impostor_1", AlarmDirectory(out)) == []
    # Only the directory's data key (made when the sink opens, issue 12): no frame, no alarm.
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted([*before, "alarms", KEY_NAME])


def test_an_alarm_is_written_as_its_message_and_snapshot_only(
    pipeline: FacePipeline, gallery: AlertGallery, tmp_path: Path
) -> None:
    out = tmp_path / "alarms"
    directory = AlarmDirectory(out)
    (alarm,) = watch(pipeline, gallery, "person_a_2", directory)
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{alarm.alarm_id}.alarm.sealed", KEY_NAME])
    # Sealed at rest (issue 12): neither the snapshot nor the label is in the file; it opens again.
    raw = (out / f"{alarm.alarm_id}.alarm.sealed").read_bytes()
    assert alarm.snapshot_jpeg[:64] not in raw and alarm.label.encode() not in raw
    assert base64.b64encode(alarm.snapshot_jpeg)[:64] not in raw
    assert list(directory.alarms()) == [alarm]


def test_a_track_is_searched_at_most_max_embeds_times(pipeline: FacePipeline, gallery: AlertGallery) -> None:
    watcher = CctvWatcher(
        "cam-1",
        pipeline,
        gallery,
        AlarmList(),
        config=WatchConfig(max_embeds=2, reembed_growth=1.01),
        clock=ManualClock(),
    )
    stats = watcher.run(SequenceSource(walk("impostor_2")))
    assert stats.tracks == 1
    assert stats.searches == 2


def test_a_threshold_above_every_score_silences_the_watcher(
    pipeline: FacePipeline, gallery: AlertGallery
) -> None:
    sink = AlarmList()
    watcher = CctvWatcher(
        "cam-1", pipeline, gallery, sink, config=WatchConfig(threshold=0.999), clock=ManualClock()
    )
    watcher.run(SequenceSource(walk("person_a_2")))
    assert sink.alarms == []


def test_a_face_seen_in_one_frame_only_is_not_searched(pipeline: FacePipeline, gallery: AlertGallery) -> None:
    watcher = CctvWatcher("cam-1", pipeline, gallery, AlarmList(), clock=ManualClock())
    stats = watcher.run(SequenceSource(walk("person_a_2", frames=1)))
    assert (stats.tracks, stats.searches, stats.alarms) == (1, 0, 0)


def test_a_listed_person_passing_twice_alarms_once_per_passage(
    pipeline: FacePipeline, gallery: AlertGallery
) -> None:
    sink = AlarmList()
    watcher = CctvWatcher("cam-1", pipeline, gallery, sink, clock=ManualClock())
    empty = np.zeros((720, 1280, 3), np.uint8)
    passage = [*walk("person_a_2"), *[empty] * 7, *walk("person_a_2")]
    watcher.run(SequenceSource(passage))
    assert [a.track_id for a in sink.alarms] == [1, 2]
