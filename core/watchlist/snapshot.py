"""Signed list versions for distribution: a full snapshot, and deltas that chain version to version.

Wire format (both kinds): ``MAGIC (4 bytes) + signature (64 bytes, Ed25519) + body``, where ``body``
is zlib-compressed msgpack and the signature covers ``MAGIC + body``. The body holds:

* snapshot: ``{"version", "created_at", "entries": [...]}``;
* delta: ``{"version", "base_version", "base_hash", "result_hash", "created_at", "upserts": [...],
  "removals": [entry_id, ...]}``.

``content_hash`` of a list version is SHA-256 over the msgpack of ``[version, entries sorted by id]``
(independent of compression), so a delta names exactly the version it applies to (``base_hash``) and
the version it must produce (``result_hash``). A gate that misses a delta, or receives one for another
base, gets ``VersionChainError`` and fetches a full snapshot instead. Keys are parameters: no key
files live in the repository.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import msgpack
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.watchlist.errors import SnapshotError, SnapshotSignatureError, VersionChainError
from core.watchlist.model import PartialDate, WatchlistEntry

SNAPSHOT_MAGIC = b"WLS1"
DELTA_MAGIC = b"WLD1"
_SIG_LEN = 64


def _d(value: date | None) -> int | None:
    return value.toordinal() if value else None


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def pack_entry(e: WatchlistEntry) -> list[Any]:
    """The msgpack-ready, positional form of an entry (dates as ordinals: fast to read back)."""
    bd = e.birth_date
    return [
        e.entry_id,
        e.list,
        e.full_name,
        list(e.aliases),
        [bd.year, bd.month or 0, bd.day or 0] if bd else None,
        e.nationality,
        e.sex,
        list(e.document_numbers),
        _d(e.valid_from),
        _d(e.valid_until),
        e.agency,
        e.reason,
        e.instructions,
        e.created_by,
        _dt(e.created_at),
        e.changed_by,
        _dt(e.changed_at),
    ]


def unpack_entry(row: Sequence[Any]) -> WatchlistEntry:
    (eid, lst, name, aliases, bd, nat, sex, docs, vf, vu, agency, reason, instr, cby, cat, chby, chat) = row
    return WatchlistEntry(
        entry_id=eid,
        list=lst,
        full_name=name,
        aliases=tuple(aliases),
        birth_date=PartialDate(bd[0], bd[1] or None, bd[2] or None) if bd else None,
        nationality=nat,
        sex=sex,
        document_numbers=tuple(docs),
        valid_from=date.fromordinal(vf) if vf else None,
        valid_until=date.fromordinal(vu) if vu else None,
        agency=agency,
        reason=reason,
        instructions=instr,
        created_by=cby,
        created_at=datetime.fromisoformat(cat) if cat else None,
        changed_by=chby,
        changed_at=datetime.fromisoformat(chat) if chat else None,
    )


def content_hash(version: int, entries: Iterable[WatchlistEntry]) -> bytes:
    """SHA-256 naming one list version: its number and its entries in id order.

    The hash of ``msgpack([version, [row, ...]])``, fed entry by entry: no list of rows and no
    message of the whole list is held (a million entries would be several hundred MiB of both)."""
    ordered = sorted(entries, key=lambda e: e.entry_id)
    return _hash_rows(version, len(ordered), (pack_entry(e) for e in ordered))


def _hash_rows(version: int, count: int, rows: Iterable[Any], *, packed: bool = False) -> bytes:
    packer = msgpack.Packer(use_bin_type=True)
    digest = hashlib.sha256(packer.pack_array_header(2))
    digest.update(packer.pack(version))
    digest.update(packer.pack_array_header(count))
    written = 0
    for row in rows:
        digest.update(row if packed else packer.pack(row))
        written += 1
    if written != count:
        raise SnapshotError(f"the content hash announced {count} entries but {written} were given")
    return digest.digest()


class SnapshotWriter:
    """A signed snapshot written entry by entry, with its content hash made on the way.

    ``sign_snapshot`` in a stream: the same bytes, without holding every entry's row and the
    whole uncompressed message at once. Entries must come in id order (``content_hash`` order) and
    be ``count`` in number; ``finish`` checks both."""

    def __init__(self, version: int, created_at: datetime, count: int) -> None:
        self.version = version
        self.count = count
        self._done = 0
        self._last_id: str | None = None
        self._packer = msgpack.Packer(use_bin_type=True)
        self._zip = zlib.compressobj(6)
        self._parts: list[bytes] = []
        self._digest = hashlib.sha256()
        p = self._packer
        # The body map as _seal packs it: {"version", "created_at", "entries": [...]}.
        self._write(p.pack_map_header(3) + p.pack("version") + p.pack(version))
        self._write(p.pack("created_at") + p.pack(created_at.isoformat()))
        self._write(p.pack("entries") + p.pack_array_header(count))
        for head in (p.pack_array_header(2), p.pack(version), p.pack_array_header(count)):
            self._digest.update(head)

    def _write(self, raw: bytes) -> None:
        out = self._zip.compress(raw)
        if out:
            self._parts.append(out)

    def add(self, entry: WatchlistEntry) -> None:
        if self._last_id is not None and entry.entry_id <= self._last_id:
            raise SnapshotError(
                f"entry {entry.entry_id!r} comes after {self._last_id!r}; "
                "write entries in id order, once each"
            )
        self._last_id = entry.entry_id
        row = self._packer.pack(pack_entry(entry))
        self._digest.update(row)
        self._write(row)
        self._done += 1

    def finish(self, private_key: Ed25519PrivateKey) -> tuple[bytes, bytes]:
        """The signed snapshot and the list version's content hash."""
        if self._done != self.count:
            raise SnapshotError(f"the snapshot announced {self.count} entries but {self._done} were written")
        self._parts.append(self._zip.flush())
        compressed = b"".join(self._parts)
        self._parts = []
        return SNAPSHOT_MAGIC + private_key.sign(
            SNAPSHOT_MAGIC + compressed
        ) + compressed, self._digest.digest()


@dataclass(frozen=True)
class Snapshot:
    """One complete list version."""

    version: int
    entries: tuple[WatchlistEntry, ...]
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def content_hash(self) -> bytes:
        return content_hash(self.version, self.entries)


@dataclass(frozen=True)
class Delta:
    """The change from ``base_version`` to ``version``: entries added or changed, and ids removed."""

    version: int
    base_version: int
    base_hash: bytes
    result_hash: bytes
    upserts: tuple[WatchlistEntry, ...]
    removals: tuple[str, ...]
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def between(cls, old: Snapshot, new: Snapshot) -> Delta:
        """The delta that turns ``old`` into ``new`` (versions must increase)."""
        if new.version <= old.version:
            raise VersionChainError(
                f"version {new.version} does not follow {old.version}; versions only grow"
            )
        before = {e.entry_id: e for e in old.entries}
        after = {e.entry_id: e for e in new.entries}
        upserts = tuple(e for eid, e in sorted(after.items()) if before.get(eid) != e)
        removals = tuple(sorted(set(before) - set(after)))
        return cls(new.version, old.version, old.content_hash(), new.content_hash(), upserts, removals)


def _seal(magic: bytes, body: dict[str, Any], private_key: Ed25519PrivateKey) -> bytes:
    compressed = zlib.compress(msgpack.packb(body, use_bin_type=True), 6)
    return magic + private_key.sign(magic + compressed) + compressed


def _open(data: bytes, magic: bytes, public_key: Ed25519PublicKey, what: str) -> dict[str, Any]:
    if len(data) < len(magic) + _SIG_LEN or data[: len(magic)] != magic:
        raise SnapshotError(f"not a watch-list {what} (bad magic or truncated); fetch it again")
    signature = data[len(magic) : len(magic) + _SIG_LEN]
    compressed = data[len(magic) + _SIG_LEN :]
    try:
        public_key.verify(signature, magic + compressed)
    except InvalidSignature as exc:
        raise SnapshotSignatureError(
            f"the {what} signature does not verify with the configured public key; discard it and "
            "keep the current list"
        ) from exc
    try:
        body = msgpack.unpackb(zlib.decompress(compressed), raw=False, strict_map_key=False)
    except (zlib.error, ValueError, msgpack.UnpackException) as exc:
        raise SnapshotError(f"the {what} body cannot be decoded ({exc}); fetch it again") from exc
    if not isinstance(body, dict):
        raise SnapshotError(f"the {what} body is not a map; fetch it again")
    return body


def sign_snapshot(snapshot: Snapshot, private_key: Ed25519PrivateKey) -> bytes:
    """``MAGIC + signature + zlib(msgpack({"version", "created_at", "entries"}))``, written entry by
    entry (the same bytes as packing the whole body at once, a fraction of the memory)."""
    packer = msgpack.Packer(use_bin_type=True)
    return sign_snapshot_rows(
        snapshot.version,
        snapshot.created_at,
        len(snapshot.entries),
        (packer.pack(pack_entry(e)) for e in snapshot.entries),
        private_key,
    )


def sign_snapshot_rows(
    version: int, created_at: datetime, count: int, rows: Iterable[bytes], private_key: Ed25519PrivateKey
) -> bytes:
    """``sign_snapshot`` from the entries' msgpack rows (``msgpack(pack_entry(e))``, ``count`` of
    them, in snapshot order), e.g. ``WatchlistIndex.entry_rows()``: no entry object is needed."""
    packer = msgpack.Packer(use_bin_type=True)
    squeeze = zlib.compressobj(6)
    parts = [
        squeeze.compress(
            packer.pack_map_header(3)
            + packer.pack("version")
            + packer.pack(version)
            + packer.pack("created_at")
            + packer.pack(created_at.isoformat())
            + packer.pack("entries")
            + packer.pack_array_header(count)
        )
    ]
    written = 0
    for row in rows:
        out = squeeze.compress(row)
        written += 1
        if out:
            parts.append(out)
    if written != count:
        raise SnapshotError(f"the snapshot announced {count} entries but {written} were given")
    parts.append(squeeze.flush())
    compressed = b"".join(parts)
    return SNAPSHOT_MAGIC + private_key.sign(SNAPSHOT_MAGIC + compressed) + compressed


def content_hash_rows(version: int, count: int, rows_by_id: Iterable[bytes]) -> bytes:
    """``content_hash`` from the entries' msgpack rows, given in entry-id order."""
    return _hash_rows(version, count, rows_by_id, packed=True)


def verify_snapshot(data: bytes, public_key: Ed25519PublicKey) -> Snapshot:
    """Check the signature, then decode. Raises ``SnapshotSignatureError`` or ``SnapshotError``."""
    body = _open(data, SNAPSHOT_MAGIC, public_key, "snapshot")
    try:
        return Snapshot(
            int(body["version"]),
            tuple(unpack_entry(r) for r in body["entries"]),
            datetime.fromisoformat(body["created_at"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SnapshotError(f"the snapshot body is malformed ({exc}); fetch it again") from exc


def sign_delta(delta: Delta, private_key: Ed25519PrivateKey) -> bytes:
    body = {
        "version": delta.version,
        "base_version": delta.base_version,
        "base_hash": delta.base_hash,
        "result_hash": delta.result_hash,
        "created_at": delta.created_at.isoformat(),
        "upserts": [pack_entry(e) for e in delta.upserts],
        "removals": list(delta.removals),
    }
    return _seal(DELTA_MAGIC, body, private_key)


def verify_delta(data: bytes, public_key: Ed25519PublicKey) -> Delta:
    body = _open(data, DELTA_MAGIC, public_key, "delta")
    try:
        return Delta(
            int(body["version"]),
            int(body["base_version"]),
            bytes(body["base_hash"]),
            bytes(body["result_hash"]),
            tuple(unpack_entry(r) for r in body["upserts"]),
            tuple(str(r) for r in body["removals"]),
            datetime.fromisoformat(body["created_at"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SnapshotError(f"the delta body is malformed ({exc}); fetch it again") from exc


def apply_delta(snapshot: Snapshot, delta: Delta) -> Snapshot:
    """The next version, in memory. Raises ``VersionChainError`` unless ``delta`` follows ``snapshot``
    exactly and produces the version it announces."""
    if delta.base_version != snapshot.version:
        raise VersionChainError(
            f"delta {delta.base_version}->{delta.version} does not apply to version {snapshot.version}; "
            "fetch the missing deltas or a full snapshot"
        )
    if delta.base_hash != snapshot.content_hash():
        raise VersionChainError(
            f"delta base hash does not match local version {snapshot.version}; the local list differs "
            "from central's, fetch a full snapshot"
        )
    entries = {e.entry_id: e for e in snapshot.entries}
    for eid in delta.removals:
        entries.pop(eid, None)
    for e in delta.upserts:
        entries[e.entry_id] = e
    result = Snapshot(delta.version, tuple(entries[k] for k in sorted(entries)), delta.created_at)
    if result.content_hash() != delta.result_hash:
        raise VersionChainError(
            f"applying delta to version {delta.version} gave a different list; fetch a snapshot"
        )
    return result
