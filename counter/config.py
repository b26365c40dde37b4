"""``counter.toml``: who the station is, where its devices, lists, outbox and central are.

```toml
[station]
device_id = "counter-01"
site = "cgk"
listen = "127.0.0.1:8090"
data_dir = "/var/lib/imigrasi/counter"   # outbox.db and pending-cases.jsonl
tariffs = "tariffs.toml"                 # same table as central's (overstay_per_day)
timezone = "Asia/Jakarta"                # the office's day for expiry and overstay (default WIB)
# data_key_file = "/etc/imigrasi/counter-data.key"  # 32 bytes: seals the outbox and enrolment cache
# data_key_env = "COUNTER_DATA_KEY"                # or 64 hex digits in this variable (wins)

[board]
config = "hal/boards/emulated-kiosk.toml"   # passport reader, camera, fingerprint module

[link]
url = "mqtt://127.0.0.1:1883"            # production: mqtts://broker:8883 (TLS only, docs/security.md)
# username = "counter-01"                # from `python -m central device add counter-01 --kind counter`
# password_file = "/etc/imigrasi/counter.mqtt-password"
# ca_file = "/etc/imigrasi/ca.crt"       # the site CA (mqtts://)
# cert_file = "/etc/imigrasi/counter-01.crt"   # this station's client certificate
# key_file = "/etc/imigrasi/counter-01.key"

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
    # Broker identity (issue 12): account, password (read from a file), TLS files.
    link_username: str | None = None
    link_password: str | None = None
    link_ca_file: Path | None = None
    link_cert_file: Path | None = None
    link_key_file: Path | None = None
    # The data key sealing the outbox and the enrolment cache at rest (else a key made beside them).
    data_key_file: Path | None = None
    data_key_env: str | None = None


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
    link = table("link")
    for key in ("username", "password_file", "ca_file", "cert_file", "key_file"):
        if key in link and not (isinstance(link[key], str) and link[key].strip()):
            raise CounterConfigError(f"{path}: link.{key} must be a non-empty string, got {link[key]!r}")
    if ("cert_file" in link) != ("key_file" in link):
        raise CounterConfigError(f"{path}: link.cert_file and link.key_file go together")
    tls = {key: file(link.get(key)) for key in ("ca_file", "cert_file", "key_file")}
    for key, found in tls.items():
        if found is not None and not found.is_file():
            raise CounterConfigError(f"{path}: link.{key} {found} does not exist")
    password = None
    if (password_file := file(link.get("password_file"))) is not None:
        try:
            password = password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CounterConfigError(f"{path}: link.password_file {password_file}: {exc}") from exc
    for key in ("data_key_file", "data_key_env"):
        if key in station and not (isinstance(station[key], str) and station[key].strip()):
            raise CounterConfigError(f"{path}: station.{key} must be a non-empty string")
    return StationConfig(
        device_id=str(station["device_id"]),
        site=str(station["site"]),
        host=host or "127.0.0.1",
        port=int(port),
        data_dir=file(station.get("data_dir", "counter-data")) or base,
        tariffs=tariffs,
        board=file(table("board").get("config")),
        link_url=link.get("url"),
        central_url=table("central").get("url"),
        central_token_file=file(table("central").get("token_file")),
        snapshot=file(table("watchlist").get("snapshot")),
        public_key=file(table("watchlist").get("public_key")),
        timezone=timezone,
        link_username=link.get("username"),
        link_password=password,
        link_ca_file=tls["ca_file"],
        link_cert_file=tls["cert_file"],
        link_key_file=tls["key_file"],
        data_key_file=file(station.get("data_key_file")),
        data_key_env=station.get("data_key_env"),
    )
