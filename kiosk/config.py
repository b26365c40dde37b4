"""The kiosk config (TOML): which board, which central, where to keep the outbox. See kiosk/examples/.

Issue 12: the outbox (applications with document scans, face and fingerprint templates awaiting
central's ack) is sealed at rest with one data key, as the gate's: ``[kiosk] data_key_env`` (the name of
an environment variable holding 64 hex digits) wins, then ``[kiosk] data_key_file`` (a 32-byte key file,
relative to this config; it must exist), else ``<data_dir>/outbox.db.key`` made on first use (a
baseline only: docs/security.md).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from core.clock import SITE_ZONE, zone
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
    # Broker TLS (issue 12): the CA that signed the broker (mqtts:// urls; else the system store) and
    # this kiosk's client certificate and key, for a broker listener that requires one.
    mqtt_ca_file: Path | None = None
    mqtt_cert_file: Path | None = None
    mqtt_key_file: Path | None = None
    data_key_file: Path | None = None
    data_key_env: str | None = None
    timezone: str = SITE_ZONE  # the office's: ticket numbering days, expiry checks, receipt times

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
        for key in ("data_key_file", "data_key_env"):
            if key in k and not (isinstance(k[key], str) and k[key].strip()):
                raise KioskConfigError(f"{path}: [kiosk] {key} must be a non-empty string, got {k[key]!r}")
        for key in ("mqtt_password_file", "mqtt_ca_file", "mqtt_cert_file", "mqtt_key_file"):
            if key in c and not (isinstance(c[key], str) and c[key].strip()):
                raise KioskConfigError(f"{path}: [central] {key} must be a non-empty string, got {c[key]!r}")
        if "mqtt_password" in c and "mqtt_password_file" in c:
            raise KioskConfigError(f"{path}: [central] give mqtt_password or mqtt_password_file, not both")
        if ("mqtt_cert_file" in c) != ("mqtt_key_file" in c):
            raise KioskConfigError(f"{path}: [central] mqtt_cert_file and mqtt_key_file go together")
        files = {key: (base / c[key]).resolve() for key in ("mqtt_ca_file", "mqtt_cert_file", "mqtt_key_file")
                 if key in c}  # fmt: skip
        for key, file in files.items():
            if not file.is_file():
                raise KioskConfigError(f"{path}: [central] {key} {file} does not exist")
        password = c.get("mqtt_password")
        if "mqtt_password_file" in c:
            password_file = (base / c["mqtt_password_file"]).resolve()
            try:
                password = password_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise KioskConfigError(
                    f"{path}: [central] mqtt_password_file {password_file}: cannot read it ({exc})"
                ) from exc
        timezone = k.get("timezone", SITE_ZONE)
        try:
            zone(str(timezone))
        except ValueError as exc:
            raise KioskConfigError(f"{path}: [kiosk] timezone: {exc}") from exc
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
                mqtt_password=password,
                mqtt_ca_file=files.get("mqtt_ca_file"),
                mqtt_cert_file=files.get("mqtt_cert_file"),
                mqtt_key_file=files.get("mqtt_key_file"),
                data_key_file=(base / k["data_key_file"]).resolve() if "data_key_file" in k else None,
                data_key_env=k.get("data_key_env"),
                timezone=str(timezone),
            )
        except KeyError as exc:
            raise KioskConfigError(f"{path}: missing key {exc}; see kiosk/examples/kiosk.toml") from exc
