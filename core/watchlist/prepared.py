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

import hashlib
import mmap
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

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
    out: bytearray = _sign_into(index, version, created_at, content_hash, private_key, bytearray)
    return out


def _sign_into(
    index: WatchlistIndex,
    version: int,
    created_at: datetime,
    content_hash: bytes,
    private_key: Ed25519PrivateKey,
    alloc: Any,
) -> Any:
    header: bytes = msgpack.packb(
        {"version": version, "created_at": created_at.isoformat(), "content_hash": content_hash},
        use_bin_type=True,
    )
    # The index starts 8-byte aligned in the whole message: its arrays are then used in place.
    body_at = len(PREPARED_MAGIC) + _SIG_LEN
    out = index.write_into(body_at + 8 + len(header) + _pad(len(header)), alloc)
    out[body_at : body_at + 8] = len(header).to_bytes(8, "little")
    out[body_at + 8 : body_at + 8 + len(header)] = header
    # The signature covers MAGIC + body. With MAGIC put just before the body (where the signature
    # goes), that is one contiguous slice of the buffer: signed without a copy of the body.
    out[body_at - len(PREPARED_MAGIC) : body_at] = PREPARED_MAGIC
    with memoryview(out) as whole:
        signature = private_key.sign(whole[body_at - len(PREPARED_MAGIC) :])
    out[: len(PREPARED_MAGIC)] = PREPARED_MAGIC
    out[len(PREPARED_MAGIC) : body_at] = signature
    return out


def load_prepared_snapshot(
    data: bytes | bytearray | memoryview | mmap.mmap, public_key: Ed25519PublicKey
) -> PreparedSnapshot:
    """Verify the signature, then map the index. Raises ``SnapshotSignatureError`` (keep running on
    the current list) or ``SnapshotError`` (fetch it again). A writable buffer (``bytearray``, a
    copy-on-write memory map) is verified in place; read-only bytes are copied once to verify."""
    head = len(PREPARED_MAGIC)
    if len(data) < head + _SIG_LEN + 8 or data[:head] != PREPARED_MAGIC:
        raise SnapshotError("not a prepared watch-list snapshot (bad magic or truncated); fetch it again")
    view = memoryview(data).cast("B")
    signature = bytes(view[head : head + _SIG_LEN])
    body = view[head + _SIG_LEN :]
    try:
        if view.readonly:
            public_key.verify(signature, PREPARED_MAGIC + body)  # a copy of the whole body
        else:
            # MAGIC + body is made contiguous in place (MAGIC over the signature's last bytes, put
            # back after): no second copy of hundreds of MiB on a small gate.
            at = head + _SIG_LEN - len(PREPARED_MAGIC)
            view[at : head + _SIG_LEN] = PREPARED_MAGIC
            try:
                public_key.verify(signature, view[at:])
            finally:
                view[at : head + _SIG_LEN] = signature[-len(PREPARED_MAGIC) :]
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


def load_prepared_file(path: str | Path, public_key: Ed25519PublicKey) -> PreparedSnapshot:
    """``load_prepared_snapshot`` of a file, memory-mapped: the index's arrays are the file's pages
    (read when used, dropped and re-read by the kernel under memory pressure), not a copy in the
    process. Copy-on-write, so the in-place check of the signature never writes the file. The file
    must not be changed in place while in use: replace it (write a new one, rename over)."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            raise SnapshotError(f"{path} is empty; fetch the prepared snapshot again")
        mapped = mmap.mmap(fh.fileno(), size, access=mmap.ACCESS_COPY)
    return load_prepared_snapshot(mapped, public_key)


def write_prepared_index(
    path: str | Path,
    index: WatchlistIndex,
    version: int,
    created_at: datetime,
    content_hash: bytes,
    private_key: Ed25519PrivateKey,
) -> tuple[str, int]:
    """``sign_prepared_index`` straight into the file ``path`` (written beside it, then renamed over):
    the saved index is built in a memory map of the file, so central never holds a second copy of
    it in memory. Returns the file's SHA-256 (hex) and size."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "w+b") as fh:

        def alloc(size: int) -> mmap.mmap:
            fh.truncate(size)
            return mmap.mmap(fh.fileno(), size)

        mapped = _sign_into(index, version, created_at, content_hash, private_key, alloc)
        try:
            digest = hashlib.sha256(mapped).hexdigest()
            size = len(mapped)
            mapped.flush()
        finally:
            mapped.close()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return digest, size
