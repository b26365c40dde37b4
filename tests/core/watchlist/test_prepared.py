"""Prepared snapshots: a gate loads the signed, built index and answers exactly as a fresh build would."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.watchlist import (
    PartialDate,
    Snapshot,
    SnapshotError,
    SnapshotSignatureError,
    WatchlistError,
    WatchlistIndex,
    load_prepared_file,
    load_prepared_snapshot,
    sign_prepared_snapshot,
    write_prepared_index,
)
from core.watchlist.synthetic import labelled_variants, synthetic_entries
from tests.core.watchlist.helpers import TODAY, entry, query

KEY = Ed25519PrivateKey.generate()
STAMP = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
ENTRIES = (
    *synthetic_entries(600, seed=3, today=TODAY),
    entry("HAND", "Siti Aminah binti Yusuf", sex="F", birth_date=PartialDate(1985, 2, 3)),
)
SNAP = Snapshot(4, ENTRIES, STAMP)


@pytest.fixture(scope="module")
def built() -> WatchlistIndex:
    return WatchlistIndex.build(ENTRIES)


@pytest.fixture(scope="module")
def signed(built: WatchlistIndex) -> bytes:
    return bytes(sign_prepared_snapshot(SNAP, KEY, index=built))  # as a gate reads it from a file


def test_loaded_index_answers_every_labelled_query_like_the_built_one(
    built: WatchlistIndex, signed: bytes
) -> None:
    loaded = load_prepared_snapshot(signed, KEY.public_key()).index
    queries = labelled_variants(list(ENTRIES), 4, seed=5, today=TODAY)
    assert queries
    for lq in queries:
        assert loaded.match(lq.query, today=TODAY) == built.match(lq.query, today=TODAY)


def test_loaded_hits_carry_the_full_entry_and_explanation(built: WatchlistIndex, signed: bytes) -> None:
    loaded = load_prepared_snapshot(signed, KEY.public_key()).index
    q = query("SITI AMINAH", sex="F", birth_date=PartialDate(1985, 2, 3), document_number="")
    got, want = loaded.match(q, today=TODAY), built.match(q, today=TODAY)
    assert got and got[0].entry == want[0].entry
    assert got[0].why == want[0].why


def test_prepared_snapshot_keeps_version_time_and_content_hash(signed: bytes) -> None:
    prepared = load_prepared_snapshot(signed, KEY.public_key())
    assert (prepared.version, prepared.created_at) == (4, STAMP)
    assert prepared.content_hash == SNAP.content_hash()
    assert len(prepared.index) == len(ENTRIES)
    assert list(prepared.index.entries) == list(ENTRIES)


def test_prepared_snapshot_signed_by_another_key_is_refused(signed: bytes) -> None:
    with pytest.raises(SnapshotSignatureError):
        load_prepared_snapshot(signed, Ed25519PrivateKey.generate().public_key())


def test_tampered_prepared_snapshot_is_refused(signed: bytes) -> None:
    tampered = bytearray(signed)
    tampered[len(tampered) // 2] ^= 1
    with pytest.raises(SnapshotSignatureError):
        load_prepared_snapshot(bytes(tampered), KEY.public_key())


def test_plain_snapshot_bytes_are_not_a_prepared_snapshot() -> None:
    from core.watchlist import sign_snapshot

    with pytest.raises(SnapshotError, match="not a prepared"):
        load_prepared_snapshot(sign_snapshot(SNAP, KEY), KEY.public_key())


def test_index_bytes_round_trip_without_signature(built: WatchlistIndex) -> None:
    again = WatchlistIndex.from_bytes(built.to_bytes())
    assert again.name_strings() == built.name_strings()
    assert again.to_bytes() == built.to_bytes()


def test_index_bytes_are_the_same_in_every_process(built: WatchlistIndex) -> None:
    # Hashes must not depend on PYTHONHASHSEED, or a shipped index would miss every token.
    import subprocess
    import sys

    code = (
        "import sys; from core.watchlist import WatchlistIndex; "
        "from core.watchlist.synthetic import synthetic_entries; "
        "from tests.core.watchlist.helpers import TODAY; "
        "entries = list(synthetic_entries(50, seed=1, today=TODAY)); "
        "sys.stdout.buffer.write(WatchlistIndex.build(entries).to_bytes())"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, check=True, env={"PYTHONHASHSEED": seed}
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outs) == 1


def test_garbage_is_not_an_index() -> None:
    with pytest.raises(WatchlistError, match="not a saved watch-list index"):
        WatchlistIndex.from_bytes(b"WLS1 something else")


def test_truncated_index_is_reported_as_malformed(built: WatchlistIndex) -> None:
    data = built.to_bytes()
    with pytest.raises(WatchlistError, match="malformed"):
        WatchlistIndex.from_bytes(data[: len(data) // 2])


def test_empty_index_round_trips_and_answers_nothing() -> None:
    empty = WatchlistIndex.from_bytes(WatchlistIndex.build([]).to_bytes())
    assert len(empty) == 0
    assert empty.match(query(), today=TODAY) == []


def test_loaded_entries_read_in_any_order_are_the_listed_ones(signed: bytes) -> None:
    entries = load_prepared_snapshot(signed, KEY.public_key()).index.entries
    picks = [len(ENTRIES) - 1, 0, 300, 129, 128, 127, -1]
    assert [entries[i] for i in picks] == [ENTRIES[i] for i in picks]
    with pytest.raises(IndexError):
        entries[len(ENTRIES)]


def test_written_to_a_file_it_is_the_same_signed_bytes_and_loads_mapped(
    built: WatchlistIndex, signed: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "v4.wlp"
    sha256, size = write_prepared_index(path, built, 4, STAMP, SNAP.content_hash(), KEY)
    assert path.read_bytes() == signed  # Ed25519 is deterministic: the same message, the same bytes
    assert (sha256, size) == (hashlib.sha256(signed).hexdigest(), len(signed))
    prepared = load_prepared_file(path, KEY.public_key())
    assert (prepared.version, prepared.content_hash) == (4, SNAP.content_hash())
    q = query("SITI AMINAH", sex="F", birth_date=PartialDate(1985, 2, 3), document_number="")
    assert prepared.index.match(q, today=TODAY) == built.match(q, today=TODAY)
    assert path.read_bytes() == signed  # the in-place check of the signature never wrote the file


def test_a_writable_buffer_is_verified_in_place_and_left_as_it_was(signed: bytes) -> None:
    buffer = bytearray(signed)
    load_prepared_snapshot(buffer, KEY.public_key())
    assert buffer == signed
    buffer[-1] ^= 1
    with pytest.raises(SnapshotSignatureError):
        load_prepared_snapshot(buffer, KEY.public_key())
    buffer[-1] ^= 1
    assert buffer == signed


def test_a_tampered_or_empty_file_is_refused(signed: bytes, tmp_path: Path) -> None:
    tampered = bytearray(signed)
    tampered[len(tampered) // 3] ^= 4
    (tmp_path / "bad.wlp").write_bytes(tampered)
    with pytest.raises(SnapshotSignatureError):
        load_prepared_file(tmp_path / "bad.wlp", KEY.public_key())
    (tmp_path / "empty.wlp").write_bytes(b"")
    with pytest.raises(SnapshotError):
        load_prepared_file(tmp_path / "empty.wlp", KEY.public_key())
