"""The CCTV watcher: detect and track faces, embed each track's best frame, search 1:N, alarm once.

SOP-003-D05 step 2: officers watch the face-recognition feeds and act on "a notification and an
alarm sound" when a passenger's face resembles one in the alert system. One watcher runs per camera.

Privacy: a frame is held in memory only while its face's track is alive (as that track's best
capture) and is dropped when the track ends. The only thing that ever leaves the watcher is an
alarm, carrying a JPEG crop around the matched face; frames without an alarm are never stored or sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from core.clock import Clock, SystemClock
from core.wire.cctv import CctvFaceAlarm
from edge.cctv.gallery import AlertGallery, GalleryRefresher
from edge.cctv.sinks import AlarmSink
from edge.cctv.source import Frame, FrameSource
from edge.cctv.tracker import FaceTracker, Track
from models import Detection, FacePipeline
from models.quality import ranking_key


@dataclass(frozen=True)
class WatchConfig:
    """Tuning of one watcher; the defaults are starting values to check on the real camera.

    ``threshold``: cosine at or above which a face alarms (default: the pipeline's match threshold).
    ``min_hits``: frames a track must be seen before its first search (a one-frame glimpse is often a
    blurred or partial face). ``min_inter_eye_px``: smaller faces are tracked but never embedded.
    ``reembed_growth``: search again when the best face has grown by this factor since the last
    search (a walker approaching the camera); at most ``max_embeds`` searches per track.
    ``snapshot_margin``: the alarm's crop extends this many face widths beyond the face box.
    """

    threshold: float | None = None
    min_hits: int = 2
    min_inter_eye_px: float = 16.0
    reembed_growth: float = 1.3
    max_embeds: int = 3
    max_missed: int = 5
    snapshot_margin: float = 0.6
    jpeg_quality: int = 90


@dataclass
class WatchStats:
    """Counts and time spent, for the benchmark and the status log (no image data)."""

    frames: int = 0
    faces: int = 0
    tracks: int = 0
    searches: int = 0
    alarms: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: {"detect": 0.0, "quality": 0.0, "embed": 0.0})


class CctvWatcher:
    """One camera's watch: ``process(frame)`` for each frame, or ``run(source)`` until it ends."""

    def __init__(
        self,
        camera_id: str,
        pipeline: FacePipeline,
        gallery: AlertGallery,
        sink: AlarmSink,
        *,
        config: WatchConfig | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.camera_id = camera_id
        self.pipeline = pipeline
        self.gallery = gallery
        self.sink = sink
        self.config = config or WatchConfig()
        self.clock: Clock = clock or SystemClock()
        self.threshold = (
            self.config.threshold if self.config.threshold is not None else pipeline.config.match_threshold
        )
        self.tracker = FaceTracker(max_missed=self.config.max_missed)
        self.stats = WatchStats()

    def replace_gallery(self, gallery: AlertGallery) -> None:
        """Use a newer verified gallery from the next frame on (tracks already alarmed stay silent)."""
        self.gallery = gallery

    def process(self, frame: Frame) -> list[CctvFaceAlarm]:
        """Handle one frame; returns the alarms it raised (already handed to the sink)."""
        self.stats.frames += 1
        t0 = time.perf_counter()
        detections = self.pipeline.detect(frame)
        self.stats.seconds["detect"] += time.perf_counter() - t0
        self.stats.faces += len(detections)
        matched, _ended = self.tracker.update(detections, self.clock.monotonic())
        # Ended tracks are simply dropped: their best frame goes with them and is never written.
        alarms: list[CctvFaceAlarm] = []
        for track, detection in matched:
            if track.hits == 1:
                self.stats.tracks += 1
            alarm = self._follow(track, frame, detection)
            if alarm is not None:
                alarms.append(alarm)
        return alarms

    def run(
        self,
        source: FrameSource,
        *,
        max_frames: int | None = None,
        on_alarm: Callable[[CctvFaceAlarm], None] | None = None,
        refresher: GalleryRefresher | None = None,
    ) -> WatchStats:
        """Read ``source`` until it ends (or ``max_frames``), processing every frame.

        With a ``refresher``, a newer verified gallery it has taken into use replaces the current one
        between frames (no restart, no frame skipped)."""
        while max_frames is None or self.stats.frames < max_frames:
            if refresher is not None and (newer := refresher.take()) is not None:
                self.replace_gallery(newer)
            frame = source.read()
            if frame is None:
                break
            for alarm in self.process(frame):
                if on_alarm is not None:
                    on_alarm(alarm)
        self.tracker.clear()
        return self.stats

    # --- one track --------------------------------------------------------------------------------

    def _follow(self, track: Track, frame: Frame, detection: Detection) -> CctvFaceAlarm | None:
        if track.alarmed:
            return None  # never twice for one track
        t0 = time.perf_counter()
        # face_count=1: a crowd is normal in front of a CCTV camera; judge each face on its own.
        report = self.pipeline.quality(frame, detection, face_count=1)
        self.stats.seconds["quality"] += time.perf_counter() - t0
        key = ranking_key(report, self.pipeline.config.quality)
        if track.best_key is None or key > track.best_key:
            track.best_key, track.best_frame, track.best_detection = key, frame, detection
        best = track.best_detection
        if track.best_frame is None or best is None or not self._worth_searching(track, best):
            return None
        return self._search(track, track.best_frame, best)

    def _worth_searching(self, track: Track, best: Detection) -> bool:
        cfg = self.config
        eye = best.inter_eye_distance
        if track.hits < cfg.min_hits or eye < cfg.min_inter_eye_px or track.embeds >= cfg.max_embeds:
            return False
        return track.embeds == 0 or eye >= track.embedded_eye_px * cfg.reembed_growth

    def _search(self, track: Track, frame: Frame, detection: Detection) -> CctvFaceAlarm | None:
        t0 = time.perf_counter()
        probe = self.pipeline.embed(frame, detection)
        hit = self.gallery.best_match(probe)
        self.stats.seconds["embed"] += time.perf_counter() - t0
        self.stats.searches += 1
        track.embeds += 1
        track.embedded_eye_px = detection.inter_eye_distance
        if hit is None:
            return None
        track.top_score = max(track.top_score, hit.score)
        if hit.score < self.threshold:
            return None
        track.alarmed = True
        alarm = CctvFaceAlarm(  # its event id (a fresh UUIDv7) is the alarm id
            device_id=self.camera_id,
            ts=self.clock.now(),
            entry_id=hit.entry.entry_id,
            watchlist_id=hit.entry.watchlist_id,
            label=hit.entry.label,
            score=round(hit.score, 6),
            threshold=self.threshold,
            track_id=track.track_id,
            snapshot_jpeg=self.snapshot(frame, detection),
        )
        self.sink.raise_alarm(alarm)
        self.stats.alarms += 1
        return alarm

    def snapshot(self, frame: Frame, detection: Detection) -> bytes:
        """A JPEG of the face with some margin: what the officer compares with the reference photo.

        A crop, not the whole frame, so other people in view are not sent with the alarm.
        """
        x, y, w, h = detection.box
        m = self.config.snapshot_margin
        height, width = frame.shape[:2]
        x0, y0 = max(0, int(x - m * w)), max(0, int(y - m * h))
        x1, y1 = min(width, int(x + w * (1 + m))), min(height, int(y + h * (1 + m)))
        crop = np.ascontiguousarray(frame[y0:y1, x0:x1])
        ok, encoded = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, self.config.jpeg_quality])
        if not ok:
            raise ValueError("JPEG encoding of the alarm snapshot failed")
        return bytes(encoded.tobytes())
