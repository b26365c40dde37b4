"""The CCTV face-recognition watch of the checkpoint area (SOP-003-D05), one watcher per camera.

    from edge.cctv import CctvWatcher, AlertGallery, GalleryCache, OpenCvSource
    from edge.cctv.sender import LinkedAlarmSink

See docs/cctv.md.
"""

from edge.cctv.errors import CctvError, GalleryRefusedError, GalleryUnavailableError, SourceError
from edge.cctv.gallery import AlertGallery, GalleryCache, GalleryHit, http_fetcher, load_public_key
from edge.cctv.sinks import AlarmDirectory, AlarmList, AlarmSink
from edge.cctv.source import FrameSource, OpenCvSource, SequenceSource
from edge.cctv.tracker import FaceTracker, Track
from edge.cctv.watcher import CctvWatcher, WatchConfig, WatchStats

__all__ = [
    "AlarmDirectory",
    "AlarmList",
    "AlarmSink",
    "AlertGallery",
    "CctvError",
    "CctvWatcher",
    "FaceTracker",
    "FrameSource",
    "GalleryCache",
    "GalleryHit",
    "GalleryRefusedError",
    "GalleryUnavailableError",
    "OpenCvSource",
    "SequenceSource",
    "SourceError",
    "Track",
    "WatchConfig",
    "WatchStats",
    "http_fetcher",
    "load_public_key",
]
