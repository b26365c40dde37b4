"""Central's Ed25519 watch-list signing key: read from a file named in config or the environment,
created on first use when absent (mode 0600). Never kept in the repository."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from central.errors import Invalid

KEY_ENV = "CENTRAL_WATCHLIST_KEY"


def default_key_path() -> Path:
    """``$CENTRAL_WATCHLIST_KEY``, else ``$XDG_DATA_HOME/imigrasi-central/watchlist-ed25519.pem``."""
    named = os.environ.get(KEY_ENV)
    if named:
        return Path(named)
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "imigrasi-central" / "watchlist-ed25519.pem"


def load_or_create_key(path: Path | str | None = None) -> Ed25519PrivateKey:
    """The private key in ``path`` (PEM, PKCS#8, unencrypted); a new one is written there if absent."""
    target = Path(path) if path is not None else default_key_path()
    if target.exists():
        try:
            key = serialization.load_pem_private_key(target.read_bytes(), password=None)
        except (ValueError, TypeError) as exc:
            raise Invalid(
                f"the watch-list key file {target} is not an unencrypted PEM private key ({exc}); "
                "move it away to have a new key created, then redistribute the public key to the gates"
            ) from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise Invalid(
                f"the watch-list key file {target} holds a {type(key).__name__}, not an Ed25519 key"
            )
        return key
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    # Create with 0600 from the start: the key must never be readable by others, even briefly.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return key


def public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_id(key: Ed25519PublicKey) -> str:
    """A short name for a public key (first 16 hex digits of SHA-256 of its raw bytes)."""
    return hashlib.sha256(public_raw(key)).hexdigest()[:16]
