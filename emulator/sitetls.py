"""The emulated site's broker security (issue 12): TLS only, an account per device, the generated ACL.

``SiteTls(folder)`` makes, for one run (never the user's own PKI or keys):

* ``pki/``: the site CA, the broker's server certificate (``127.0.0.1``, ``localhost``), central's client
  certificate and one per gate and kiosk (common name = device id), by ``central.pki`` (what
  ``python -m central pki init`` and ``pki issue`` do);
* ``broker/passwd`` and ``broker/acl``: Mosquitto's password file and ACL, written by central's own
  ``python -m central device add --password-file --acl-file`` (``central.devices``), so a device may
  publish only under its own topics and read only its own commands and acks and the site's watch-list
  announcement; central's consumer has its own account (``central``);
* ``<device>/mqtt.password``: each device's broker password (mode 0600, never on a command line).

The broker gets one TLS listener and no plain one, anonymous access off: every client (central with
``serve --cert-file/--key-file``, the gates, the kiosks with ``[central] mqtt_cert_file``) presents a
client certificate from the site CA **and** its own account's password.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from central import pki
from central.devices import BrokerFiles, set_central_password
from emulator.broker import BrokerConfig, TlsFiles

CENTRAL_ACCOUNT = "central"


def write_secret(path: Path, text: str) -> None:
    """A secret file, mode 0600 from the start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class Identity:
    """How one client proves who it is to the broker: its account and, for gates, its certificate."""

    username: str
    password_file: Path
    ca_file: Path
    cert_file: Path | None = None
    key_file: Path | None = None


class SiteTls:
    """The run's PKI and broker accounts; ``broker_config()`` is the TLS-only Mosquitto config."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pki_dir = folder / "pki"
        self.files = BrokerFiles(folder / "broker" / "passwd", folder / "broker" / "acl")
        self.files.password_file.parent.mkdir(parents=True, exist_ok=True)

    @property
    def ca_file(self) -> Path:
        return self.pki_dir / "ca.crt"

    def init(self) -> None:
        """The site CA, the broker's certificate and central's account (its password in a 0600 file)."""
        import secrets

        pki.init(self.pki_dir, hosts=("localhost", "127.0.0.1"))
        password = secrets.token_urlsafe(24)
        set_central_password(self.files, password, account=CENTRAL_ACCOUNT)
        write_secret(self.central_password_file, password)
        # Mosquitto refuses to start on an ACL file that does not exist; `device add` rewrites it.
        if not self.files.acl_file.exists():
            write_secret(self.files.acl_file, "")

    @property
    def central_password_file(self) -> Path:
        return self.folder / "central.mqtt-password"

    def central(self) -> Identity:
        """Central's account; its client certificate is the one ``pki init`` made."""
        return Identity(
            CENTRAL_ACCOUNT,
            self.central_password_file,
            self.ca_file,
            self.pki_dir / "central.crt",
            self.pki_dir / "central.key",
        )

    def device(self, device_id: str, password: str, folder: Path, *, certificate: bool) -> Identity:
        """Keep a device's password (from ``central device add``) and, with ``certificate``, issue its
        client certificate."""
        password_file = folder / "mqtt.password"
        write_secret(password_file, password)
        if not certificate:
            return Identity(device_id, password_file, self.ca_file)
        issued = pki.issue(self.pki_dir, device_id)
        return Identity(device_id, password_file, self.ca_file, issued.certfile, issued.keyfile)

    def broker_config(self) -> BrokerConfig:
        """TLS only, one listener: a client certificate from the site CA and the account's password."""
        ca, cert, key = self.ca_file, self.pki_dir / "broker.crt", self.pki_dir / "broker.key"
        return BrokerConfig(
            allow_anonymous=False,
            password_file=self.files.password_file,
            acl_file=self.files.acl_file,
            tls=TlsFiles(ca, cert, key, require_certificate=True),
        )


def identity_args(identity: Identity | None) -> list[str]:
    """The ``python -m emulator gate|kiosk`` options carrying an identity (paths only, no secret)."""
    if identity is None:
        return []
    args = ["--mqtt-user", identity.username, "--mqtt-password-file", str(identity.password_file),
            "--ca-file", str(identity.ca_file)]  # fmt: skip
    if identity.cert_file is not None and identity.key_file is not None:
        args += ["--cert-file", str(identity.cert_file), "--key-file", str(identity.key_file)]
    return args


def add_identity_options(parser: argparse.ArgumentParser) -> None:
    """The options ``identity_args`` writes (a device process's broker account and TLS files)."""
    parser.add_argument("--mqtt-user", default=None, help="broker account (default: none, anonymous)")
    parser.add_argument("--mqtt-password-file", type=Path, default=None, help="file holding its password")
    parser.add_argument("--ca-file", type=Path, default=None, help="the site CA (mqtts:// brokers)")
    parser.add_argument("--cert-file", type=Path, default=None, help="this device's client certificate")
    parser.add_argument("--key-file", type=Path, default=None, help="this device's client key")


def link_options(args: argparse.Namespace) -> dict[str, Any]:
    """``edge.link.LinkConfig`` fields from those options (only the ones given)."""
    options: dict[str, Any] = {}
    if args.mqtt_user is not None:
        options["username"] = args.mqtt_user
    if args.mqtt_password_file is not None:
        options["password"] = args.mqtt_password_file.read_text(encoding="utf-8").strip()
    for name in ("ca_file", "cert_file", "key_file"):
        if getattr(args, name) is not None:
            options[name] = Path(getattr(args, name))
    return options
