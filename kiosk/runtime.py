"""Putting a kiosk together from its config: board, link, submitter, station, web app."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from core.clock import SystemClock
from edge.link import LinkConfig, MqttLink
from edge.sealed import Sealer, SealError
from hal.board import Board, load_board_config
from kiosk.app import create_app
from kiosk.catalogue import Catalogue
from kiosk.config import KioskConfig
from kiosk.errors import KioskConfigError
from kiosk.station import Station
from kiosk.submitter import CentralClient, Submitter


@dataclass
class Kiosk:
    config: KioskConfig
    board: Board
    link: MqttLink | None
    submitter: Submitter | None
    station: Station
    app: FastAPI

    def close(self) -> None:
        if self.submitter is not None:
            self.submitter.close()
        if self.link is not None:
            self.link.close()
        self.board.close()


def data_sealer(config: KioskConfig) -> Sealer:
    """The key sealing the kiosk's outbox at rest (issue 12): ``[kiosk] data_key_env``, else
    ``data_key_file``, else ``<data_dir>/outbox.db.key`` made on first use (a baseline only)."""
    try:
        return Sealer.load(
            default=config.data_dir / "outbox.db.key",
            key_file=config.data_key_file,
            key_env=config.data_key_env,
        )
    except SealError as exc:
        raise KioskConfigError(
            f"the kiosk's data key: {exc}; set [kiosk] data_key_file to a 32-byte key file or "
            "data_key_env to a variable holding 64 hex digits (docs/security.md)"
        ) from exc


def build(config: KioskConfig, *, face_pipeline: object = None) -> Kiosk:
    clock = SystemClock()
    # The data key before anything opens: a missing or broken key stops the kiosk with a clear error.
    sealer = data_sealer(config) if config.central_url and config.broker_url else None
    board = Board.open(load_board_config(config.board))
    link: MqttLink | None = None
    submitter: Submitter | None = None
    if config.central_url and config.broker_url:
        link = MqttLink(
            LinkConfig(
                url=config.broker_url,
                client_id=config.device_id,
                username=config.mqtt_username,
                password=config.mqtt_password,
                ca_file=config.mqtt_ca_file,
                cert_file=config.mqtt_cert_file,
                key_file=config.mqtt_key_file,
            )
        )
        submitter = Submitter(
            site=config.site,
            device_id=config.device_id,
            data_dir=config.data_dir,
            clock=clock,
            link=link,
            central=CentralClient(config.central_url, config.central_token),
            ack_wait_s=config.ack_wait_s,
            sealer=sealer,
        )
        publisher = submitter.publisher
        link.when_connected = publisher.replay
        submitter.start()
        link.start()
    station = Station(
        board=board,
        catalogue=Catalogue.load(config.services),
        submitter=submitter,
        clock=clock,
        device_id=config.device_id,
        idle_timeout_s=config.idle_timeout_s,
        face_pipeline=face_pipeline,
        timezone=config.timezone,
    )
    return Kiosk(config, board, link, submitter, station, create_app(station))
