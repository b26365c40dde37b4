"""Sealing personal data at rest on gates and kiosks (issue 12): AES-256-GCM with one key per data folder.

>>> import tempfile, pathlib
>>> sealer = Sealer.load(default=pathlib.Path(tempfile.mkdtemp()) / "outbox.key")
>>> box = sealer.seal(b"face crop", context=b"e1")
>>> b"face crop" in box, sealer.open(box, context=b"e1")
(False, b'face crop')

Where the key comes from, first match wins: the environment variable named by ``key_env`` (64 hex digits),
the file ``key_file``, else ``default`` (made on first use: 32 random bytes, mode 0600, next to the data).
The default is only a **baseline**: a key on the same disk as the data protects against a copied database
file or a disk read without the key file, not against someone who can read the whole folder as the gate's
user. Production boards should keep the key on other storage (a TPM-sealed file, a separate partition or
an environment variable set by the service manager) and name it in the config.

``context`` (e.g. the event id) is bound to the ciphertext as associated data, so a sealed value copied
to another row does not open there.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from edge.errors import EdgeError

MAGIC = b"\x00SEAL1"  # no msgpack or JSON document starts with a NUL followed by more bytes
NONCE = 12
KEY_BYTES = 32


class SealError(EdgeError, ValueError):
    """A sealed value could not be opened (wrong key or damaged), or the key could not be had."""


@dataclass(frozen=True)
class Sealer:
    """Seals and opens byte strings with one AES-256-GCM key; ``source`` says where the key came from."""

    key: bytes
    source: str

    @classmethod
    def load(cls, *, default: Path, key_file: Path | None = None, key_env: str | None = None) -> Sealer:
        if key_env:
            value = os.environ.get(key_env, "").strip()
            if value:
                try:
                    key = bytes.fromhex(value)
                except ValueError:
                    key = b""
                if len(key) != KEY_BYTES:
                    raise SealError(f"${key_env} must hold {KEY_BYTES * 2} hex digits (an AES-256 key)")
                return cls(key, f"${key_env}")
        path = key_file or default
        if key_file is None and not path.exists():
            _create_key(path)
        try:
            key = path.read_bytes()
        except OSError as exc:
            raise SealError(f"cannot read the data key {path}: {exc}") from exc
        if len(key) != KEY_BYTES:
            raise SealError(f"the data key {path} must be {KEY_BYTES} bytes, it has {len(key)}")
        return cls(key, str(path))

    def seal(self, data: bytes, *, context: bytes = b"") -> bytes:
        nonce = secrets.token_bytes(NONCE)
        return MAGIC + nonce + AESGCM(self.key).encrypt(nonce, bytes(data), context)

    def open(self, sealed: bytes, *, context: bytes = b"") -> bytes:
        """The plain bytes; values written before sealing existed (no ``MAGIC``) come back unchanged."""
        if not is_sealed(sealed):
            return bytes(sealed)
        body = bytes(sealed[len(MAGIC) :])
        try:
            return AESGCM(self.key).decrypt(body[:NONCE], body[NONCE:], context)
        except (InvalidTag, ValueError) as exc:
            raise SealError(
                f"a sealed value does not open with the key from {self.source}: the key is not the one it "
                "was sealed with, or the data is damaged; restore the right key (nothing was deleted)"
            ) from exc


def is_sealed(data: bytes) -> bool:
    return bytes(data[: len(MAGIC)]) == MAGIC


def _create_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process made it first
    except OSError as exc:
        raise SealError(f"cannot create the data key {path}: {exc}") from exc
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_bytes(KEY_BYTES))
        out.flush()
        os.fsync(out.fileno())
