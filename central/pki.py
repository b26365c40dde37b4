"""A small certificate authority for the site's MQTT broker (issue 12).

``python -m central pki init --dir D`` makes, in ``D``:

* ``ca.key`` / ``ca.crt``: the site CA (ECDSA P-256, 10 years), which every device and the broker trust;
* ``broker.key`` / ``broker.crt``: the broker's server certificate (names given with ``--host``);
* ``central.key`` / ``central.crt``: central's client certificate;
* ``mosquitto-tls.conf``: the listener settings (TLS only, anonymous off, central's password and ACL).

``python -m central pki issue gate-01 --dir D`` adds ``gate-01.key`` / ``gate-01.crt``, a client
certificate whose common name is the device id. The broker's password file and ACL are not made here:
``python -m central device add`` writes them (``central.devices``), so there is one place for them.

Private keys are written with mode 0600 and never leave ``D``; copy a device's key to the device only.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from central.errors import Invalid

CA_DAYS = 3650
LEAF_DAYS = 825  # the longest leaf lifetime common TLS clients accept
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
ORGANISATION = "Imigrasi site CA"


@dataclass(frozen=True)
class Issued:
    """A key and certificate pair in the PKI folder."""

    keyfile: Path
    certfile: Path


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Created 0600 from the start: a private key is never readable by others, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _load_ca(folder: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key_path, cert_path = folder / "ca.key", folder / "ca.crt"
    if not key_path.exists() or not cert_path.exists():
        raise Invalid(f"no CA in {folder}; run `python -m central pki init --dir {folder}` first")
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise Invalid(f"{key_path} is not an EC private key made by `pki init`")
    return key, x509.load_pem_x509_certificate(cert_path.read_bytes())


def _issue(
    folder: Path,
    name: str,
    usage: x509.ObjectIdentifier,
    *,
    hosts: tuple[str, ...] = (),
    now: dt.datetime | None = None,
) -> Issued:
    ca_key, ca_cert = _load_ca(folder)
    now = now or dt.datetime.now(dt.UTC)
    key = _key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=LEAF_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if hosts:
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    issued = Issued(folder / f"{name}.key", folder / f"{name}.crt")
    _write_key(issued.keyfile, key)
    issued.certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return issued


def init(
    folder: Path,
    *,
    hosts: tuple[str, ...] = ("localhost", "127.0.0.1"),
    password_file: Path | None = None,
    acl_file: Path | None = None,
    port: int = 8883,
    now: dt.datetime | None = None,
) -> Issued:
    """Make the CA, the broker's and central's certificates and the broker's TLS config; returns the CA.
    Refuses to overwrite an existing CA (every device certificate would have to be reissued)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca = Issued(folder / "ca.key", folder / "ca.crt")
    if ca.keyfile.exists():
        raise Invalid(
            f"{ca.keyfile} exists; a new CA would orphan every issued certificate. Use another --dir"
        )
    now = now or dt.datetime.now(dt.UTC)
    key = _key()
    name = _name("Imigrasi site CA")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    _write_key(ca.keyfile, key)
    ca.certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    broker = _issue(folder, "broker", ExtendedKeyUsageOID.SERVER_AUTH, hosts=hosts, now=now)
    _issue(folder, "central", ExtendedKeyUsageOID.CLIENT_AUTH, now=now)
    (folder / "mosquitto-tls.conf").write_text(
        broker_config(ca, broker, port=port, password_file=password_file, acl_file=acl_file), encoding="utf-8"
    )
    return ca


def issue(folder: Path, device_id: str, *, now: dt.datetime | None = None) -> Issued:
    """A client certificate for one device (common name = device id), signed by the site CA."""
    if not NAME.match(device_id) or device_id in ("ca", "broker", "central"):
        raise Invalid(f"device id {device_id!r} must be lower-case letters, digits and '-' (e.g. gate-01)")
    return _issue(folder, device_id, ExtendedKeyUsageOID.CLIENT_AUTH, now=now)


def broker_config(
    ca: Issued, broker: Issued, *, port: int, password_file: Path | None, acl_file: Path | None
) -> str:
    """Mosquitto listener settings: TLS only, a client certificate required, no anonymous clients."""
    lines = [
        "# Generated by `python -m central pki init` (issue 12): TLS only, every client authenticated.",
        f"listener {port}",
        f"cafile {ca.certfile}",
        f"certfile {broker.certfile}",
        f"keyfile {broker.keyfile}",
        "require_certificate true",
        "tls_version tlsv1.2",
        "allow_anonymous false",
        f"password_file {password_file or '<password file written by `python -m central device add`>'}",
        f"acl_file {acl_file or '<ACL file written by `python -m central device add`>'}",
    ]
    return "\n".join(lines) + "\n"
