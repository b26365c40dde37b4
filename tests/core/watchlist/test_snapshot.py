"""Signed snapshots and deltas: what a gate accepts, and what it must refuse."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from core.watchlist import (
    Delta,
    PartialDate,
    Snapshot,
    SnapshotError,
    SnapshotSignatureError,
    VersionChainError,
    apply_delta,
    sign_delta,
    sign_snapshot,
    verify_delta,
    verify_snapshot,
)
from core.watchlist.snapshot import pack_entry, unpack_entry
from tests.core.watchlist.helpers import entry

KEY = Ed25519PrivateKey.generate()
STAMP = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
V1 = Snapshot(1, (entry("A"), entry("B", "Siti Aminah", sex="F")), STAMP)
V2 = Snapshot(
    2,
    (
        dataclasses.replace(entry("A"), reason="diperbarui", changed_by="op1", changed_at=STAMP),
        entry("C", "Budi"),
    ),
    STAMP,
)


def test_a_signed_snapshot_verifies_and_decodes_to_the_same_entries() -> None:
    got = verify_snapshot(sign_snapshot(V1, KEY), KEY.public_key())
    assert got == V1


def test_a_snapshot_signed_by_another_key_is_refused() -> None:
    data = sign_snapshot(V1, Ed25519PrivateKey.generate())
    with pytest.raises(SnapshotSignatureError):
        verify_snapshot(data, KEY.public_key())


def test_a_tampered_snapshot_is_refused() -> None:
    data = bytearray(sign_snapshot(V1, KEY))
    data[-5] ^= 0x01
    with pytest.raises(SnapshotSignatureError):
        verify_snapshot(bytes(data), KEY.public_key())


def test_a_truncated_file_is_not_a_snapshot() -> None:
    with pytest.raises(SnapshotError, match="truncated"):
        verify_snapshot(b"WLS1" + b"\0" * 10, KEY.public_key())


def test_a_delta_is_not_accepted_as_a_snapshot() -> None:
    data = sign_delta(Delta.between(V1, V2), KEY)
    with pytest.raises(SnapshotError, match="magic"):
        verify_snapshot(data, KEY.public_key())


def test_a_delta_turns_one_version_into_the_next() -> None:
    delta = verify_delta(sign_delta(Delta.between(V1, V2), KEY), KEY.public_key())
    assert (delta.removals, [e.entry_id for e in delta.upserts]) == (("B",), ["A", "C"])
    assert apply_delta(V1, delta).content_hash() == V2.content_hash()


def test_a_delta_for_another_base_version_breaks_the_chain() -> None:
    v3 = Snapshot(3, (*V2.entries, entry("D", "Ani")), STAMP)
    with pytest.raises(VersionChainError, match="does not apply to version 1"):
        apply_delta(V1, Delta.between(V2, v3))


def test_a_delta_over_a_locally_different_list_breaks_the_chain() -> None:
    local = Snapshot(1, (entry("A"),), STAMP)  # same number, other content
    with pytest.raises(VersionChainError, match="base hash"):
        apply_delta(local, Delta.between(V1, V2))


def test_a_delta_that_does_not_produce_its_announced_version_is_refused() -> None:
    bad = dataclasses.replace(Delta.between(V1, V2), removals=())
    with pytest.raises(VersionChainError, match="different list"):
        apply_delta(V1, bad)


def test_versions_only_grow() -> None:
    with pytest.raises(VersionChainError):
        Delta.between(V2, V1)


def test_the_content_hash_ignores_entry_order() -> None:
    assert Snapshot(1, tuple(reversed(V1.entries)), STAMP).content_hash() == V1.content_hash()


@settings(max_examples=50)
@given(
    year=st.integers(1900, 2020),
    month=st.one_of(st.none(), st.integers(1, 12)),
    aliases=st.lists(st.text(min_size=1, max_size=8), max_size=2),
)
def test_packed_entries_unpack_identical(year: int, month: int | None, aliases: list[str]) -> None:
    e = entry("P", birth_date=PartialDate(year, month, 1 if month else None), aliases=tuple(aliases))
    assert unpack_entry(pack_entry(e)) == e
