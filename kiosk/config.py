"""The kiosk config (TOML): which board, which central, where to keep the outbox. See kiosk/examples/."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from kiosk.catalogue import DEFAULT_PATH
from kiosk.errors import KioskConfigError


@dataclass(frozen=True)
class KioskConfig:
    site: str
    device_id: str
    board: Path
    data_dir: Path
    services: Path = DEFAULT_PATH
    idle_timeout_s: float = 90.0
    ack_wait_s: float = 8.0  # how long the applicant waits at submit for central's ack
    host: str = "127.0.0.1"
    port: int = 8090
    central_url: str = ""
    central_token: str = ""
    broker_url: str = ""
    mqtt_username: str | None = None
    mqtt_password: str | None = None

    @classmethod
    def load(cls, path: Path | str) -> KioskConfig:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise KioskConfigError(
                f"{path}: cannot read the kiosk config ({exc}); see kiosk/examples/"
            ) from exc
        base = path.parent
        k, c = data.get("kiosk", {}), data.get("central", {})
        try:
            return cls(
                site=k["site"],
                device_id=k["device_id"],
                board=(base / k["board"]).resolve(),
                data_dir=(base / k.get("data_dir", "kiosk-data")).resolve(),
                services=(base / k["services"]).resolve() if "services" in k else DEFAULT_PATH,
                idle_timeout_s=float(k.get("idle_timeout_s", 90)),
                ack_wait_s=float(c.get("ack_wait_s", 8)),
                host=k.get("host", "127.0.0.1"),
                port=int(k.get("port", 8090)),
                central_url=c.get("url", ""),
                central_token=c.get("token", ""),
                broker_url=c.get("broker", ""),
                mqtt_username=c.get("mqtt_username"),
                mqtt_password=c.get("mqtt_password"),
            )
        except KeyError as exc:
            raise KioskConfigError(f"{path}: missing key {exc}; see kiosk/examples/kiosk.toml") from exc
