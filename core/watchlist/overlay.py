"""A large list version used in place plus the small change since: a prepared base and an overlay.

A gate loads a signed prepared snapshot of a million entries in seconds (``core.watchlist.prepared``),
but applying a delta the plain way (``apply_delta``) decodes every entry and rebuilding the index takes
about a minute and more memory than a small gate board has. ``OverlayIndex`` keeps the base index as
loaded and holds, beside it, a small ``WatchlistIndex`` of the entries added or changed since the base
version, plus the entries of the base that were removed or changed (hidden). It answers exactly as one
index built from the whole current version would (SOP-003-A08 step 3, same hits and verdicts):

* a hidden base entry is never a candidate, never found by its document number, and does not count
  towards a query token's rarity (the rare-token rule of candidate generation counts the names of
  the base that are still listed plus the overlay's);
* base and overlay hits are scored by the same configuration (the base's) and merged best first.

``content_hash(version)`` is the ``Snapshot.content_hash`` of the current version, computed from the
base's packed rows and the overlay's entries in id order without decoding the base entries, so a
delta's ``base_hash`` and ``result_hash`` are checked as strictly as ``apply_delta`` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date

import msgpack
import numpy as np
import numpy.typing as npt

from core.watchlist.errors import VersionChainError
from core.watchlist.index import Hidden, WatchlistIndex, _PackedStrings, _vocab_from_blob
from core.watchlist.model import Hit, Query, Verdict, WatchlistEntry
from core.watchlist.normalise import name_tokens
from core.watchlist.snapshot import Delta, content_hash_rows, pack_entry


class OverlayIndex:
    """``base`` (a loaded prepared index) with ``changed`` entries on top and ``removed`` ids taken out.

    ``changed`` holds the current form of every entry added or changed since the base version (by id);
    ``removed`` the ids removed since then. Immutable: ``apply`` gives the next one."""

    def __init__(
        self,
        base: WatchlistIndex,
        changed: Mapping[str, WatchlistEntry] | None = None,
        removed: Iterable[str] = (),
        *,
        _order: _IdOrder | None = None,
    ) -> None:
        self.base = base
        self.changed: dict[str, WatchlistEntry] = dict(sorted((changed or {}).items()))
        self.removed: frozenset[str] = frozenset(removed) - set(self.changed)
        self._order = _order if _order is not None and _order.base is base else _IdOrder(base)
        mask = np.zeros(len(base), bool)
        for entry_id in (*self.changed, *self.removed):
            at = self._order.position(entry_id)
            if at is not None:
                mask[at] = True
        first = base._entry_first_name
        hidden_at = np.flatnonzero(mask)
        names = int((first[hidden_at + 1] - first[hidden_at]).sum()) if len(hidden_at) else 0
        self._hidden_count = len(hidden_at)
        self._hidden = Hidden(mask, names) if len(hidden_at) else None
        self.overlay = WatchlistIndex.build(self.changed.values(), base.config) if self.changed else None

    def __len__(self) -> int:
        return len(self.base) - self._hidden_count + len(self.changed)

    def apply(self, upserts: Iterable[WatchlistEntry], removals: Iterable[str]) -> OverlayIndex:
        """The overlay after one more change (a delta's upserts and removals); the base is shared."""
        changed = dict(self.changed)
        removed = set(self.removed)
        for entry_id in removals:
            changed.pop(entry_id, None)
            removed.add(entry_id)
        for entry in upserts:
            changed[entry.entry_id] = entry
            removed.discard(entry.entry_id)
        return OverlayIndex(self.base, changed, removed, _order=self._order)

    def apply_delta(self, delta: Delta, version: int, content_hash: bytes) -> OverlayIndex:
        """``apply_delta`` for the version ``version`` with ``content_hash`` this overlay holds: the
        same checks (base version, base hash, the result's hash), the same ``VersionChainError``."""
        if delta.base_version != version:
            raise VersionChainError(
                f"delta {delta.base_version}->{delta.version} does not apply to version {version}; "
                "fetch the missing deltas or a full snapshot"
            )
        if delta.base_hash != content_hash:
            raise VersionChainError(
                f"delta base hash does not match local version {version}; the local list differs "
                "from central's, fetch a full snapshot"
            )
        result = self.apply(delta.upserts, delta.removals)
        if result.content_hash(delta.version) != delta.result_hash:
            raise VersionChainError(
                f"applying delta to version {delta.version} gave a different list; fetch a snapshot"
            )
        return result

    # -- answers ---------------------------------------------------------------------------------

    def match(self, query: Query, *, today: date, lists: Iterable[str] | None = None) -> list[Hit]:
        """Hits for ``query``, best first: those of an index built from the current version."""
        base, overlay, hidden = self.base, self.overlay, self._hidden
        if overlay is None and hidden is None:
            return base.match(query, today=today, lists=lists)
        wanted = None if lists is None else tuple(lists)
        qtokens = name_tokens(query.full_name)
        year = query.birth_date.year if query.birth_date else 0
        votes = base._candidate_votes(qtokens, year, hidden)
        if overlay is None:
            return base._score(query, qtokens, base._with_rare(votes, votes.per_token), today, wanted, hidden)
        extra = overlay._candidate_votes(qtokens, year)
        per_token = votes.per_token + extra.per_token  # rarity over the whole current version
        hits = base._score(query, qtokens, base._with_rare(votes, per_token), today, wanted, hidden)
        hits += overlay._score(query, qtokens, overlay._with_rare(extra, per_token), today, wanted)
        hits.sort(key=lambda h: (h.verdict is not Verdict.IDENTIK, -h.score, h.entry_id))
        return hits

    # -- the version's content hash --------------------------------------------------------------

    def entry_rows(self) -> Iterator[bytes]:
        """Every current entry's msgpack row in entry-id order (what ``content_hash_rows`` takes):
        the base's packed rows as stored, the overlay's entries packed, merged by id."""
        packer = msgpack.Packer(use_bin_type=True)
        order = self._order
        hidden = order.ranks(np.flatnonzero(self._hidden.entries)) if self._hidden is not None else set()
        inserts = [
            (order.insertion_point(eid), packer.pack(pack_entry(e))) for eid, e in self.changed.items()
        ]
        k = 0
        for rank, row in enumerate(order.rows()):
            while k < len(inserts) and inserts[k][0] <= rank:
                yield inserts[k][1]
                k += 1
            if rank not in hidden:
                yield row
        for _, row in inserts[k:]:
            yield row

    def content_hash(self, version: int) -> bytes:
        return content_hash_rows(version, len(self), self.entry_rows())


class _IdOrder:
    """The base's entries in id order: where an id is, and the packed rows in that order.

    Made on first use (a base without changes needs none of it) from one fixed-width bytes array of
    the ids: numpy sorts and searches it (UTF-8 bytes order is the code-point order of ``sorted``),
    a few tens of MiB and well under a second for a million ids, no Python string per id."""

    def __init__(self, base: WatchlistIndex) -> None:
        self.base = base
        self._keys: npt.NDArray[np.bytes_] | None = None  # ids in id order
        self._perm: npt.NDArray[np.int64] | None = None  # rank -> entry number, None when in order

    def _sorted_keys(self) -> npt.NDArray[np.bytes_]:
        if self._keys is None:
            ids = self.base._entry_ids
            if isinstance(ids, _PackedStrings):
                blob = np.frombuffer(ids._blob, np.uint8)
                keys = _vocab_from_blob(blob, ids._offsets)
            else:
                keys = np.array([i.encode() for i in ids], dtype="S") if len(ids) else np.zeros(0, "S1")
            in_order = bool((keys[1:] > keys[:-1]).all()) if len(keys) > 1 else True
            self.base.__dict__["_ids_sorted"] = in_order  # entry_rows(by_id=True) need not check again
            if not in_order:
                self._perm = np.argsort(keys, kind="stable").astype(np.int64)
                keys = keys[self._perm]
            self._keys = keys
        return self._keys

    def entry_at(self, rank: int) -> int:
        self._sorted_keys()
        return rank if self._perm is None else int(self._perm[rank])

    def ranks(self, entries: npt.NDArray[np.int64]) -> set[int]:
        """The ranks (places in id order) of the given entry numbers."""
        self._sorted_keys()
        if self._perm is None:
            return set(entries.tolist())
        rank_of = np.empty(len(self._perm), np.int64)
        rank_of[self._perm] = np.arange(len(self._perm))
        return set(rank_of[entries].tolist())

    def insertion_point(self, entry_id: str) -> int:
        """The rank of the first base entry whose id is not less than ``entry_id``."""
        return int(np.searchsorted(self._sorted_keys(), entry_id.encode()))

    def position(self, entry_id: str) -> int | None:
        """The base's entry number of ``entry_id``, or None when the base does not hold it."""
        keys = self._sorted_keys()
        rank = self.insertion_point(entry_id)
        if rank < len(keys) and keys[rank] == entry_id.encode():
            return self.entry_at(rank)
        return None

    def rows(self) -> Iterator[bytes]:
        self._sorted_keys()
        return self.base.entry_rows(by_id=True)
