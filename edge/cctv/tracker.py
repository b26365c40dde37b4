"""Faces followed across frames: greedy IoU matching with a centroid fallback for fast movers.

A camera over a checkpoint sees each passenger for many frames. Following a face as one *track* lets
the watcher embed it once (from its best frame) instead of on every frame, and alarm at most once per
person passing (SOP-003-D05 step 2: one notification per passenger, not one per frame).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from models import Detection
from models.detection import iou

Box = tuple[float, float, float, float]


@dataclass
class Track:
    """One face followed across frames, with the watcher's per-track memory (best frame, alarm)."""

    track_id: int
    box: Box
    first_seen: float
    last_seen: float
    hits: int = 1
    missed: int = 0
    # What the watcher keeps per track, in memory only: the best capture so far and what came of it.
    best_frame: NDArray[np.uint8] | None = field(default=None, repr=False)
    best_detection: Detection | None = None
    best_key: tuple[bool, int, float] | None = None
    embedded_eye_px: float = 0.0
    embeds: int = 0
    top_score: float = -1.0
    alarmed: bool = False


def _centre_distance(a: Box, b: Box) -> float:
    return math.hypot((a[0] + a[2] / 2) - (b[0] + b[2] / 2), (a[1] + a[3] / 2) - (b[1] + b[3] / 2))


class FaceTracker:
    """Assigns each frame's detections to tracks; a track ends after ``max_missed`` frames unseen.

    A detection joins the track it overlaps most (IoU ≥ ``min_iou``); failing that, the nearest track
    whose centre is within ``max_jump`` face widths (a walker seen at a low frame rate may not overlap
    their previous box). Each track takes at most one detection per frame.
    """

    def __init__(self, *, min_iou: float = 0.2, max_jump: float = 1.0, max_missed: int = 5) -> None:
        self.min_iou, self.max_jump, self.max_missed = min_iou, max_jump, max_missed
        self.tracks: dict[int, Track] = {}
        self._ids = itertools.count(1)

    def update(
        self, detections: list[Detection], now: float
    ) -> tuple[list[tuple[Track, Detection]], list[Track]]:
        """Match one frame's detections: ``(matched or new (track, detection) pairs, ended tracks)``."""
        pairs: list[tuple[float, int, int]] = []
        live = list(self.tracks.values())
        for ti, track in enumerate(live):
            for di, det in enumerate(detections):
                overlap = iou(track.box, det.box)
                if overlap >= self.min_iou:
                    pairs.append((2.0 + overlap, ti, di))  # any overlap beats any centroid match
                else:
                    size = max(track.box[2], track.box[3], det.box[2], det.box[3], 1.0)
                    jump = _centre_distance(track.box, det.box) / size
                    if jump <= self.max_jump:
                        pairs.append((1.0 - jump / (self.max_jump + 1e-9), ti, di))
        pairs.sort(reverse=True)
        used_tracks: set[int] = set()
        used_dets: set[int] = set()
        out: list[tuple[Track, Detection]] = []
        for _score, ti, di in pairs:
            if ti in used_tracks or di in used_dets:
                continue
            used_tracks.add(ti)
            used_dets.add(di)
            track, det = live[ti], detections[di]
            track.box, track.last_seen, track.missed = det.box, now, 0
            track.hits += 1
            out.append((track, det))
        for di, det in enumerate(detections):
            if di not in used_dets:
                track = Track(next(self._ids), det.box, now, now)
                self.tracks[track.track_id] = track
                out.append((track, det))
        ended: list[Track] = []
        for ti, track in enumerate(live):
            if ti not in used_tracks:
                track.missed += 1
                if track.missed > self.max_missed:
                    ended.append(self.tracks.pop(track.track_id))
        return out, ended

    def clear(self) -> list[Track]:
        """End every track (the source ended)."""
        ended = list(self.tracks.values())
        self.tracks.clear()
        return ended
