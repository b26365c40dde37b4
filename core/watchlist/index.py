"""The matching index: candidate generation by blocking keys, then explained scoring of the few candidates.

Candidate generation (why a scan is not needed):

* every canonical name token is indexed once in a vocabulary; a symmetric-deletion neighbourhood of the
  vocabulary (up to ``max_edits`` deletions, stored as sorted CRC-32 hashes behind a bucket table)
  finds every listed token within two typing/OCR errors of a query token by plain array indexing;
* postings (token -> names) are one CSR array sorted by (token, birth year) and cut into runs of one
  (token, year slot), so a query with a birth year reads only that year's run plus the listed names
  whose birth date is unknown; the year survives every date variant the issue names (day/month
  swapped, year only);
* a name is a candidate when it shares at least ``min(2, query tokens, its own tokens)`` tokens with
  the query (fuzzy), so one common token ("MUHAMMAD") alone does not flood the scorer; a very common
  query token is checked in a forward index instead of being read (same candidates);
* document numbers are a separate exact key (folded for OCR confusions), always scored.

Scoring is vectorised: date, nationality, sex and validity as one small code per candidate read from
per-code tables (an upper bound prunes most candidates before any name comparison), then the greedy
name alignment over a padded array of all survivors. A hit carries its entry id, score and verdict;
its explanation (``why``) and entry are built when first read (a gate acts on one hit of hundreds).

Hashes are stable across processes, so the built index can be saved (``to_bytes``) and loaded
without rebuilding (``from_bytes``; signed form in ``core.watchlist.prepared``).
"""

from __future__ import annotations

import contextlib
import copy
import sys
import threading
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, TypeVar, overload

import msgpack
import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import OSA

from core.watchlist.config import MatchConfig
from core.watchlist.errors import WatchlistError
from core.watchlist.model import Hit, PartialDate, Query, Verdict, WatchlistEntry
from core.watchlist.normalise import document_key, name_tokens
from core.watchlist.snapshot import pack_entry, unpack_entry

_NO_END = np.iinfo(np.int32).max
_DATE_KINDS = ("exact", "swapped", "partial", "unknown", "differs")
_FEATURE_KINDS = ("agree", "unknown", "differs")
IntArray = npt.NDArray[np.int64]
_Buf = TypeVar("_Buf")
_SKIP_POSTINGS = 2048  # a query token with more postings than this is not read, only checked (see below)
_SIMILAR_CACHE = 16384  # query tokens whose expansion is kept (a few MiB at most)
_YEAR_SLOTS = 512  # slot 0: birth date unknown; slot y-1799 for years 1800..2200
# A candidate's date, nationality and sex kinds as one code, date * 9 + nationality * 3 + sex (0..44),
# and what each code means for the verdicts.
_CODE_DATE, _CODE_NAT, _CODE_SEX = (np.arange(45) // 9, np.arange(45) // 3 % 3, np.arange(45) % 3)
_CODE_FULL_AGREEMENT = (_CODE_DATE == 0) & (_CODE_NAT == 0) & (_CODE_SEX != 2)  # identik by name + date
_CODE_NAT_NOT_DIFFERENT = _CODE_NAT != 2  # identik by document number


def stable_hash(text: str) -> int:
    """A hash that is the same in every process (unlike ``hash()``), so a built index can be saved
    and shipped: CRC-32 of the UTF-8 text in the low 32 bits, its length above. A collision only adds
    a candidate that the exact check (OSA distance, document key) then drops."""
    data = text.encode()
    return (len(data) << 32) | zlib.crc32(data)


def _year_slot(years: npt.NDArray[Any]) -> IntArray:
    y = years.astype(np.int64)
    out: IntArray = np.where(y > 0, y - 1799, 0)
    return out


def _ranges(lo: npt.NDArray[Any], hi: npt.NDArray[Any]) -> IntArray:
    """The concatenation of ``arange(lo[i], hi[i])`` for all i, without a Python loop."""
    lengths = (hi - lo).astype(np.int64)
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    if total == 0:
        return np.zeros(0, np.int64)
    out: IntArray = np.repeat(lo - (ends - lengths), lengths) + np.arange(total, dtype=np.int64)
    return out


def _unique(values: npt.NDArray[Any]) -> IntArray:
    """``np.unique(values)`` as int64, by one sort (several times faster than numpy's hash-based
    unique on the few hundred to few thousand ids of a query)."""
    x = np.sort(values).astype(np.int64, copy=False)
    if len(x) > 1:
        keep = np.empty(len(x), bool)
        keep[0] = True
        np.not_equal(x[1:], x[:-1], out=keep[1:])
        x = x[keep]
    return x


def _unique_inverse(values: npt.NDArray[Any]) -> tuple[IntArray, IntArray]:
    """``np.unique(values, return_inverse=True)``, by one argsort."""
    order = np.argsort(values)
    x = values[order].astype(np.int64, copy=False)
    first = np.empty(len(x), bool)
    if len(x):
        first[0] = True
        np.not_equal(x[1:], x[:-1], out=first[1:])
    inv = np.empty(len(x), np.int64)
    inv[order] = np.cumsum(first) - 1
    return x[first], inv


def _union(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> IntArray:
    """``np.union1d(a, b)`` as int64."""
    return _unique(np.concatenate((a, b)))


def _vocab_array(tokens: list[str]) -> npt.NDArray[np.bytes_]:
    """Canonical tokens as one fixed-width bytes array. ``name_tokens`` keeps only [A-Z0-9], so the
    ASCII encoding cannot fail, and bytes compare in rapidfuzz exactly as the str forms do."""
    if not tokens:
        return np.zeros(0, "S1")
    return np.array([t.encode("ascii") for t in tokens], dtype="S")


def _vocab_from_blob(blob: npt.NDArray[np.uint8], offsets: npt.NDArray[np.int64]) -> npt.NDArray[np.bytes_]:
    """The fixed-width array of ``_vocab_array`` from packed bytes + offsets (a saved index)."""
    n = len(offsets) - 1
    if n <= 0:
        return np.zeros(0, "S1")
    lengths = np.diff(offsets)
    width = max(int(lengths.max()), 1)
    grid = np.zeros((n, width), np.uint8)
    pos = _ranges(offsets[:-1], offsets[1:])
    grid[np.repeat(np.arange(n), lengths), pos - np.repeat(offsets[:-1], lengths)] = blob[pos]
    return grid.view(f"S{width}").reshape(n)


def deletions(token: str, depth: int) -> set[str]:
    """``token`` and every string made by deleting up to ``depth`` of its characters."""
    out = {token}
    frontier = {token}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


class _Votes(NamedTuple):
    """What candidate generation found in one index (see ``WatchlistIndex._candidate_votes``)."""

    voted: IntArray  # names with enough votes (and single-token names of a skipped common token)
    names: IntArray  # every (name, query token) vote: the name ...
    owners: IntArray  # ... and the query token
    per_token: IntArray  # by query token: how many names it matched (its rarity)


@dataclass(frozen=True)
class Hidden:
    """Entries of an index to leave out of every answer (by entry number), and how many names they
    hold (``core.watchlist.overlay``)."""

    entries: npt.NDArray[np.bool_]
    names: int


_INDEX_MAGIC = b"WLX1"
# Every array of the index, saved as raw bytes in this order (see WatchlistIndex.to_bytes).
_ARRAYS = (
    "_name_entry",
    "_name_ntok",
    "_entry_first_name",
    "_year",
    "_month",
    "_day",
    "_nat",
    "_sex",
    "_vfrom",
    "_vuntil",
    "_list",
    "_post_name",
    "_ps_slot",
    "_ps_start",
    "_tok_ps",
    "_name_tok_start",
    "_name_toks",
    "_single_start",
    "_single_names",
    "_vocab_len",
    "_del_hash",
    "_del_tok",
    "_del_table",
    "_doc_hash",
    "_doc_entry",
)


def _pack_strings(items: Iterable[bytes]) -> tuple[bytes, npt.NDArray[np.int64]]:
    parts = list(items)
    offsets = np.zeros(len(parts) + 1, np.int64)
    np.cumsum(np.fromiter((len(p) for p in parts), np.int64, count=len(parts)), out=offsets[1:])
    return b"".join(parts), offsets


def _raw_bytes(part: npt.NDArray[Any] | bytes | bytearray | memoryview) -> memoryview:
    """The bytes of an array or a byte string, as a flat unsigned-byte view (no copy)."""
    if isinstance(part, np.ndarray):
        flat: Any = np.ascontiguousarray(part).reshape(-1).view(np.uint8)
        return memoryview(flat)
    return memoryview(part).cast("B")


class _Packed(Sequence[Any]):
    """Items kept as one byte blob plus offsets and decoded only when read: a loaded index is ready at
    once, because a query decodes only what it reads."""

    def __init__(self, blob: memoryview | bytes, offsets: npt.NDArray[np.int64]) -> None:
        self._blob = blob
        # A numpy array, not a list of Python ints: a query reads only a few items (its hits), and a
        # list of a million ints costs ~36 MiB and a pause at every full garbage collection.
        self._offsets = np.ascontiguousarray(offsets, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def _decode(self, raw: bytes | memoryview) -> Any:
        raise NotImplementedError

    @overload
    def __getitem__(self, i: int) -> Any: ...
    @overload
    def __getitem__(self, i: slice) -> list[Any]: ...
    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"index {i} out of range 0..{len(self) - 1}")
        return self._decode(self._blob[int(self._offsets[i]) : int(self._offsets[i + 1])])


class _PackedStrings(_Packed):
    def _decode(self, raw: bytes | memoryview) -> str:
        return bytes(raw).decode() if isinstance(raw, memoryview) else raw.decode()


# Entries per compressed chunk: about 3 kB to inflate for one hit, ~2.7x smaller than raw msgpack
# (128 a chunk compresses 4.5x but costs a hit ~10x more to read).
_ENTRY_CHUNK = 16


class _ChunkedEntries(Sequence[WatchlistEntry]):
    """Entries as zlib-compressed msgpack chunks, inflated only when a hit (or a document-number
    check) reads one: agency, reason and instructions text dominates a list's size."""

    def __init__(self, blob: memoryview | bytes, offsets: npt.NDArray[np.int64], count: int) -> None:
        self._blob = blob
        self._offsets = offsets.tolist()
        self._count = count
        self._recent: dict[int, list[bytes]] = {}
        self._lock = threading.Lock()  # queries may run on several threads

    def __len__(self) -> int:
        return self._count

    def _rows(self, chunk: int) -> list[bytes]:
        with self._lock:
            rows = self._recent.get(chunk)
        if rows is None:
            raw = zlib.decompress(self._blob[self._offsets[chunk] : self._offsets[chunk + 1]])
            rows = msgpack.unpackb(raw, raw=False)
            with self._lock:
                if len(self._recent) >= 16:
                    self._recent.pop(next(iter(self._recent)))
                self._recent[chunk] = rows
        return rows

    @overload
    def __getitem__(self, i: int) -> WatchlistEntry: ...
    @overload
    def __getitem__(self, i: slice) -> list[WatchlistEntry]: ...
    def __getitem__(self, i: int | slice) -> WatchlistEntry | list[WatchlistEntry]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"index {i} out of range 0..{len(self) - 1}")
        return unpack_entry(msgpack.unpackb(self._rows(i // _ENTRY_CHUNK)[i % _ENTRY_CHUNK], raw=False))

    @staticmethod
    def pack_chunks(entries: Sequence[WatchlistEntry]) -> list[bytes]:
        """The compressed chunks of ``entries`` (blob = their concatenation)."""
        return [
            zlib.compress(
                # Each entry stays its own msgpack bytes inside the chunk: a hit unpacks only its own.
                msgpack.packb(
                    [msgpack.packb(pack_entry(e), use_bin_type=True) for e in entries[a : a + _ENTRY_CHUNK]],
                    use_bin_type=True,
                ),
                6,
            )
            for a in range(0, len(entries), _ENTRY_CHUNK)
        ]

    @staticmethod
    def pack(entries: Sequence[WatchlistEntry]) -> tuple[bytes, npt.NDArray[np.int64]]:
        return _pack_strings(_ChunkedEntries.pack_chunks(entries))


class _IdsOfEntries(Sequence[str]):
    """Entry ids read through the entries themselves (an index saved without its id table)."""

    def __init__(self, entries: Sequence[WatchlistEntry]) -> None:
        self._entries = entries

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [e.entry_id for e in self._entries[i]]
        return self._entries[i].entry_id


@dataclass(frozen=True, slots=True)
class NameMatch:
    """How two names align: the similarity in 0..1 and the token pairs behind it."""

    score: float
    pairs: tuple[tuple[str, str, float], ...]
    unmatched_query: tuple[str, ...]
    unmatched_listed: tuple[str, ...]


def name_similarity(
    query: Sequence[str],
    listed: Sequence[str],
    config: MatchConfig,
    pair_sims: dict[tuple[str, str], float] | None = None,
) -> NameMatch:
    """Align canonical tokens greedily by OSA similarity (order-free) and measure the covered letters.

    The covered share of the shorter name counts most; the longer name's share counts
    ``partial_name_weight``, so a missing or extra name part costs a little but does not hide a hit.
    ``pair_sims`` may hold the token-pair similarities computed in one batch (``score_candidates``).
    """
    if not query or not listed:
        return NameMatch(0.0, (), tuple(query), tuple(listed))
    if pair_sims is None:
        sims = [OSA.normalized_similarity(a, b) for a in query for b in listed]
    else:
        sims = [pair_sims[a, b] for a in query for b in listed]
    n = len(listed)
    scored = sorted(
        ((sims[i * n + j], a, b) for i, a in enumerate(query) for j, b in enumerate(listed)),
        key=lambda x: -x[0],
    )
    used_q: set[str] = set()
    used_l: set[str] = set()
    pairs: list[tuple[str, str, float]] = []
    covered = 0.0
    for sim, a, b in scored:
        if sim < config.token_pair_floor or a in used_q or b in used_l:
            continue
        used_q.add(a)
        used_l.add(b)
        pairs.append((a, b, round(sim, 3)))
        covered += sim * (len(a) + len(b)) / 2
    cover_q = covered / sum(len(t) for t in query)
    cover_l = covered / sum(len(t) for t in listed)
    w = config.partial_name_weight
    score = (1 - w) * max(cover_q, cover_l) + w * min(cover_q, cover_l)
    return NameMatch(
        min(1.0, score),
        tuple(pairs),
        tuple(t for t in query if t not in used_q),
        tuple(t for t in listed if t not in used_l),
    )


class WatchlistIndex:
    """An immutable, in-memory index of one list version. Build once, query from any thread."""

    _names: Sequence[str]
    _vocab: npt.NDArray[np.bytes_]  # fixed-width ASCII tokens by id (canonical tokens are [A-Z0-9])
    _nat_code: dict[str, int]
    _list_code: dict[str, int]
    _sex_code: dict[str, int]
    _name_entry: npt.NDArray[np.int32]
    _name_ntok: npt.NDArray[np.int8]
    _entry_first_name: npt.NDArray[np.int32]
    _year: npt.NDArray[np.int16]
    _month: npt.NDArray[np.int8]
    _day: npt.NDArray[np.int8]
    _nat: npt.NDArray[np.int16]
    _sex: npt.NDArray[np.int8]
    _vfrom: npt.NDArray[np.int32]
    _vuntil: npt.NDArray[np.int32]
    _list: npt.NDArray[np.int8]
    _post_name: npt.NDArray[np.int32]
    _ps_slot: npt.NDArray[np.int16]
    _ps_start: npt.NDArray[np.int64]
    _tok_ps: npt.NDArray[np.int64]
    _name_tok_start: npt.NDArray[np.int64]
    _name_toks: npt.NDArray[np.int32]
    _single_start: npt.NDArray[np.int64]
    _single_names: npt.NDArray[np.int32]
    _vocab_len: npt.NDArray[np.int16]
    _del_hash: npt.NDArray[np.uint32]
    _del_tok: npt.NDArray[np.int32]
    _del_table: npt.NDArray[np.int32]
    _doc_hash: npt.NDArray[np.int64]
    _doc_entry: npt.NDArray[np.int32]

    def __init__(self) -> None:  # use WatchlistIndex.build
        self.config = MatchConfig()
        self._entries: Sequence[WatchlistEntry] = []
        self._entry_ids: Sequence[str] = []  # by entry number: a hit's id without decoding its entry
        # Query token -> the vocabulary ids within its error budget. The index never changes, so the
        # answer for a token never does either; names recur at a gate (MUHAMMAD, SITI, NUR...), and
        # this expansion is the largest fixed cost of a query. Bounded; oldest dropped first.
        self._similar_cache: dict[str, npt.NDArray[np.int64]] = {}
        # Query (month, day) -> date kind by listed (month * 32 + day), for entries of the query's year.
        self._date_luts: dict[tuple[int, int], npt.NDArray[np.int8]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def entries(self) -> Sequence[WatchlistEntry]:
        return self._entries

    @classmethod
    def build(
        cls,
        entries: Iterable[WatchlistEntry],
        config: MatchConfig | None = None,
        *,
        pack_entries: bool = False,
    ) -> WatchlistIndex:
        """The index of ``entries`` (read once, in order).

        ``pack_entries``: keep the entries as compressed chunks made on the way (as a loaded prepared
        snapshot has them) instead of the objects given. With ``entries`` a stream (a generator, rows
        from a database), no list of entry objects then ever exists: central's build of a large list
        stays small, and the snapshots are signed from the index (``entry_rows``)."""
        self = cls()
        self.config = config or MatchConfig()
        ents: list[WatchlistEntry] = []
        chunks: list[bytes] = []
        pending: list[bytes] = []
        count = 0
        ids_sorted = True
        entry_ids: list[str] = []
        vocab: dict[str, int] = {}
        names: list[str] = []
        name_entry = array("i")
        name_ntok = array("b")
        entry_first_name = array("i")
        post_tok = array("i")
        post_name = array("i")
        years, months, days = array("h"), array("b"), array("b")
        nat_codes = array("h")
        sexes = array("b")
        vfrom, vuntil = array("i"), array("i")
        list_codes = array("b")
        doc_hash = array("q")
        doc_entry = array("i")
        self._nat_code = {"": 0}
        self._list_code = {}
        sex_code = {"": 0, "M": 1, "F": 2, "X": 3}
        for eid, e in enumerate(entries):
            if pack_entries:
                # The chunks of _ChunkedEntries.pack_chunks, made as the entries stream past.
                pending.append(msgpack.packb(pack_entry(e), use_bin_type=True))
                if len(pending) == _ENTRY_CHUNK:
                    chunks.append(zlib.compress(msgpack.packb(pending, use_bin_type=True), 6))
                    pending = []
            else:
                ents.append(e)
            if entry_ids and e.entry_id <= entry_ids[-1]:
                ids_sorted = False
            entry_ids.append(e.entry_id)
            count += 1
            bd = e.birth_date
            years.append(bd.year if bd else 0)
            months.append(bd.month or 0 if bd else 0)
            days.append(bd.day or 0 if bd else 0)
            nat_codes.append(self._nat_code.setdefault(e.nationality, len(self._nat_code)))
            sexes.append(sex_code.get(e.sex, 0))
            vfrom.append(e.valid_from.toordinal() if e.valid_from else 0)
            vuntil.append(e.valid_until.toordinal() if e.valid_until else _NO_END)
            list_codes.append(self._list_code.setdefault(e.list, len(self._list_code)))
            entry_first_name.append(len(names))
            for name in e.names:
                toks = name_tokens(name)
                if not toks:
                    continue
                nid = len(names)
                names.append(" ".join(toks))
                name_entry.append(eid)
                name_ntok.append(min(len(toks), 127))
                for t in toks:
                    tid = vocab.setdefault(t, len(vocab))
                    post_tok.append(tid)
                    post_name.append(nid)
            for d in e.document_numbers:
                key = document_key(d)
                if key:
                    doc_hash.append(stable_hash(key))
                    doc_entry.append(eid)
        entry_first_name.append(len(names))
        tokens = list(vocab)
        del vocab  # (each step below drops what it no longer needs: the build's peak memory counts)
        if pack_entries:
            if pending:
                chunks.append(zlib.compress(msgpack.packb(pending, use_bin_type=True), 6))
            chunk_off = np.zeros(len(chunks) + 1, np.int64)
            np.cumsum(np.fromiter(map(len, chunks), np.int64, count=len(chunks)), out=chunk_off[1:])
            self._entries = _ChunkedEntries(b"".join(chunks), chunk_off, count)
            del chunks
            self._entry_ids = _PackedStrings(*_pack_strings(i.encode() for i in entry_ids))
            del entry_ids
        else:
            self._entries = ents
            self._entry_ids = entry_ids
        self.__dict__["_ids_sorted"] = ids_sorted
        # Canonical names are [A-Z0-9 ] only: one ASCII blob + offsets, not a million str objects.
        name_off = np.zeros(len(names) + 1, np.int64)
        np.cumsum(np.fromiter(map(len, names), np.int64, count=len(names)), out=name_off[1:])
        self._names = _PackedStrings("".join(names).encode("ascii"), name_off)
        del names
        self._vocab = _vocab_array(tokens)
        self._vocab_len = np.fromiter(map(len, tokens), dtype=np.int16, count=len(tokens))
        self._name_entry = np.frombuffer(name_entry, dtype=np.int32)
        self._name_ntok = np.frombuffer(name_ntok, dtype=np.int8)
        self._entry_first_name = np.frombuffer(entry_first_name, dtype=np.int32)
        self._year = np.frombuffer(years, dtype=np.int16)
        self._month = np.frombuffer(months, dtype=np.int8)
        self._day = np.frombuffer(days, dtype=np.int8)
        self._nat = np.frombuffer(nat_codes, dtype=np.int16)
        self._sex = np.frombuffer(sexes, dtype=np.int8)
        self._vfrom = np.frombuffer(vfrom, dtype=np.int32)
        self._vuntil = np.frombuffer(vuntil, dtype=np.int32)
        self._list = np.frombuffer(list_codes, dtype=np.int8)
        self._sex_code = sex_code
        self._build_postings(
            np.frombuffer(post_tok, dtype=np.int32), np.frombuffer(post_name, dtype=np.int32)
        )
        del post_name
        self._build_deletions(tokens)
        dochash = np.frombuffer(doc_hash, dtype=np.int64)
        order = np.argsort(dochash, kind="stable")
        self._doc_hash = dochash[order]
        self._doc_entry = np.frombuffer(doc_entry, dtype=np.int32)[order]
        return self

    def _build_postings(self, ptok: npt.NDArray[np.int32], pname: npt.NDArray[np.int32]) -> None:
        """Postings in one CSR array sorted by (token, birth year, name), the forward index and the
        single-token names. Its temporaries (a few int64 arrays per posting) die when it returns."""
        n_names, n_vocab = len(self._name_ntok), len(self._vocab_len)
        pyear = self._year[self._name_entry[pname]] if len(pname) else np.zeros(0, np.int16)
        # Forward index (name -> its token ids): postings were appended name by name.
        self._name_toks = ptok
        self._name_tok_start = np.searchsorted(pname, np.arange(n_names + 1)).astype(np.int64)
        # Names of a single token, by token: the only names one common query token can make candidates.
        single = np.flatnonzero(self._name_ntok == 1)
        single_tok = ptok[self._name_tok_start[single]] if len(single) else np.zeros(0, np.int32)
        sorder = np.argsort(single_tok, kind="stable")
        self._single_names = single[sorder].astype(np.int32)
        self._single_start = np.searchsorted(single_tok[sorder], np.arange(n_vocab + 1)).astype(np.int64)
        order = np.lexsort((pname, pyear, ptok))
        self._post_name = pname[order]
        # The postings fall into runs of one (token, birth-year slot). ``_tok_ps[t]`` is the first run
        # of token t, ``_ps_slot`` the slot of each run, ``_ps_start`` where each run starts: a query
        # reaches any (token, year) slice by plain indexing, with no binary search.
        stok = ptok[order].astype(np.int64)
        sslot = _year_slot(pyear[order])
        del order, pyear
        pkey = stok * _YEAR_SLOTS + sslot
        run_start: IntArray = np.flatnonzero(np.concatenate(([True], pkey[1:] != pkey[:-1]))).astype(np.int64)
        run_start = run_start[: len(pkey)]  # no postings at all: no runs
        del pkey
        self._ps_slot = sslot[run_start].astype(np.int16)
        self._ps_start = np.append(run_start, len(stok)).astype(np.int64)
        self._tok_ps = np.searchsorted(stok[run_start], np.arange(n_vocab + 1)).astype(np.int64)

    def _build_deletions(self, tokens: Sequence[str]) -> None:
        """Symmetric-deletion neighbourhood of the vocabulary, as sorted hashes -> token ids.

        CRC-32 alone (4 bytes a key) is enough: a collision only adds a token that the OSA check
        drops. Each key is made as one uint64 (hash << 32 | token id) and sorted in place, then split:
        the same order as a stable sort by hash (equal hashes keep token order), and no 8-byte index
        array per key (12 million keys at 1M entries)."""
        cfg = self.config
        keys = array("Q")
        for tid, token in enumerate(tokens):
            for w in deletions(token, cfg.max_edits(len(token))):
                keys.append((zlib.crc32(w.encode()) << 32) | tid)
        packed = np.frombuffer(keys, dtype=np.uint64)
        packed.sort()
        halves = packed.view(np.uint32).reshape(-1, 2)
        hi, lo = (1, 0) if sys.byteorder == "little" else (0, 1)
        self._del_hash = np.ascontiguousarray(halves[:, hi])
        self._del_tok = np.ascontiguousarray(halves[:, lo]).view(np.int32)
        del packed, halves, keys
        # Bucket table over the top bits of the hash (about one key a bucket): a look-up reads two
        # table cells and a bucket or two instead of ~24 cache-missing steps of a binary search.
        bits = min(max(len(self._del_hash).bit_length() - 1, 4), 24)
        edges = np.arange(2**bits + 1, dtype=np.uint64) << np.uint64(32 - bits)
        self._del_table = np.searchsorted(self._del_hash, edges).astype(np.int32)

    # -- saving and loading ---------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The whole prepared index (arrays, names, vocabulary, packed entries) as one byte string.

        ``from_bytes`` reads it back without rebuilding anything: central builds once and ships this
        with the signed snapshot, so a gate is ready within seconds of receiving a list version
        (SOP-003-A08 step 3 needs the local replica answering; see ``core.watchlist.prepared``)."""
        return bytes(self.write_into(0))

    @overload
    def write_into(self, head_room: int) -> bytearray: ...
    @overload
    def write_into(self, head_room: int, alloc: Callable[[int], _Buf]) -> _Buf: ...
    def write_into(self, head_room: int, alloc: Callable[[int], Any] = bytearray) -> Any:
        """``to_bytes()`` written once into a new buffer after ``head_room`` free bytes (a multiple of
        8, so arrays stay aligned), for a caller that puts its own header there: the arrays are
        copied once, not once per layer of framing. ``alloc(size)`` makes the zero-filled writable
        buffer (default a ``bytearray``; central passes a memory map of the file it writes)."""
        if head_room % 8:
            raise WatchlistError(f"head room {head_room} must be a multiple of 8 (arrays stay aligned)")
        names = self._names
        if isinstance(names, _PackedStrings):
            names_blob, names_off = names._blob, names._offsets
        else:
            names_blob, names_off = _pack_strings(n.encode() for n in names)
        vocab_blob, vocab_off = _pack_strings(self._vocab.tolist())
        ids = self._entry_ids
        if isinstance(ids, _PackedStrings):
            ids_blob, ids_off = ids._blob, ids._offsets
        else:
            ids_blob, ids_off = _pack_strings(i.encode() for i in ids)
        ents = self._entries
        if isinstance(ents, _ChunkedEntries):
            ent_parts: list[bytes | memoryview] = [ents._blob]
            ent_off = np.asarray(ents._offsets, np.int64)
        else:
            chunks = _ChunkedEntries.pack_chunks(ents)
            ent_parts = list(chunks)
            ent_off = np.zeros(len(chunks) + 1, np.int64)
            np.cumsum(np.fromiter(map(len, chunks), np.int64, count=len(chunks)), out=ent_off[1:])
        # (name, dtype, item count, the pieces to copy in order)
        items: list[tuple[str, str, int, list[Any]]] = []
        for a in _ARRAYS:
            arr = np.ascontiguousarray(getattr(self, a))
            items.append((a, arr.dtype.str, len(arr), [arr]))
        for name, blob in (("names_blob", names_blob), ("vocab_blob", vocab_blob)):
            items.append((name, "|u1", len(blob), [blob]))
        items.append(("names_off", names_off.dtype.str, len(names_off), [names_off]))
        items.append(("vocab_off", vocab_off.dtype.str, len(vocab_off), [vocab_off]))
        items.append(("entries_blob", "|u1", int(ent_off[-1]) if len(ent_off) else 0, ent_parts))
        items.append(("entries_off", ent_off.dtype.str, len(ent_off), [ent_off]))
        items.append(("entry_ids_blob", "|u1", len(ids_blob), [ids_blob]))
        items.append(("entry_ids_off", ids_off.dtype.str, len(ids_off), [ids_off]))
        table: list[list[Any]] = []
        offsets: list[int] = []
        pos = 0
        for name, dtype, count, _parts in items:
            table.append([name, dtype, count, pos])
            offsets.append(pos)
            nbytes = count * np.dtype(dtype).itemsize
            pos += nbytes + (-nbytes % 8)  # keep every array 8-byte aligned for zero-copy views
        header = msgpack.packb(
            {
                "config": self.config.to_dict(),
                "nat_code": self._nat_code,
                "list_code": self._list_code,
                "sex_code": self._sex_code,
                "entries": len(self._entries),
                "arrays": table,
            },
            use_bin_type=True,
        )
        start = head_room + 12 + len(header)
        start += -start % 8
        out = alloc(start + pos)
        view = memoryview(out)
        view[head_room : head_room + 4] = _INDEX_MAGIC
        view[head_room + 4 : head_room + 12] = len(header).to_bytes(8, "little")
        view[head_room + 12 : head_room + 12 + len(header)] = header
        for (_name, _dtype, _count, parts), offset in zip(items, offsets, strict=True):
            at = start + offset
            for part in parts:
                raw = _raw_bytes(part)
                view[at : at + len(raw)] = raw
                at += len(raw)
        view.release()
        return out

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> WatchlistIndex:
        """An index saved by ``to_bytes``. Arrays are zero-copy views of ``data``; names and entries
        are decoded only when a query reads them. Raises ``WatchlistError`` on a malformed buffer."""
        view = memoryview(data).cast("B")
        if len(view) < 12 or bytes(view[:4]) != _INDEX_MAGIC:
            raise WatchlistError("not a saved watch-list index (bad magic or truncated); save it again")
        hlen = int.from_bytes(view[4:12], "little")
        try:
            header = msgpack.unpackb(bytes(view[12 : 12 + hlen]), raw=False, strict_map_key=False)
            start = 12 + hlen + (-(12 + hlen) % 8)
            arrays: dict[str, npt.NDArray[Any]] = {}
            for name, dtype, length, pos in header["arrays"]:
                dt = np.dtype(dtype)
                end = start + pos + length * dt.itemsize
                if end > len(view):
                    raise ValueError(f"array {name} runs past the end of the data")
                arr = np.frombuffer(view, dt, count=length, offset=start + pos)
                # numpy copies unaligned arrays on every searchsorted: copy once here instead.
                arrays[name] = arr if arr.flags.aligned else arr.copy()
            self = cls()
            self.config = MatchConfig.from_dict(header["config"])
            self._nat_code = {str(k): int(v) for k, v in header["nat_code"].items()}
            self._list_code = {str(k): int(v) for k, v in header["list_code"].items()}
            self._sex_code = {str(k): int(v) for k, v in header["sex_code"].items()}
            for name in _ARRAYS:
                setattr(self, name, arrays[name])
            # One copy of the names (tens of MiB) as bytes: slicing bytes is cheaper on every candidate.
            self._names = _PackedStrings(arrays["names_blob"].tobytes(), arrays["names_off"])
            # The vocabulary is read on every query: one fixed-width array, made without a Python loop.
            self._vocab = _vocab_from_blob(arrays["vocab_blob"], arrays["vocab_off"])
            self._entries = _ChunkedEntries(
                arrays["entries_blob"].data, arrays["entries_off"], int(header["entries"])
            )
            if "entry_ids_blob" in arrays:
                self._entry_ids = _PackedStrings(arrays["entry_ids_blob"].data, arrays["entry_ids_off"])
            else:  # saved before entry ids were stored on their own: read them from the entries
                self._entry_ids = _IdsOfEntries(self._entries)
        except (KeyError, TypeError, ValueError, msgpack.UnpackException) as exc:
            raise WatchlistError(f"the saved watch-list index is malformed ({exc}); save it again") from exc
        return self

    def with_config(self, config: MatchConfig) -> WatchlistIndex:
        """The same index scoring with other weights and thresholds (for calibration). The edit budgets
        shape the deletion index, so they must stay as built."""
        if (config.edits_long_token, config.edits_short_token, config.long_token) != (
            self.config.edits_long_token,
            self.config.edits_short_token,
            self.config.long_token,
        ):
            raise WatchlistError("edit budgets differ from the built index; build a new index instead")
        other = copy.copy(self)
        other.config = config
        return other

    # -- candidate generation -------------------------------------------------------------------

    def _vocab_words(self, tids: npt.NDArray[Any]) -> list[bytes]:
        """The ASCII bytes of the given vocabulary tokens. rapidfuzz compares bytes with bytes exactly
        as it compares the str forms (same characters), and one fixed-width array is far cheaper to
        read than hundreds of scattered str objects."""
        words: list[bytes] = self._vocab[tids].tolist()
        return words

    def similar_tokens(self, token: str) -> list[int]:
        """Vocabulary ids of listed tokens within the allowed number of errors of ``token``."""
        return self._similar_ids(token).tolist()  # type: ignore[no-any-return]

    def _similar_ids(self, token: str) -> npt.NDArray[np.int64]:
        cache = self._similar_cache
        found = cache.get(token)
        if found is None:
            found = self._expand_token(token)
            if len(cache) >= _SIMILAR_CACHE:
                with contextlib.suppress(KeyError, RuntimeError, StopIteration):  # another thread's eviction
                    del cache[next(iter(cache))]
            found.flags.writeable = False  # shared by every later query
            cache[token] = found
        return found

    def _expand_token(self, token: str) -> npt.NDArray[np.int64]:
        cfg = self.config
        n = len(token)
        keys = np.fromiter((zlib.crc32(w.encode()) for w in deletions(token, cfg.max_edits(n))), np.uint32)
        bucket = keys >> np.uint32(33 - (len(self._del_table) - 1).bit_length())
        lo, hi = self._del_table[bucket], self._del_table[bucket + 1]
        pos = _ranges(lo, hi)
        pos = pos[self._del_hash[pos] == np.repeat(keys, hi - lo)]
        tids = _unique(self._del_tok[pos])
        if not len(tids):
            return tids
        # The longer token sets the budget: a deletion typo must not shrink its own allowance.
        if n >= cfg.long_token:
            budget: int | npt.NDArray[np.int64] = cfg.edits_long_token
        else:
            longer = np.maximum(self._vocab_len[tids], n)
            budget = np.where(
                longer >= cfg.long_token,
                cfg.edits_long_token,
                np.where(longer >= 2, cfg.edits_short_token, 0),
            )
        dist = process.cdist(
            [token.encode()],
            self._vocab_words(tids),
            scorer=OSA.distance,
            dtype=np.int32,
            workers=1,
            score_cutoff=max(cfg.edits_long_token, cfg.edits_short_token),
        )[0]
        out: npt.NDArray[np.int64] = tids[dist <= budget]
        return out

    def _name_candidates(self, tokens: Sequence[str], year: int) -> IntArray:
        """Names sharing ``min(2, ...)`` tokens with the query, plus every name holding a rare one.

        The rare-token rule keeps recall when two errors fall in one short token (``OLGA`` -> ``OGFA``)
        and only one token still matches: a rare token alone is a cheap, precise block."""
        votes = self._candidate_votes(tokens, year)
        return self._with_rare(votes, votes.per_token)

    def _with_rare(self, votes: _Votes, per_token: IntArray) -> IntArray:
        """The voted names plus every name holding a query token that ``per_token`` finds rare."""
        rare = per_token <= self.config.rare_posting
        if rare.any() and len(votes.names):
            return _union(votes.voted, votes.names[rare[votes.owners]])
        return votes.voted

    def _candidate_votes(self, tokens: Sequence[str], year: int, hidden: Hidden | None = None) -> _Votes:
        """The names voted in by ``min(2, ...)`` query tokens, and the votes (name, query token) behind
        the rare-token rule, with how many names each query token matched (``per_token``).

        ``hidden``: entries left out as if they were not in the index (``core.watchlist.overlay``: the
        entries a later delta removed or changed); their names neither become candidates nor count
        towards a token's rarity, so the answer is that of an index built without them."""
        k = len(tokens)
        matched = [self._similar_ids(t) for t in tokens]
        owner = np.repeat(np.arange(len(tokens), dtype=np.int64), [len(m) for m in matched])
        tids = np.concatenate(matched) if matched else np.zeros(0, np.int64)
        if not len(tids):
            empty = np.zeros(0, np.int64)
            return _Votes(empty, empty, empty, np.zeros(k, np.int64))
        first, last = self._tok_ps[tids], self._tok_ps[tids + 1]
        if year:
            # Only the query's birth year, plus names listed without a birth date (always candidates).
            slot = year - 1799 if year > 0 else 0  # as _year_slot
            runs = _ranges(first, last)
            owner = np.repeat(owner, last - first)
            slots = self._ps_slot[runs]
            keep = (slots == 0) | (slots == slot)
            runs, owner = runs[keep], owner[keep]
            lo, hi = self._ps_start[runs], self._ps_start[runs + 1]
        else:
            lo, hi = self._ps_start[first], self._ps_start[last]
        # A name of two or more tokens needs votes from two query tokens, so at least one vote comes
        # from a token other than the most common one. The postings of a very common token
        # ("MUHAMMAD" with no birth year: tens of thousands) are then not read at all: the names found
        # through the other tokens are checked for it in the forward index, and single-token names
        # come from their own small table. Same candidates, a fraction of the work.
        skip = -1
        if k >= 2:
            sizes = np.bincount(owner, weights=hi - lo, minlength=k)
            c = int(np.argmax(sizes))
            n_tids_c = len(matched[c])
            if sizes[c] > max(_SKIP_POSTINGS, self.config.rare_posting * n_tids_c):
                skip = c
                # A name holds each token once, so the token matched at least sizes / n_tids names:
                # more than rare_posting. With hidden names, it must stay so without all of them.
                if hidden is not None and sizes[c] / n_tids_c - hidden.names <= self.config.rare_posting:
                    skip = -1
        if skip >= 0:
            read = owner != skip
            lo, hi, owner = lo[read], hi[read], owner[read]
        pairs = self._post_name[_ranges(lo, hi)].astype(np.int64) * 64
        pairs += np.repeat(owner, hi - lo)
        pairs = _unique(pairs)  # one vote per (name, query token), sorted by name
        names, owners = pairs >> 6, pairs & 63
        if hidden is not None and len(names):
            shown = ~hidden.entries[self._name_entry[names]]
            names, owners = names[shown], owners[shown]
        if len(names):
            edge = np.flatnonzero(np.concatenate(([True], names[1:] != names[:-1])))
            ids = names[edge]
            counts = np.diff(np.append(edge, len(names)))
        else:
            ids = counts = names
        if skip >= 0:
            common = matched[skip]
            counts = counts + self._names_holding(ids, common)
        need = np.minimum(min(2, k), self._name_ntok[ids])
        out: IntArray = ids[counts >= need]
        per_token = np.bincount(owners, minlength=k)
        if skip >= 0:
            per_token[skip] = self.config.rare_posting + 1  # common by construction, never rare
            common = matched[skip]
            singles = self._single_names[
                _ranges(self._single_start[common], self._single_start[common + 1])
            ].astype(np.int64)
            if year and len(singles):
                sy = self._year[self._name_entry[singles]]
                singles = singles[(sy == year) | (sy == 0)]
            if hidden is not None and len(singles):
                singles = singles[~hidden.entries[self._name_entry[singles]]]
            out = _union(out, singles)
        return _Votes(out, names, owners, per_token)

    def _names_holding(self, name_ids: IntArray, tids: IntArray) -> IntArray:
        """1 for each name holding any of ``tids``, else 0 (read from the forward index)."""
        lo, hi = self._name_tok_start[name_ids], self._name_tok_start[name_ids + 1]
        pos = _ranges(lo, hi)
        wanted = np.zeros(len(self._vocab_len), bool)  # a membership table: one gather, no sort
        wanted[tids] = True
        found = wanted[self._name_toks[pos]]
        which = np.repeat(np.arange(len(name_ids), dtype=np.int64), hi - lo)
        out: IntArray = (np.bincount(which[found], minlength=len(name_ids)) > 0).astype(np.int64)
        return out

    def _document_entries(self, number: str) -> IntArray:
        key = document_key(number)
        if not key:
            return np.zeros(0, np.int64)
        h = stable_hash(key)
        a, b = np.searchsorted(self._doc_hash, [h, h + 1])
        found = [
            e
            for e in self._doc_entry[a:b].tolist()
            if any(document_key(d) == key for d in self._entries[e].document_numbers)
        ]
        return np.asarray(found, dtype=np.int64)

    # -- scoring ---------------------------------------------------------------------------------

    def _month_day(self) -> npt.NDArray[np.int16]:
        """``month * 32 + day`` of every entry's birth date (0 where unknown), made on first use."""
        md: npt.NDArray[np.int16] | None = self.__dict__.get("_md")
        if md is None:
            md = self._month.astype(np.int16) * 32 + self._day
            self.__dict__["_md"] = md
        return md

    def _date_kinds(self, q: PartialDate | None, eids: IntArray) -> npt.NDArray[np.int8]:
        """0 exact, 1 swapped, 2 partial agreement, 3 unknown, 4 differs (index into _DATE_KINDS).

        For entries of the query's birth year the kind depends only on the entry's (month, day): it is
        read from a table of all 13 x 32 of them, made once per query (month, day) with the rules below."""
        n = len(eids)
        if q is None:
            return np.full(n, 3, np.int8)
        qm, qd = q.month or 0, q.day or 0
        lut = self._date_luts.get((qm, qd))
        if lut is None:
            em = np.repeat(np.arange(13, dtype=np.int16), 32)
            ed = np.tile(np.arange(32, dtype=np.int16), 13)
            lut = np.full(13 * 32, 4, np.int8)
            full = (ed > 0) & (qd > 0)
            lut[full & (em == qm) & (ed == qd)] = 0
            lut[full & (em == qd) & (ed == qm) & (lut != 0)] = 1
            lut[~full & ((em == 0) | (qm == 0) | (em == qm)) & ((ed == 0) | (qd == 0) | (ed == qd))] = 2
            lut.flags.writeable = False
            self._date_luts[(qm, qd)] = lut
        ey = self._year[eids]
        kinds: npt.NDArray[np.int8] = np.where(
            ey == q.year, lut[self._month_day()[eids]], np.where(ey == 0, np.int8(3), np.int8(4))
        ).astype(np.int8, copy=False)
        return kinds

    def _feature_lut(self, qcode: int, size: int) -> npt.NDArray[np.int8]:
        """By listed code: 0 agree, 1 unknown (listed code 0, or no query value), 2 differs."""
        lut = np.full(size, 2, np.int8)
        if qcode == 0:
            lut[:] = 1
        else:
            lut[0] = 1
            if 0 < qcode < size:
                lut[qcode] = 0
        return lut

    def _score_tables(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        """For every feature code ``date*9 + nationality*3 + sex``: the non-name part of the score,
        and whether a perfect name could still lift it to ``mirip`` (the upper-bound cut)."""
        cached = self.__dict__.get("_tables")
        if cached is not None and cached[0] is self.config:
            return cached[1], cached[2]
        cfg = self.config
        date_credit = np.array([cfg.date_exact, cfg.date_swapped, cfg.date_partial, cfg.date_unknown, 0.0])
        credit3 = np.array([1.0, cfg.unknown_credit, 0.0])
        dk, nk, sk = _CODE_DATE, _CODE_NAT, _CODE_SEX
        # The same float operations in the same order as per candidate, so the same values.
        rest = (
            cfg.weight_birth_date * date_credit[dk]
            + cfg.weight_nationality * credit3[nk]
            + cfg.weight_sex * credit3[sk]
        )
        reachable = rest + cfg.weight_name >= cfg.mirip_threshold
        self.__dict__["_tables"] = (cfg, rest, reachable)
        return rest, reachable

    def match(self, query: Query, *, today: date, lists: Iterable[str] | None = None) -> list[Hit]:
        """Hits for ``query`` among entries valid on ``today`` (and on ``lists``, if given), best first."""
        qtokens = name_tokens(query.full_name)
        year = query.birth_date.year if query.birth_date else 0
        return self._score(query, qtokens, self._name_candidates(qtokens, year), today, lists)

    def name_strings(self) -> list[str]:
        """The canonical form of every indexed name, by name id."""
        return list(self._names)

    def entry_rows(self, *, by_id: bool = False) -> Iterator[bytes]:
        """Each entry's msgpack row (``msgpack(pack_entry(entry))``), in index order or, with ``by_id``,
        in entry-id order: what ``sign_snapshot_rows`` and ``content_hash_rows`` take. Packed entries
        are read chunk by chunk, never all decoded at once."""
        n = len(self._entries)
        if by_id and not self._entry_ids_sorted():
            ids = self._entry_ids
            for i in sorted(range(n), key=ids.__getitem__):
                yield self._entry_row(i)
            return
        ents = self._entries
        if isinstance(ents, _ChunkedEntries):
            for c in range(len(ents._offsets) - 1):
                yield from msgpack.unpackb(
                    zlib.decompress(ents._blob[ents._offsets[c] : ents._offsets[c + 1]]), raw=False
                )
        else:
            for e in ents:
                yield msgpack.packb(pack_entry(e), use_bin_type=True)

    def _entry_row(self, i: int) -> bytes:
        ents = self._entries
        if isinstance(ents, _ChunkedEntries):
            return ents._rows(i // _ENTRY_CHUNK)[i % _ENTRY_CHUNK]
        row: bytes = msgpack.packb(pack_entry(ents[i]), use_bin_type=True)
        return row

    def _entry_ids_sorted(self) -> bool:
        known: bool | None = self.__dict__.get("_ids_sorted")
        if known is None:
            ids = self._entry_ids
            known = all(ids[i] < ids[i + 1] for i in range(len(ids) - 1))
            self.__dict__["_ids_sorted"] = known
        return known

    def score_candidates(
        self, query: Query, name_ids: IntArray, *, today: date, lists: Iterable[str] | None = None
    ) -> list[Hit]:
        """Score the given candidate names (plus document-number matches) exactly as ``match`` does.

        Everything up to the verdict is array work over all candidates at once: the date, nationality,
        sex and validity features (one small code per candidate, looked up in per-code tables), an
        upper bound that drops candidates no name could lift over the threshold, then the greedy token
        alignment of ``name_similarity`` run on a padded (candidate x query token x listed token)
        similarity array, one round per aligned pair. Only the hits' entry ids are read; their
        explanation and entry are built when first used (``Hit.why``, ``Hit.entry``)."""
        ids = np.asarray(name_ids, dtype=np.int64)
        return self._score(query, name_tokens(query.full_name), ids, today, lists)

    def _score(
        self,
        query: Query,
        qtokens: Sequence[str],
        name_ids: IntArray,
        today: date,
        lists: Iterable[str] | None,
        hidden: Hidden | None = None,
    ) -> list[Hit]:
        cfg = self.config
        doc_eids = (
            self._document_entries(query.document_number) if query.document_number else np.zeros(0, np.int64)
        )
        if hidden is not None and len(doc_eids):
            doc_eids = doc_eids[~hidden.entries[doc_eids]]
        if len(doc_eids):
            extra = [
                np.arange(self._entry_first_name[e], self._entry_first_name[e + 1]) for e in doc_eids.tolist()
            ]
            name_ids = _union(name_ids, np.concatenate(extra))
        if not len(name_ids):
            return []
        eids = self._name_entry[name_ids].astype(np.int64)
        t = today.toordinal()
        keep = (self._vfrom[eids] <= t) & (self._vuntil[eids] >= t)
        if lists is not None:
            codes = [self._list_code[x] for x in lists if x in self._list_code]
            keep &= np.isin(self._list[eids], codes)
        nat_q = self._nat_code.get(query.nationality, -1) if query.nationality else 0
        nat_lut = self._feature_lut(nat_q, len(self._nat_code))
        sex_lut = self._feature_lut(self._sex_code.get(query.sex, 0), len(self._sex_code))
        code = (
            self._date_kinds(query.birth_date, eids) * 9
            + nat_lut[self._nat[eids]] * 3
            + sex_lut[self._sex[eids]]
        )
        rest_of, reachable = self._score_tables()
        is_doc = np.isin(eids, doc_eids) if len(doc_eids) else None
        keep &= reachable[code] if is_doc is None else reachable[code] | is_doc
        name_ids, eids, code = name_ids[keep], eids[keep], code[keep]
        is_doc = is_doc[keep] if is_doc is not None else np.zeros(len(eids), bool)
        if not len(name_ids):
            return []
        name_sc, aligned = self._align(qtokens, name_ids)
        score = cfg.weight_name * name_sc + rest_of[code]
        # The best-scoring name of each entry (the first of equals, as candidates are ordered by name id).
        # Candidates from ``match`` are sorted name ids and an entry's names have consecutive ids, so
        # when no entry appears twice every candidate is its entry's best.
        if len(eids) < 2 or bool((eids[1:] > eids[:-1]).all()):
            first = np.arange(len(eids))
        else:
            order = np.lexsort((np.arange(len(eids)), -score, eids))
            first = order[np.concatenate(([True], eids[order][1:] != eids[order][:-1]))]
        ns, sc, fc, doc = name_sc[first], score[first], code[first], is_doc[first]
        identik = (doc & (ns >= cfg.document_identik_name) & _CODE_NAT_NOT_DIFFERENT[fc]) | (
            (ns >= cfg.identik_name) & _CODE_FULL_AGREEMENT[fc]
        )
        mirip = doc | ((ns >= cfg.name_floor) & (sc >= cfg.mirip_threshold))
        hit = identik | mirip
        rows, row_identik = first[hit], identik[hit]
        if not len(rows):
            return []
        # Entry ids, scores and verdicts now; each hit's explanation and entry when first read (a common
        # name without a birth date draws hundreds of mirip hits, and a gate acts on one of them).
        details = _QueryDetails(self, query, qtokens, name_ids, eids, name_sc, code, is_doc, aligned)
        entry_ids = self._entry_ids
        rounded = [round(x, 4) for x in score[rows].tolist()]  # Python's rounding, as before
        hits = [
            Hit(
                entry_ids[e],
                sc_i,
                Verdict.IDENTIK if ident else Verdict.MIRIP,
                details=details,
                row=i,
            )
            for i, e, sc_i, ident in zip(
                rows.tolist(), eids[rows].tolist(), rounded, row_identik.tolist(), strict=True
            )
        ]
        hits.sort(key=lambda h: (h.verdict is not Verdict.IDENTIK, -h.score, h.entry_id))
        return hits

    def _align(
        self, qtokens: Sequence[str], name_ids: IntArray
    ) -> tuple[npt.NDArray[np.float64], Callable[[int], list[tuple[int, int, float]]]]:
        """``name_similarity(qtokens, name)`` for every name in ``name_ids``, vectorised.

        The greedy alignment picks, among unused query and listed tokens, the most similar pair (the
        first in query-major order among equals, as the stable sort in ``name_similarity`` does) until
        no pair reaches ``token_pair_floor``; here that is one argmax per round over a padded
        (name, query token x listed token) array, for all names at once. Same floats, same order of
        additions, so the scores are identical. Returns the scores, a function giving one row's
        aligned (query index, listed index, similarity) triples."""
        cfg = self.config
        n = len(name_ids)
        k = len(qtokens)
        lo, hi = self._name_tok_start[name_ids], self._name_tok_start[name_ids + 1]
        ntok = hi - lo
        m = int(ntok.max()) if n else 0
        if not k or not m:
            return np.zeros(n), lambda i: []
        pos = _ranges(lo, hi)
        row = np.repeat(np.arange(n, dtype=np.int64), ntok)
        col = pos - np.repeat(lo, ntok)
        uniq, inv = _unique_inverse(self._name_toks[pos])
        sims = process.cdist(
            [t.encode() for t in qtokens],
            self._vocab_words(uniq),
            scorer=OSA.normalized_similarity,
            dtype=np.float64,
            workers=1,
        )
        qlen = np.fromiter((len(t) for t in qtokens), np.int64, count=k)
        ulen = self._vocab_len[uniq].astype(np.int64)
        llen = np.zeros((n, m), np.int64)
        llen[row, col] = ulen[inv]
        sim = np.full((n, k, m), -np.inf)
        sim[row, :, col] = sims[:, inv].T
        flat = sim.reshape(n, k * m)
        covered = np.zeros(n)
        rows = np.arange(n)
        picks: list[tuple[IntArray, IntArray, npt.NDArray[np.float64], npt.NDArray[np.bool_]]] = []
        for _ in range(min(k, m)):
            j = flat.argmax(axis=1)
            s = flat[rows, j]
            ok = s >= cfg.token_pair_floor
            if not ok.any():
                break
            qi, li = j // m, j % m
            r = rows[ok]
            covered[r] += s[ok] * (qlen[qi[ok]] + llen[r, li[ok]]) / 2
            sim[r, qi[ok], :] = -np.inf
            sim[r, :, li[ok]] = -np.inf
            picks.append((qi, li, s, ok))
        cover_q = covered / float(qlen.sum())
        cover_l = covered / llen.sum(axis=1)
        w = cfg.partial_name_weight
        score = np.minimum(1.0, (1 - w) * np.maximum(cover_q, cover_l) + w * np.minimum(cover_q, cover_l))

        def aligned(i: int) -> list[tuple[int, int, float]]:
            return [(int(qi[i]), int(li[i]), float(s[i])) for qi, li, s, ok in picks if ok[i]]

        return score, aligned


class _QueryDetails:
    """What one query's hits need to explain themselves and read their entry, on first use: the
    arrays of ``score_candidates`` (never changed after the query) and the alignment picks."""

    __slots__ = (
        "_aligned",
        "_code",
        "_eids",
        "_index",
        "_is_doc",
        "_name_ids",
        "_name_sc",
        "_qtokens",
        "_query",
    )

    def __init__(
        self,
        index: WatchlistIndex,
        query: Query,
        qtokens: Sequence[str],
        name_ids: IntArray,
        eids: IntArray,
        name_sc: npt.NDArray[np.float64],
        code: npt.NDArray[np.int8],
        is_doc: npt.NDArray[np.bool_],
        aligned: Callable[[int], list[tuple[int, int, float]]],
    ) -> None:
        self._index = index
        self._query = query
        self._qtokens = qtokens
        self._name_ids = name_ids
        self._eids = eids
        self._name_sc = name_sc
        self._code = code
        self._is_doc = is_doc
        self._aligned = aligned

    def entry(self, row: int) -> WatchlistEntry:
        return self._index._entries[int(self._eids[row])]

    def why(self, row: int) -> dict[str, Any]:
        qtokens = self._qtokens
        listed = self._index._names[int(self._name_ids[row])]
        ltoks = listed.split()
        pairs = [[qtokens[qi], ltoks[li], round(sim, 3)] for qi, li, sim in self._aligned(row)]
        used_q = {p[0] for p in pairs}
        used_l = {p[1] for p in pairs}
        is_d = bool(self._is_doc[row])
        code = int(self._code[row])
        return {
            "name": {
                "score": round(float(self._name_sc[row]), 4),
                "query": " ".join(qtokens),
                "listed": listed,
                "pairs": pairs,
                "unmatched_query": [q for q in qtokens if q not in used_q],
                "unmatched_listed": [x for x in ltoks if x not in used_l],
            },
            "birth_date": _DATE_KINDS[code // 9],
            "nationality": _FEATURE_KINDS[code // 3 % 3],
            "sex": _FEATURE_KINDS[code % 3],
            "document": "match" if is_d else ("none" if self._query.document_number else "not given"),
        }
