"""Ed25519 signatures on supervisor commands (``core.wire.SupervisorCommand``).

Central signs; a gate verifies before it moves a door. The signature covers
``core.wire.canonical_bytes(command)``: every field but ``signature`` itself, so the command id, its
time (``ts``), the target device, the name, the arguments, who issued it and a random ``nonce``. A
gate therefore knows who sent a command (only central holds the private key), that nothing in it was
changed, whom it is for, and how old it is; the nonce lets it refuse a captured command played again.

    signed = sign_command(command, private_key)
    if not signature_valid(signed, public_key): ...
"""

from __future__ import annotations

import dataclasses
import os

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.wire import SupervisorCommand, canonical_bytes

NONCE_BYTES = 16  # 128 random bits: two commands never share a nonce by chance
SIGNATURE_BYTES = 64


def sign_command(
    command: SupervisorCommand, key: Ed25519PrivateKey, *, nonce: bytes | None = None
) -> SupervisorCommand:
    """``command`` with a fresh random nonce (unless one is given) and central's signature."""
    with_nonce = dataclasses.replace(command, nonce=nonce if nonce is not None else os.urandom(NONCE_BYTES))
    return dataclasses.replace(with_nonce, signature=key.sign(canonical_bytes(with_nonce)))


def signature_valid(command: SupervisorCommand, key: Ed25519PublicKey) -> bool:
    """Whether ``command`` carries a nonce and a signature by ``key`` over exactly these values."""
    if len(command.signature) != SIGNATURE_BYTES or not command.nonce:
        return False
    try:
        key.verify(command.signature, canonical_bytes(command))
    except InvalidSignature:
        return False
    return True
