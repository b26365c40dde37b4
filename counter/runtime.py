"""The counter station assembled from its config: board, outbox, link, watch-list cache, central, web app.

``python -m counter run`` serves what ``build`` returns; the browser journeys build the same thing on
the emulated board, so what they test is what an office runs.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from core import wire
from core.clock import Clock
from core.watchlist import SnapshotError, WatchlistIndex
from core.wire.topics import Channel, DeviceKind, topic_for
from counter.central_client import CentralClient, PendingCases
from counter.config import StationConfig
from counter.errors import CounterConfigError
from counter.inspection import PassportData
from counter.permits import Tariffs
from counter.station import CounterStation, Devices
from edge.codec import announce_topic, decode_ack, offline_will
from edge.enrolments import EnrolmentClient
from edge.errors import EnrolmentError, WatchlistCacheError
from edge.link import LinkConfig, MqttLink
from edge.outbox import Outbox
from edge.publisher import EventPublisher
from edge.sealed import Sealer, SealError
from edge.watchlist_cache import HttpFetcher, WatchlistCache, load_public_key

log = logging.getLogger("counter.runtime")


@dataclass
class CounterRuntime:
    config: StationConfig
    station: CounterStation
    app: FastAPI
    link: MqttLink
    publisher: EventPublisher
    outbox: Outbox
    board: Any = None
    watchlist: WatchlistCache | None = None
    _closed: bool = field(default=False, repr=False)

    def start(self) -> CounterRuntime:
        """Connect to the broker: replay the outbox, show the tile, open queued cases, follow the list."""
        if self.config.link_url is None:
            return self
        station, publisher = self.station, self.publisher

        def connected() -> None:
            # Like a gate: replay the outbox, then the retained tile, then the cases queued while away.
            publisher.replay()
            station.publish_status()
            station.sync()

        self.link.when_connected = connected
        if self.watchlist is not None:
            self.link.subscribe(announce_topic(self.config.site), self._on_announcement)
        self.link.start()
        self.publisher.start()
        return self

    def _on_announcement(self, _topic: str, payload: bytes) -> None:
        cache = self.watchlist
        if cache is None:
            return
        try:
            announcement = wire.decode_as(wire.WatchlistAnnouncement, payload)
        except wire.WireError as exc:
            log.warning("watch-list announcement refused: %s", exc)
            return
        if announcement.site == self.config.site:
            cache.on_announcement(announcement)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.publisher.close()
        self.link.close()
        self.outbox.close()
        if self.board is not None:
            self.board.close()


def load_watchlist(config: StationConfig, clock: Clock) -> WatchlistCache | None:
    """The offline list as a gate keeps it (``edge.watchlist_cache``), seeded from ``[watchlist] snapshot``
    when the cache directory holds no verified version yet."""
    if config.public_key is None:
        print("counter: no watch-list key configured; screening against an EMPTY list", file=sys.stderr)
        return None
    token = config.central_token_file.read_text().strip() if config.central_token_file else None
    cache = WatchlistCache(
        config.data_dir / "watchlist",
        load_public_key(config.public_key),
        clock,
        fetcher=HttpFetcher(config.central_url, token=token) if config.central_url else None,
    )
    if cache.load() is None and config.snapshot is not None:
        try:
            cache.install_snapshot(config.snapshot.read_bytes())
        except (OSError, SnapshotError, WatchlistCacheError) as exc:
            raise CounterConfigError(
                f"{config.snapshot}: the watch-list snapshot was refused ({exc})"
            ) from exc
    return cache


def build(config: StationConfig, *, clock: Clock, face_pipeline: Any = None) -> CounterRuntime:
    """Everything the station needs, not yet connected (call ``start()``)."""
    from counter.web import create_app

    config.data_dir.mkdir(parents=True, exist_ok=True)
    # The data key first (issue 12): a missing or broken key stops the station with a clear error.
    # Without one configured, the outbox and the enrolment cache each keep the key made beside them.
    sealer: Sealer | None = None
    try:
        if config.data_key_file is not None or config.data_key_env:
            sealer = Sealer.load(
                default=config.data_dir / "outbox.db.key",
                key_file=config.data_key_file,
                key_env=config.data_key_env,
            )
    except SealError as exc:
        raise CounterConfigError(
            f"the station's data key: {exc}; set station.data_key_file to a 32-byte key file or "
            "station.data_key_env to a variable holding 64 hex digits"
        ) from exc
    watchlist = load_watchlist(config, clock)
    tariffs = Tariffs.load(config.tariffs)
    board = None
    devices = Devices()
    if config.board is not None:
        from hal.board import Board, load_board_config

        board = Board.open(load_board_config(config.board))
        devices = Devices(mrz=board.mrz, camera=board.camera, fingerprint=board.fingerprint)
    status_topic = topic_for(config.site, DeviceKind.COUNTER, config.device_id, Channel.STATUS)
    link = MqttLink(
        LinkConfig(
            url=config.link_url or "mqtt://127.0.0.1:1883",
            client_id=config.device_id,
            username=config.link_username,
            password=config.link_password,
            ca_file=config.link_ca_file,
            cert_file=config.link_cert_file,
            key_file=config.link_key_file,
            will_topic=status_topic,
            will_payload=offline_will(config.device_id, clock.now()),
        )
    )
    outbox = Outbox(config.data_dir / "outbox.db", sealer=sealer)
    ack_topic = topic_for(config.site, DeviceKind.COUNTER, config.device_id, Channel.ACK)
    publisher = EventPublisher(outbox, link, ack_topic=ack_topic, decode_ack=decode_ack, clock=clock)
    token = config.central_token_file.read_text().strip() if config.central_token_file else ""
    central = CentralClient(config.central_url, token) if config.central_url else None
    enrolments = EnrolmentClient(
        config.central_url, token=token or None, cache_dir=config.data_dir / "enrolments", sealer=sealer
    )

    def face_reference(passport: PassportData) -> Any:
        """The template enrolled for this document in central (SOP-003-A08 steps 5-6), if any."""
        if face_pipeline is None:
            return None
        from models.template import FaceTemplate

        try:
            record = enrolments.fetch(passport.issuing_state, passport.document_number)
        except EnrolmentError:
            return None
        return FaceTemplate.from_bytes(record.face_template)

    station = CounterStation(
        device_id=config.device_id,
        site=config.site,
        clock=clock,
        index=WatchlistIndex.build([]),
        list_version=None,
        publisher=publisher,
        central=central,
        pending=PendingCases(config.data_dir / "pending-cases.jsonl"),
        tariffs=tariffs,
        devices=devices,
        face_pipeline=face_pipeline,
        face_reference=face_reference,
        watchlist=watchlist,
        timezone=config.timezone,
    )
    return CounterRuntime(
        config, station, create_app(station), link, publisher, outbox, board=board, watchlist=watchlist
    )
