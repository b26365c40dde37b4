"""The gate's check of a supervisor command before it acts on it (issue 12).

A command can release a held passenger or take the gate out of service, so the gate acts only on one
that central signed (``core.signing``), that names this gate, that is fresh, and that it has not seen
before. Each refusal has a short reason that goes back in the ``command_ack`` and into a
``command_rejected`` alarm for the supervisors: a refused command is either a fault (clocks apart,
wrong key installed) or someone trying to drive the gate.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from core.clock import Clock
from core.signing import signature_valid
from core.wire import SupervisorCommand
from edge.errors import ConfigError

DEFAULT_MAX_SKEW_S = 30.0
MAX_NONCES = 10_000  # bounded memory; a nonce older than the skew window is refused as stale anyway

UNSIGNED = "unsigned"
BAD_SIGNATURE = "bad_signature"
STALE = "stale"
REPLAYED = "replayed"
WRONG_TARGET = "wrong_target"


def load_command_key(path: Path) -> Ed25519PublicKey:
    """Central's command-signing public key from a PEM file (``[central] command_public_key``)."""
    try:
        key = load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read central's command public key from {path}: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"{path} is not an Ed25519 public key; export central's command key")
    return key


class CommandAuthenticator:
    """Decides whether a decoded command may be carried out; remembers the nonces it accepted."""

    def __init__(
        self,
        public_key: Ed25519PublicKey,
        gate_id: str,
        clock: Clock,
        *,
        max_skew_s: float = DEFAULT_MAX_SKEW_S,
        max_nonces: int = MAX_NONCES,
    ) -> None:
        if max_skew_s <= 0:
            raise ConfigError(f"central.command_max_skew_s must be positive, got {max_skew_s}")
        self.public_key = public_key
        self.gate_id = gate_id
        self.clock = clock
        self.max_skew_s = max_skew_s
        self.max_nonces = max_nonces
        self._nonces: OrderedDict[bytes, float] = OrderedDict()  # nonce -> monotonic time accepted

    def refusal(self, command: SupervisorCommand) -> str | None:
        """None when the command may be carried out, else why not (one of the reason constants)."""
        if not command.signature or not command.nonce:
            return UNSIGNED
        if not signature_valid(command, self.public_key):
            return BAD_SIGNATURE
        # Checked after the signature so only central's own words reach these checks.
        if command.target != self.gate_id:
            return WRONG_TARGET
        age = (self.clock.now() - command.ts).total_seconds()
        if abs(age) > self.max_skew_s:
            return STALE
        self._forget_old()
        if command.nonce in self._nonces:
            return REPLAYED
        self._nonces[command.nonce] = self.clock.monotonic()
        while len(self._nonces) > self.max_nonces:
            self._nonces.popitem(last=False)
        return None

    def _forget_old(self) -> None:
        # A nonce need only be remembered while its command could still pass the freshness check:
        # twice the skew covers a command stamped max_skew_s in the future.
        horizon = self.clock.monotonic() - 2 * self.max_skew_s
        while self._nonces:
            nonce, seen_at = next(iter(self._nonces.items()))
            if seen_at >= horizon:
                break
            del self._nonces[nonce]
