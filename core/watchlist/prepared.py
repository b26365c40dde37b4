"""Signed *prepared* snapshots: a list version together with its built matching index.

A plain snapshot (``core.watchlist.snapshot``) carries entries only; a gate that receives one must
decode a million entries and build the index, which takes about a minute on gate hardware. Central
builds the index once and signs its saved form instead; a gate verifies the signature and answers
queries straight from the arrays (SOP-003-A08 step 3: the cekal check runs offline from the local
replica, inside the 5 s scan budget, so a new list version must be usable within seconds).

Wire format: ``WLP1 (4 bytes) + Ed25519 signature (64 bytes) + body``; the signature covers
``WLP1 + body``. ``body`` is ``u64 header length + msgpack {"version", "created_at", "content_hash"} +
WatchlistIndex.to_bytes()``. ``content_hash`` is the source snapshot's (``Snapshot.content_hash``),
so deltas announced against this version can be checked. The body is not compressed: decompressing
would cost the gate more time than the larger download costs the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import msgpack
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.watchlist.config import MatchConfig
from core.watchlist.errors import SnapshotError, SnapshotSignatureError, WatchlistError
from core.watchlist.index import WatchlistIndex
from core.watchlist.snapshot import Snapshot

PREPARED_MAGIC = b"WLP1"
_SIG_LEN = 64


def _pad(header_len: int) -> int:
    return -(len(PREPARED_MAGIC) + _SIG_LEN + 8 + header_len) % 8


@dataclass(frozen=True)
class PreparedSnapshot:
    """A verified list version, ready to answer: ``index.match(...)`` works at once."""

    version: int
    created_at: datetime
    content_hash: bytes
    index: WatchlistIndex


def sign_prepared_snapshot(
    snapshot: Snapshot,
    private_key: Ed25519PrivateKey,
    config: MatchConfig | None = None,
    *,
    index: WatchlistIndex | None = None,
) -> bytearray:
    """Build the index of ``snapshot`` (or use ``index``, built from the same entries) and sign it.

    The result is one buffer (hundreds of MiB for a million entries) written once: the index goes
    straight after the room for magic, signature and header, and the signature is made over the
    buffer in place. Use it as bytes (write it out, ``load_prepared_snapshot`` it)."""
    idx = index if index is not None else WatchlistIndex.build(snapshot.entries, config)
    if len(idx) != len(snapshot.entries):
        raise WatchlistError(
            f"the index holds {len(idx)} entries but the snapshot {len(snapshot.entries)}; "
            "build the index from this snapshot's entries"
        )
    return sign_prepared_index(
        idx, snapshot.version, snapshot.created_at, snapshot.content_hash(), private_key
    )


def sign_prepared_index(
    index: WatchlistIndex,
    version: int,
    created_at: datetime,
    content_hash: bytes,
    private_key: Ed25519PrivateKey,
) -> bytearray:
    """``sign_prepared_snapshot`` for an index built from a stream of entries (no ``Snapshot``):
    ``content_hash`` is the list version's, e.g. ``content_hash_rows(version, len(index),
    index.entry_rows(by_id=True))``."""
    idx = index
    header: bytes = msgpack.packb(
        {"version": version, "created_at": created_at.isoformat(), "content_hash": content_hash},
        use_bin_type=True,
    )
    # The index starts 8-byte aligned in the whole message: its arrays are then used in place.
    body_at = len(PREPARED_MAGIC) + _SIG_LEN
    out = idx.write_into(body_at + 8 + len(header) + _pad(len(header)))
    out[body_at : body_at + 8] = len(header).to_bytes(8, "little")
    out[body_at + 8 : body_at + 8 + len(header)] = header
    # The signature covers MAGIC + body. With MAGIC put just before the body (where the signature
    # goes), that is one contiguous slice of the buffer: signed without a copy of the body.
    out[body_at - len(PREPARED_MAGIC) : body_at] = PREPARED_MAGIC
    signature = private_key.sign(memoryview(out)[body_at - len(PREPARED_MAGIC) :])
    out[: len(PREPARED_MAGIC)] = PREPARED_MAGIC
    out[len(PREPARED_MAGIC) : body_at] = signature
    return out


def load_prepared_snapshot(
    data: bytes | bytearray | memoryview, public_key: Ed25519PublicKey
) -> PreparedSnapshot:
    """Verify the signature, then map the index. Raises ``SnapshotSignatureError`` (keep running on
    the current list) or ``SnapshotError`` (fetch it again)."""
    head = len(PREPARED_MAGIC)
    if len(data) < head + _SIG_LEN + 8 or data[:head] != PREPARED_MAGIC:
        raise SnapshotError("not a prepared watch-list snapshot (bad magic or truncated); fetch it again")
    view = memoryview(data)
    signature = bytes(view[head : head + _SIG_LEN])
    body = view[head + _SIG_LEN :]
    try:
        public_key.verify(signature, PREPARED_MAGIC + body)
    except InvalidSignature as exc:
        raise SnapshotSignatureError(
            "the prepared snapshot signature does not verify with the configured public key; discard it "
            "and keep the current list"
        ) from exc
    try:
        hlen = int.from_bytes(body[:8], "little")
        header = msgpack.unpackb(bytes(body[8 : 8 + hlen]), raw=False)
        index = WatchlistIndex.from_bytes(body[8 + hlen + _pad(hlen) :])
        return PreparedSnapshot(
            int(header["version"]),
            datetime.fromisoformat(header["created_at"]),
            bytes(header["content_hash"]),
            index,
        )
    except (KeyError, TypeError, ValueError, WatchlistError, msgpack.UnpackException) as exc:
        raise SnapshotError(f"the prepared snapshot body is malformed ({exc}); fetch it again") from exc
