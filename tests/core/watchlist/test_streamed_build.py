"""Building from a stream (central's large lists): packed entries, snapshots signed from the index's rows,
and lazily explained hits. Everything must equal the plain, object-holding path byte for byte."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.watchlist import (
    Hit,
    PartialDate,
    Snapshot,
    SnapshotError,
    SnapshotWriter,
    Verdict,
    WatchlistError,
    WatchlistIndex,
    content_hash_rows,
    load_prepared_snapshot,
    sign_prepared_index,
    sign_prepared_snapshot,
    sign_snapshot,
    sign_snapshot_rows,
    verify_snapshot,
)
from core.watchlist.synthetic import labelled_variants, synthetic_entries
from tests.core.watchlist.helpers import TODAY, entry, query

KEY = Ed25519PrivateKey.generate()
STAMP = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
ENTRIES = tuple(synthetic_entries(700, seed=11, today=TODAY))


@pytest.fixture(scope="module")
def plain() -> WatchlistIndex:
    return WatchlistIndex.build(ENTRIES)


@pytest.fixture(scope="module")
def packed() -> WatchlistIndex:
    return WatchlistIndex.build(iter(ENTRIES), pack_entries=True)  # a stream, read once


def test_a_packed_build_saves_the_same_bytes_as_a_plain_one(
    plain: WatchlistIndex, packed: WatchlistIndex
) -> None:
    assert packed.to_bytes() == plain.to_bytes()
    assert list(packed.entries) == list(ENTRIES)


def test_a_packed_build_answers_like_a_plain_one(plain: WatchlistIndex, packed: WatchlistIndex) -> None:
    queries = labelled_variants(list(ENTRIES), 3, seed=12, today=TODAY)
    assert queries
    for lq in queries:
        got, want = packed.match(lq.query, today=TODAY), plain.match(lq.query, today=TODAY)
        assert got == want
        assert [h.why for h in got] == [h.why for h in want]
        assert [h.entry for h in got] == [h.entry for h in want]


def test_snapshots_signed_from_the_index_rows_equal_the_plain_ones(packed: WatchlistIndex) -> None:
    snap = Snapshot(5, ENTRIES, STAMP)
    rows = packed.entry_rows()
    assert sign_snapshot_rows(5, STAMP, len(packed), rows, KEY) == sign_snapshot(snap, KEY)
    assert content_hash_rows(5, len(packed), packed.entry_rows(by_id=True)) == snap.content_hash()
    prepared = sign_prepared_index(packed, 5, STAMP, snap.content_hash(), KEY)
    assert prepared == sign_prepared_snapshot(snap, KEY, index=packed)  # Ed25519 is deterministic
    loaded = load_prepared_snapshot(prepared, KEY.public_key())
    assert (loaded.version, loaded.content_hash) == (5, snap.content_hash())


def test_the_content_hash_orders_rows_by_id_whatever_the_index_order() -> None:
    shuffled = (*ENTRIES[300:], *ENTRIES[:300])
    index = WatchlistIndex.build(iter(shuffled), pack_entries=True)
    by_id = content_hash_rows(2, len(index), index.entry_rows(by_id=True))
    assert by_id == Snapshot(2, shuffled).content_hash() == Snapshot(2, ENTRIES).content_hash()
    assert content_hash_rows(2, len(index), index.entry_rows()) != by_id  # index order is not id order


def test_a_row_count_that_differs_from_the_announced_one_is_refused(packed: WatchlistIndex) -> None:
    with pytest.raises(SnapshotError, match="announced"):
        sign_snapshot_rows(1, STAMP, len(packed) + 1, packed.entry_rows(), KEY)
    with pytest.raises(SnapshotError, match="announced"):
        content_hash_rows(1, len(packed) - 1, packed.entry_rows(by_id=True))


def test_the_snapshot_writer_gives_the_plain_bytes_and_hash() -> None:
    ordered = tuple(sorted(ENTRIES, key=lambda e: e.entry_id))
    writer = SnapshotWriter(3, STAMP, len(ordered))
    for e in ordered:
        writer.add(e)
    blob, digest = writer.finish(KEY)
    snap = Snapshot(3, ordered, STAMP)
    assert blob == sign_snapshot(snap, KEY)
    assert digest == snap.content_hash()
    assert verify_snapshot(blob, KEY.public_key()).entries == ordered


def test_the_snapshot_writer_refuses_entries_out_of_id_order_or_missing() -> None:
    writer = SnapshotWriter(3, STAMP, 2)
    writer.add(entry("B"))
    with pytest.raises(SnapshotError, match="id order"):
        writer.add(entry("A"))
    short = SnapshotWriter(3, STAMP, 2)
    short.add(entry("A"))
    with pytest.raises(SnapshotError, match="announced 2 entries but 1"):
        short.finish(KEY)


def test_a_lazy_hit_explains_itself_and_reads_its_entry_when_asked() -> None:
    listed = entry("E1", "Siti Aminah binti Yusuf", sex="F", birth_date=PartialDate(1985, 2, 3))
    index = WatchlistIndex.build([listed, entry("E2", "Budi Santoso")])
    (hit,) = index.match(query("SITI AMINAH", sex="F", birth_date=PartialDate(1985, 2, 3)), today=TODAY)
    assert hit.entry == listed
    assert hit.why["name"]["listed"] == "AMINAH SITI YUSUF"
    assert hit.why["birth_date"] == "exact" and hit.why["sex"] == "agree"
    assert hit.why is hit.why  # built once
    eager = Hit(hit.entry_id, hit.score, hit.verdict, dict(hit.why), listed)
    assert eager == hit and hash(eager) == hash(hit) and eager.to_dict() == hit.to_dict()
    with pytest.raises(AttributeError, match="immutable"):
        hit.score = 1.0
    with pytest.raises(WatchlistError, match="needs its why and entry"):
        Hit("E1", 1.0, Verdict.IDENTIK)


def test_an_entry_found_by_several_of_its_names_scores_by_the_best_in_both_builds() -> None:
    # Aliases make several candidate names per entry (the path that picks each entry's best name).
    aliased = [dataclasses.replace(e, aliases=(e.full_name.split()[0],)) for e in ENTRIES[:50]]
    a = WatchlistIndex.build(aliased)
    b = WatchlistIndex.build(iter(aliased), pack_entries=True)
    valid = [e for e in aliased if e.is_valid_on(TODAY)][:20]
    assert len(valid) >= 10
    for e in valid:
        q = query(e.full_name, birth_date=e.birth_date, nationality=e.nationality, sex=e.sex)
        got = a.match(q, today=TODAY)
        assert e.entry_id in {h.entry_id for h in got}
        assert len({h.entry_id for h in got}) == len(got)  # one hit per entry
        assert [(h.entry_id, h.score, h.verdict, h.why) for h in got] == [
            (h.entry_id, h.score, h.verdict, h.why) for h in b.match(q, today=TODAY)
        ]
