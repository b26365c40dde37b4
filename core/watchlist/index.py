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

Scoring is vectorised for date, nationality, sex and validity (an upper bound prunes most candidates
before any name comparison), then the name alignment runs in Python on the survivors only.

Hashes are stable across processes, so the built index can be saved (``to_bytes``) and loaded
without rebuilding (``from_bytes``; signed form in ``core.watchlist.prepared``).
"""

from __future__ import annotations

import contextlib
import copy
import threading
import zlib
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, overload

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
_SKIP_POSTINGS = 2048  # a query token with more postings than this is not read, only checked (see below)
_SIMILAR_CACHE = 16384  # query tokens whose expansion is kept (a few MiB at most)
_YEAR_SLOTS = 512  # slot 0: birth date unknown; slot y-1799 for years 1800..2200


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


def _ranges(lo: IntArray, hi: IntArray) -> IntArray:
    """The concatenation of ``arange(lo[i], hi[i])`` for all i, without a Python loop."""
    lengths = hi - lo
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    shift = np.repeat(lo - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    out: IntArray = shift + np.arange(total, dtype=np.int64)
    return out


def deletions(token: str, depth: int) -> set[str]:
    """``token`` and every string made by deleting up to ``depth`` of its characters."""
    out = {token}
    frontier = {token}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


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


class _Packed(Sequence[Any]):
    """Items kept as one byte blob plus offsets and decoded only when read: a loaded index is ready at
    once, because a query decodes only what it reads."""

    def __init__(self, blob: memoryview | bytes, offsets: npt.NDArray[np.int64]) -> None:
        self._blob = blob
        self._offsets = offsets.tolist()  # Python ints: indexing a list is faster than numpy scalars

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
        return self._decode(self._blob[self._offsets[i] : self._offsets[i + 1]])


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
    def pack(entries: Sequence[WatchlistEntry]) -> tuple[bytes, npt.NDArray[np.int64]]:
        return _pack_strings(
            zlib.compress(
                # Each entry stays its own msgpack bytes inside the chunk: a hit unpacks only its own.
                msgpack.packb(
                    [msgpack.packb(pack_entry(e), use_bin_type=True) for e in entries[a : a + _ENTRY_CHUNK]],
                    use_bin_type=True,
                ),
                6,
            )
            for a in range(0, len(entries), _ENTRY_CHUNK)
        )


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
    _vocab_tokens: Sequence[str]
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
        # Query token -> the vocabulary ids within its error budget. The index never changes, so the
        # answer for a token never does either; names recur at a gate (MUHAMMAD, SITI, NUR...), and
        # this expansion is the largest fixed cost of a query. Bounded; oldest dropped first.
        self._similar_cache: dict[str, npt.NDArray[np.int64]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def entries(self) -> Sequence[WatchlistEntry]:
        return self._entries

    @classmethod
    def build(cls, entries: Iterable[WatchlistEntry], config: MatchConfig | None = None) -> WatchlistIndex:
        self = cls()
        self.config = config or MatchConfig()
        cfg = self.config
        ents: list[WatchlistEntry] = []
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
            ents.append(e)
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
        self._entries = ents
        self._names = names
        self._vocab_tokens = list(vocab)
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
        # Postings in one CSR array sorted by (token, birth year, name).
        ptok = np.frombuffer(post_tok, dtype=np.int32)
        pname = np.frombuffer(post_name, dtype=np.int32)
        pyear = self._year[self._name_entry[pname]] if len(pname) else np.zeros(0, np.int16)
        # Forward index (name -> its token ids): postings were appended name by name.
        self._name_toks = ptok
        self._name_tok_start = np.searchsorted(pname, np.arange(len(names) + 1)).astype(np.int64)
        # Names of a single token, by token: the only names one common query token can make candidates.
        single = np.flatnonzero(self._name_ntok == 1)
        single_tok = ptok[self._name_tok_start[single]] if len(single) else np.zeros(0, np.int32)
        sorder = np.argsort(single_tok, kind="stable")
        self._single_names = single[sorder].astype(np.int32)
        self._single_start = np.searchsorted(single_tok[sorder], np.arange(len(vocab) + 1)).astype(np.int64)
        order = np.lexsort((pname, pyear, ptok))
        self._post_name = pname[order]
        # One sorted int64 key per posting, (token, birth-year slot): any set of (token, year) slices
        # is then found with a single vectorised searchsorted.
        # The postings fall into runs of one (token, birth-year slot). ``_tok_ps[t]`` is the first run
        # of token t, ``_ps_slot`` the slot of each run, ``_ps_start`` where each run starts: a query
        # reaches any (token, year) slice by plain indexing, with no binary search.
        stok = ptok[order].astype(np.int64)
        sslot = _year_slot(pyear[order])
        pkey = stok * _YEAR_SLOTS + sslot
        run_start: IntArray = np.flatnonzero(np.concatenate(([True], pkey[1:] != pkey[:-1]))).astype(np.int64)
        run_start = run_start[: len(pkey)]  # no postings at all: no runs
        self._ps_slot = sslot[run_start].astype(np.int16)
        self._ps_start = np.append(run_start, len(pkey)).astype(np.int64)
        self._tok_ps = np.searchsorted(stok[run_start], np.arange(len(vocab) + 1)).astype(np.int64)
        self._vocab_len = np.fromiter((len(t) for t in vocab), dtype=np.int16, count=len(vocab))
        # Symmetric-deletion neighbourhood of the vocabulary, as sorted hashes -> token ids.
        # CRC-32 alone (4 bytes a key) is enough here: a collision only adds a token that the OSA check drops.
        del_hash = array("I")
        del_tok = array("i")
        for token, tid in vocab.items():
            for w in deletions(token, cfg.max_edits(len(token))):
                del_hash.append(zlib.crc32(w.encode()))
                del_tok.append(tid)
        dh = np.frombuffer(del_hash, dtype=np.uint32)
        order = np.argsort(dh, kind="stable")
        self._del_hash = dh[order]
        self._del_tok = np.frombuffer(del_tok, dtype=np.int32)[order]
        # Bucket table over the top bits of the hash (about one key a bucket): a look-up reads two
        # table cells and a bucket or two instead of ~24 cache-missing steps of a binary search.
        bits = min(max(len(dh).bit_length() - 1, 4), 24)
        edges = np.arange(2**bits + 1, dtype=np.uint64) << np.uint64(32 - bits)
        self._del_table = np.searchsorted(self._del_hash, edges).astype(np.int32)
        dochash = np.frombuffer(doc_hash, dtype=np.int64)
        order = np.argsort(dochash, kind="stable")
        self._doc_hash = dochash[order]
        self._doc_entry = np.frombuffer(doc_entry, dtype=np.int32)[order]
        return self

    # -- saving and loading ---------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The whole prepared index (arrays, names, vocabulary, packed entries) as one byte string.

        ``from_bytes`` reads it back without rebuilding anything: central builds once and ships this
        with the signed snapshot, so a gate is ready within seconds of receiving a list version
        (SOP-003-A08 step 3 needs the local replica answering; see ``core.watchlist.prepared``)."""
        names_blob, names_off = _pack_strings(n.encode() for n in self._names)
        vocab_blob, vocab_off = _pack_strings(t.encode() for t in self._vocab_tokens)
        ents = self._entries
        if isinstance(ents, _ChunkedEntries):
            ent_blob, ent_off = bytes(ents._blob), np.asarray(ents._offsets, np.int64)
        else:
            ent_blob, ent_off = _ChunkedEntries.pack(ents)
        arrays: list[tuple[str, npt.NDArray[Any]]] = [(a, getattr(self, a)) for a in _ARRAYS]
        arrays += [
            ("names_blob", np.frombuffer(names_blob, np.uint8)),
            ("names_off", names_off),
            ("vocab_blob", np.frombuffer(vocab_blob, np.uint8)),
            ("vocab_off", vocab_off),
            ("entries_blob", np.frombuffer(ent_blob, np.uint8)),
            ("entries_off", ent_off),
        ]
        table = []
        chunks: list[bytes] = []
        pos = 0
        for name, arr in arrays:
            raw = np.ascontiguousarray(arr).tobytes()
            table.append([name, arr.dtype.str, len(arr), pos])
            pad = -len(raw) % 8  # keep every array 8-byte aligned for zero-copy views
            chunks.append(raw + b"\0" * pad)
            pos += len(raw) + pad
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
        header_pad = b"\0" * (-(len(header) + 12) % 8)
        return b"".join([_INDEX_MAGIC, len(header).to_bytes(8, "little"), header, header_pad, *chunks])

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
            # The vocabulary is small (one string per distinct token) and read on every query.
            vocab = _PackedStrings(arrays["vocab_blob"].data, arrays["vocab_off"])
            self._vocab_tokens = [vocab[i] for i in range(len(vocab))]
            self._entries = _ChunkedEntries(
                arrays["entries_blob"].data, arrays["entries_off"], int(header["entries"])
            )
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

    def _vocab_words(self, tids: npt.NDArray[Any]) -> list[str]:
        # A fixed-width numpy copy of the vocabulary: fancy indexing is several times faster than a
        # Python loop over hundreds of neighbours of a common token. Made on first use.
        arr = self.__dict__.get("_vocab_array")
        if arr is None:
            arr = np.asarray(self._vocab_tokens, dtype=str)
            self.__dict__["_vocab_array"] = arr
        return arr[tids].tolist()  # type: ignore[no-any-return]

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
        k = cfg.max_edits(len(token))
        keys = np.fromiter((zlib.crc32(w.encode()) for w in deletions(token, k)), dtype=np.uint32)
        bucket = (keys >> np.uint32(32 - (len(self._del_table) - 1).bit_length() + 1)).astype(np.int64)
        lo = self._del_table[bucket].astype(np.int64)
        hi = self._del_table[bucket + 1].astype(np.int64)
        pos = _ranges(lo, hi)
        pos = pos[self._del_hash[pos] == np.repeat(keys, hi - lo)]
        tids = np.unique(self._del_tok[pos]).astype(np.int64)
        if not len(tids):
            return tids
        words = self._vocab_words(tids)
        dist = process.cdist([token], words, scorer=OSA.distance, dtype=np.int32, workers=1)[0]
        # The longer token sets the budget: a deletion typo must not shrink its own allowance.
        longer = np.maximum(self._vocab_len[tids], len(token))
        budget = np.where(
            longer >= cfg.long_token, cfg.edits_long_token, np.where(longer >= 2, cfg.edits_short_token, 0)
        )
        out: npt.NDArray[np.int64] = tids[dist <= budget]
        return out

    def _name_candidates(self, tokens: Sequence[str], year: int) -> IntArray:
        """Names sharing ``min(2, ...)`` tokens with the query, plus every name holding a rare one.

        The rare-token rule keeps recall when two errors fall in one short token (``OLGA`` -> ``OGFA``)
        and only one token still matches: a rare token alone is a cheap, precise block."""
        matched = [self._similar_ids(t) for t in tokens]
        owner = np.repeat(np.arange(len(tokens), dtype=np.int64), [len(m) for m in matched])
        tids = np.concatenate(matched) if matched else np.zeros(0, np.int64)
        if not len(tids):
            return np.zeros(0, np.int64)
        first, last = self._tok_ps[tids], self._tok_ps[tids + 1]
        if year:
            # Only the query's birth year, plus names listed without a birth date (always candidates).
            slot = int(_year_slot(np.asarray([year]))[0])
            runs = _ranges(first, last)
            owner = np.repeat(owner, last - first)
            slots = self._ps_slot[runs]
            keep = (slots == 0) | (slots == slot)
            runs, owner = runs[keep], owner[keep]
            lo, hi = self._ps_start[runs], self._ps_start[runs + 1]
        else:
            lo, hi = self._ps_start[first], self._ps_start[last]
        k = len(tokens)
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
        if skip >= 0:
            read = owner != skip
            lo, hi, owner = lo[read], hi[read], owner[read]
        names = self._post_name[_ranges(lo, hi)].astype(np.int64)
        owners = np.repeat(owner, hi - lo)
        pairs = np.sort(names * 64 + owners)  # one vote per (name, query token), sorted by name
        if len(pairs):
            pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
        names, owners = pairs // 64, pairs % 64
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
            out = np.union1d(out, singles)
        rare = np.flatnonzero(per_token <= self.config.rare_posting)
        if len(rare):
            out = np.union1d(out, names[np.isin(owners, rare)])
        return out

    def _names_holding(self, name_ids: IntArray, tids: IntArray) -> IntArray:
        """1 for each name holding any of ``tids``, else 0 (read from the forward index)."""
        lo, hi = self._name_tok_start[name_ids], self._name_tok_start[name_ids + 1]
        pos = _ranges(lo, hi)
        found = np.isin(self._name_toks[pos], tids)
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

    def _date_kinds(self, q: PartialDate | None, eids: IntArray) -> npt.NDArray[np.int8]:
        """0 exact, 1 swapped, 2 partial agreement, 3 unknown, 4 differs (index into _DATE_KINDS)."""
        n = len(eids)
        if q is None:
            return np.full(n, 3, np.int8)
        ey = self._year[eids]
        em = self._month[eids].astype(np.int16)
        ed = self._day[eids].astype(np.int16)
        qm, qd = q.month or 0, q.day or 0
        kinds = np.full(n, 4, np.int8)
        same_year = ey == q.year
        full = same_year & (ed > 0) & (qd > 0)
        kinds[full & (em == qm) & (ed == qd)] = 0
        kinds[full & (em == qd) & (ed == qm) & (kinds != 0)] = 1
        partial = (
            same_year & ~full & ((em == 0) | (qm == 0) | (em == qm)) & ((ed == 0) | (qd == 0) | (ed == qd))
        )
        kinds[partial] = 2
        kinds[ey == 0] = 3
        return kinds

    def _feature_kinds(self, qcode: int, codes: npt.NDArray[Any]) -> npt.NDArray[np.int8]:
        """0 agree, 1 unknown, 2 differs."""
        if qcode == 0:
            return np.ones(len(codes), np.int8)
        return np.where(codes == 0, 1, np.where(codes == qcode, 0, 2)).astype(np.int8)

    def match(self, query: Query, *, today: date, lists: Iterable[str] | None = None) -> list[Hit]:
        """Hits for ``query`` among entries valid on ``today`` (and on ``lists``, if given), best first."""
        qtokens = name_tokens(query.full_name)
        year = query.birth_date.year if query.birth_date else 0
        return self.score_candidates(query, self._name_candidates(qtokens, year), today=today, lists=lists)

    def name_strings(self) -> list[str]:
        """The canonical form of every indexed name, by name id."""
        return list(self._names)

    def score_candidates(
        self, query: Query, name_ids: IntArray, *, today: date, lists: Iterable[str] | None = None
    ) -> list[Hit]:
        """Score the given candidate names (plus document-number matches) exactly as ``match`` does.

        Everything up to the verdict is array work over all candidates at once: the date, nationality,
        sex and validity features, an upper bound that drops candidates no name could lift over the
        threshold, then the greedy token alignment of ``name_similarity`` run on a padded
        (candidate x query token x listed token) similarity array, one round per aligned pair. Only
        the hits are decoded and explained in Python."""
        cfg = self.config
        qtokens = name_tokens(query.full_name)
        doc_eids = (
            self._document_entries(query.document_number) if query.document_number else np.zeros(0, np.int64)
        )
        if len(doc_eids):
            extra = [
                np.arange(self._entry_first_name[e], self._entry_first_name[e + 1]) for e in doc_eids.tolist()
            ]
            name_ids = np.union1d(name_ids, np.concatenate(extra))
        if not len(name_ids):
            return []
        name_ids = np.asarray(name_ids, dtype=np.int64)
        eids = self._name_entry[name_ids].astype(np.int64)
        t = today.toordinal()
        live = (self._vfrom[eids] <= t) & (self._vuntil[eids] >= t)
        if lists is not None:
            codes = [self._list_code[x] for x in lists if x in self._list_code]
            live &= np.isin(self._list[eids], codes)
        date_credit = np.array([cfg.date_exact, cfg.date_swapped, cfg.date_partial, cfg.date_unknown, 0.0])
        credit3 = np.array([1.0, cfg.unknown_credit, 0.0])
        name_ids, eids = name_ids[live], eids[live]
        date_k = self._date_kinds(query.birth_date, eids)
        nat_k = self._feature_kinds(
            self._nat_code.get(query.nationality, -1) if query.nationality else 0, self._nat[eids]
        )
        sex_k = self._feature_kinds(self._sex_code.get(query.sex, 0), self._sex[eids])
        rest = (
            cfg.weight_birth_date * date_credit[date_k]
            + cfg.weight_nationality * credit3[nat_k]
            + cfg.weight_sex * credit3[sex_k]
        )
        is_doc = np.isin(eids, doc_eids) if len(doc_eids) else np.zeros(len(eids), bool)
        keep = (rest + cfg.weight_name >= cfg.mirip_threshold) | is_doc
        name_ids, eids, rest, is_doc = name_ids[keep], eids[keep], rest[keep], is_doc[keep]
        date_k, nat_k, sex_k = date_k[keep], nat_k[keep], sex_k[keep]
        if not len(name_ids):
            return []
        name_sc, aligned = self._align(qtokens, name_ids)
        score = cfg.weight_name * name_sc + rest
        # The best-scoring name of each entry (the first of equals, as candidates are ordered by name id).
        order = np.lexsort((np.arange(len(eids)), -score, eids))
        first = order[np.concatenate(([True], eids[order][1:] != eids[order][:-1]))]
        ns, sc = name_sc[first], score[first]
        dk, nk, sk, doc = date_k[first], nat_k[first], sex_k[first], is_doc[first]
        identik = (doc & (ns >= cfg.document_identik_name) & (nk != 2)) | (
            (ns >= cfg.identik_name) & (dk == 0) & (nk == 0) & (sk != 2)
        )
        mirip = doc | ((ns >= cfg.name_floor) & (sc >= cfg.mirip_threshold))
        hits = []
        for i in first[identik | mirip].tolist():
            eid = int(eids[i])
            nid = int(name_ids[i])
            listed = self._names[nid]
            ltoks = listed.split()
            pairs = [[qtokens[qi], ltoks[li], round(sim, 3)] for qi, li, sim in aligned(i)]
            used_q = {p[0] for p in pairs}
            used_l = {p[1] for p in pairs}
            nm = float(name_sc[i])
            d, n, s, is_d = int(date_k[i]), int(nat_k[i]), int(sex_k[i]), bool(is_doc[i])
            verdict = self._verdict(nm, float(score[i]), d, n, s, is_d)
            if verdict is None:  # cannot happen (same rule as the mask above); kept as a guard
                continue
            entry = self._entries[eid]
            why = {
                "name": {
                    "score": round(nm, 4),
                    "query": " ".join(qtokens),
                    "listed": listed,
                    "pairs": pairs,
                    "unmatched_query": [q for q in qtokens if q not in used_q],
                    "unmatched_listed": [x for x in ltoks if x not in used_l],
                },
                "birth_date": _DATE_KINDS[d],
                "nationality": _FEATURE_KINDS[n],
                "sex": _FEATURE_KINDS[s],
                "document": "match" if is_d else ("none" if query.document_number else "not given"),
            }
            hits.append(Hit(entry.entry_id, round(float(score[i]), 4), verdict, why, entry))
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
        uniq, inv = np.unique(self._name_toks[pos], return_inverse=True)
        sims = process.cdist(
            qtokens, self._vocab_words(uniq), scorer=OSA.normalized_similarity, dtype=np.float64, workers=1
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

    def _verdict(
        self, name: float, score: float, date_k: int, nat_k: int, sex_k: int, doc: bool
    ) -> Verdict | None:
        cfg = self.config
        if doc and name >= cfg.document_identik_name and nat_k != 2:
            return Verdict.IDENTIK
        if name >= cfg.identik_name and date_k == 0 and nat_k == 0 and sex_k != 2:
            return Verdict.IDENTIK
        if doc or (name >= cfg.name_floor and score >= cfg.mirip_threshold):
            return Verdict.MIRIP
        return None
