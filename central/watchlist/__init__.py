"""Cekal watch-list management and signed distribution in central (issue 7, "Management and distribution").

The matching engine is ``core.watchlist``; this package keeps the list in the central store (entries,
versions, per-version changes), signs a snapshot per version and deltas between versions, announces the
current version on the site's retained MQTT topic, serves the files to gates, and checks permit
applicants for the workflow engine's automatic cekal step.
"""

from __future__ import annotations

from central.watchlist.cekal import IndexCekalChecker
from central.watchlist.keys import key_id, load_or_create_key
from central.watchlist.service import (
    DeviceListState,
    ImportRejected,
    ImportResult,
    MqttPublisher,
    Publisher,
    WatchlistService,
)

__all__ = [
    "DeviceListState",
    "ImportRejected",
    "ImportResult",
    "IndexCekalChecker",
    "MqttPublisher",
    "Publisher",
    "WatchlistService",
    "key_id",
    "load_or_create_key",
]
