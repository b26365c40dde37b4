"""``python -m counter run --config counter.toml``: serve the officer's counter station."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.clock import SystemClock
from core.watchlist import WatchlistIndex, verify_snapshot
from core.wire.topics import Channel, DeviceKind, topic_for
from counter.central_client import CentralClient, PendingCases
from counter.config import StationConfig, load_config
from counter.errors import CounterConfigError, CounterError
from counter.permits import Tariffs
from counter.station import CounterStation, Devices
from edge.codec import decode_ack, encode_status_offline
from edge.link import LinkConfig, MqttLink
from edge.outbox import Outbox
from edge.publisher import EventPublisher


def load_index(config: StationConfig) -> tuple[WatchlistIndex, int | None]:
    """The last signed snapshot on disk: a counter works offline from it like a gate."""
    if config.snapshot is None or config.public_key is None:
        print("counter: no watch-list snapshot configured; screening against an EMPTY list", file=sys.stderr)
        return WatchlistIndex.build([]), None
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    key = load_pem_public_key(config.public_key.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise CounterConfigError(f"{config.public_key}: the watch-list key must be an Ed25519 public key")
    snapshot = verify_snapshot(config.snapshot.read_bytes(), key)
    return WatchlistIndex.build(snapshot.entries), snapshot.version


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m counter run", description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="the station's counter.toml")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        config.data_dir.mkdir(parents=True, exist_ok=True)
        index, version = load_index(config)
        tariffs = Tariffs.load(config.tariffs)
    except (CounterError, OSError, ValueError) as exc:
        print(f"counter: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    from counter.web import create_app

    clock = SystemClock()
    devices = Devices()
    board = None
    if config.board is not None:
        from hal.board import Board, load_board_config

        board = Board.open(load_board_config(config.board))
        devices = Devices(mrz=board.mrz, camera=board.camera, fingerprint=board.fingerprint)
    status_topic = topic_for(config.site, DeviceKind.COUNTER, config.device_id, Channel.STATUS)
    link = MqttLink(
        LinkConfig(
            url=config.link_url or "mqtt://127.0.0.1:1883",
            client_id=config.device_id,
            will_topic=status_topic,
            will_payload=encode_status_offline(config.device_id),
        )
    )
    outbox = Outbox(config.data_dir / "outbox.db")
    ack_topic = topic_for(config.site, DeviceKind.COUNTER, config.device_id, Channel.ACK)
    publisher = EventPublisher(outbox, link, ack_topic=ack_topic, decode_ack=decode_ack, clock=clock)
    token = config.central_token_file.read_text().strip() if config.central_token_file else ""
    central = CentralClient(config.central_url, token) if config.central_url else None
    station = CounterStation(
        device_id=config.device_id,
        site=config.site,
        clock=clock,
        index=index,
        list_version=version,
        publisher=publisher,
        central=central,
        pending=PendingCases(config.data_dir / "pending-cases.jsonl"),
        tariffs=tariffs,
        devices=devices,
    )
    if config.link_url:

        def connected() -> None:
            # Like a gate: replay the outbox, show the tile, then open the cases queued while away.
            publisher.replay()
            station.publish_status()
            station.sync()

        link.when_connected = connected
        link.start()
        publisher.start()
    print(f"counter {config.device_id}: http://{config.host}:{config.port}/", flush=True)
    try:
        uvicorn.run(create_app(station), host=config.host, port=config.port, log_level="warning")
    finally:
        publisher.close()
        link.close()
        outbox.close()
        if board is not None:
            board.close()
    return 0
