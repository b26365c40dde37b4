"""``counter.toml``: who the station is, where its devices, lists, outbox and central are.

```toml
[station]
device_id = "counter-01"
site = "cgk"
listen = "127.0.0.1:8090"
data_dir = "/var/lib/imigrasi/counter"   # outbox.db and pending-cases.jsonl
tariffs = "tariffs.toml"                 # same table as central's (overstay_per_day)
timezone = "Asia/Jakarta"                # the office's day for expiry and overstay (default WIB)

[board]
config = "hal/boards/emulated-kiosk.toml"   # passport reader, camera, fingerprint module

[link]
url = "mqtt://127.0.0.1:1883"

[central]
url = "http://127.0.0.1:8000"
token_file = "/etc/imigrasi/counter.token"

[watchlist]
snapshot = "watchlist.wls"      # a signed snapshot (core.watchlist.snapshot)
public_key = "watchlist.pub"    # Ed25519 public key, PEM
```
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.clock import SITE_ZONE, zone
from counter.errors import CounterConfigError


@dataclass(frozen=True)
class StationConfig:
    device_id: str
    site: str
    host: str
    port: int
    data_dir: Path
    tariffs: Path
    board: Path | None
    link_url: str | None
    central_url: str | None
    central_token_file: Path | None
    snapshot: Path | None
    public_key: Path | None
    timezone: str = SITE_ZONE  # the office's: expiry, permit validity and overstay days


def load_config(path: Path) -> StationConfig:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CounterConfigError(f"{path}: cannot read the station config ({exc})") from exc
    base = path.resolve().parent

    def table(name: str) -> dict[str, Any]:
        value = raw.get(name, {})
        if not isinstance(value, dict):
            raise CounterConfigError(f"{path}: [{name}] must be a table")
        return value

    def file(value: object) -> Path | None:
        return None if value in (None, "") else (base / str(value))

    station = table("station")
    for key in ("device_id", "site"):
        if not station.get(key):
            raise CounterConfigError(f'{path}: station.{key} is missing; e.g. device_id = "counter-01"')
    host, _, port = str(station.get("listen", "127.0.0.1:8090")).rpartition(":")
    if not port.isdigit():
        raise CounterConfigError(f"{path}: station.listen must be HOST:PORT, got {station.get('listen')!r}")
    tariffs = file(station.get("tariffs"))
    if tariffs is None:
        raise CounterConfigError(f"{path}: station.tariffs is missing; point it at the office's tariff table")
    timezone = str(station.get("timezone", SITE_ZONE))
    try:
        zone(timezone)
    except ValueError as exc:
        raise CounterConfigError(f"{path}: station.timezone: {exc}") from exc
    return StationConfig(
        device_id=str(station["device_id"]),
        site=str(station["site"]),
        host=host or "127.0.0.1",
        port=int(port),
        data_dir=file(station.get("data_dir", "counter-data")) or base,
        tariffs=tariffs,
        board=file(table("board").get("config")),
        link_url=table("link").get("url"),
        central_url=table("central").get("url"),
        central_token_file=file(table("central").get("token_file")),
        snapshot=file(table("watchlist").get("snapshot")),
        public_key=file(table("watchlist").get("public_key")),
        timezone=timezone,
    )
