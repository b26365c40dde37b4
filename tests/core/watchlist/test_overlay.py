"""A prepared base with deltas on an overlay answers exactly as a fresh build of the same version."""

from __future__ import annotations

import dataclasses
import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import core.watchlist.index as index_module
from core.watchlist import (
    Delta,
    Hit,
    MatchConfig,
    OverlayIndex,
    PartialDate,
    Query,
    Snapshot,
    VersionChainError,
    WatchlistEntry,
    WatchlistIndex,
    load_prepared_snapshot,
    sign_prepared_snapshot,
)
from core.watchlist.synthetic import labelled_variants, synthetic_entries, synthetic_entry
from tests.core.watchlist.helpers import TODAY, entry

KEY = Ed25519PrivateKey.generate()
STAMP = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def _changed(rng: random.Random, e: WatchlistEntry, pool: list[WatchlistEntry]) -> WatchlistEntry:
    kind = rng.randrange(5)
    if kind == 0:  # another person's name: its tokens now count twice, or elsewhere
        return dataclasses.replace(e, full_name=rng.choice(pool).full_name)
    if kind == 1:
        b = e.birth_date or PartialDate(1970)
        return dataclasses.replace(e, birth_date=PartialDate(b.year + rng.choice((-1, 1)), 3, 9))
    if kind == 2:  # ended: never hits again
        return dataclasses.replace(e, valid_until=TODAY - timedelta(days=1))
    if kind == 3:
        return dataclasses.replace(e, document_numbers=(f"Z{rng.randrange(10**7):07d}",))
    return dataclasses.replace(e, aliases=(rng.choice(pool).full_name,), nationality="MYS")


def _versions(seed: int, steps: int = 3) -> list[Snapshot]:
    """Version 1 (the base) and ``steps`` more, each removing, changing and adding entries; added
    entries often reuse listed names so token counts (the rare-token rule) move across versions."""
    rng = random.Random(seed)
    entries = {e.entry_id: e for e in synthetic_entries(300, seed=seed, today=TODAY)}
    out = [Snapshot(1, tuple(entries[k] for k in sorted(entries)), STAMP)]
    for step in range(steps):
        pool = list(entries.values())
        for eid in rng.sample(sorted(entries), 10):
            del entries[eid]
        for eid in rng.sample(sorted(entries), 15):
            entries[eid] = _changed(rng, entries[eid], pool)
        for n in range(15):
            new = synthetic_entry(rng, 10_000 * (step + 1) + n, TODAY)
            if rng.random() < 0.6:
                new = dataclasses.replace(new, full_name=rng.choice(pool).full_name)
            entries[new.entry_id] = new
        if step == 0:  # an entry removed from the base comes back under the same id
            back = out[0].entries[0]
            entries[back.entry_id] = dataclasses.replace(back, reason="listed again")
        out.append(
            Snapshot(step + 2, tuple(entries[k] for k in sorted(entries)), STAMP + timedelta(hours=step + 1))
        )
    return out


def _queries(versions: list[Snapshot], seed: int) -> list[Query]:
    last = list(versions[-1].entries)
    gone = [e for e in versions[0].entries if e.entry_id not in {x.entry_id for x in last}]
    qs = [lq.query for lq in labelled_variants(last, 12, seed=seed, today=TODAY)]
    qs += [lq.query for lq in labelled_variants(gone, 2, seed=seed + 1, today=TODAY)] if gone else []
    # The same names without a birth date: candidates from every year, hits by name alone.
    qs += [dataclasses.replace(q, birth_date=None, document_number="") for q in qs[::3]]
    return qs


def _base(snapshot: Snapshot, config: MatchConfig) -> WatchlistIndex:
    """The base as a gate has it: the signed prepared snapshot, verified and mapped."""
    data = bytes(sign_prepared_snapshot(snapshot, KEY, config))
    return load_prepared_snapshot(data, KEY.public_key()).index


def _answers(hits: list[Hit]) -> list[tuple[str, float, str]]:
    return [(h.entry_id, h.score, h.verdict.value) for h in hits]


@pytest.mark.parametrize("seed", [5, 17])
@pytest.mark.parametrize("rare_posting", [64, 2])  # 2: the rare-token rule changes with every delta
@pytest.mark.parametrize("skip_postings", [2048, 3])  # 3: the common-token path runs too
def test_overlay_answers_as_a_fresh_build_of_the_same_version(
    seed: int, rare_posting: int, skip_postings: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_module, "_SKIP_POSTINGS", skip_postings)
    config = MatchConfig(rare_posting=rare_posting)
    versions = _versions(seed)
    overlay = OverlayIndex(_base(versions[0], config))
    for old, new in itertools.pairwise(versions):
        overlay = overlay.apply_delta(Delta.between(old, new), old.version, old.content_hash())
    final = versions[-1]
    fresh = WatchlistIndex.build(final.entries, config)
    assert len(overlay) == len(final.entries)
    assert overlay.content_hash(final.version) == final.content_hash()
    queries = _queries(versions, seed)
    hits_seen = 0
    for q in queries:
        for lists in (None, ["pencegahan"]):
            got, want = overlay.match(q, today=TODAY, lists=lists), fresh.match(q, today=TODAY, lists=lists)
            assert _answers(got) == _answers(want), q
            hits_seen += len(got)
            if got:
                assert got[0].why == want[0].why and got[0].entry == want[0].entry
    assert hits_seen > len(queries)  # the comparison is not between two empty answers


def test_removed_and_changed_base_entries_no_longer_hit() -> None:
    versions = _versions(3, steps=1)
    base, nxt = versions
    overlay = OverlayIndex(_base(base, MatchConfig())).apply_delta(
        Delta.between(base, nxt), base.version, base.content_hash()
    )
    now = {e.entry_id: e for e in nxt.entries}
    checked = 0
    for e in base.entries:
        if now.get(e.entry_id) == e:
            continue
        doc = e.document_numbers[0] if e.document_numbers else ""
        for q in (Query(e.full_name, e.birth_date, e.nationality, e.sex, doc), Query(e.full_name)):
            for hit in overlay.match(q, today=TODAY):
                if hit.entry_id == e.entry_id:
                    assert e.entry_id in now, "a removed entry hit"
                    assert hit.entry == now[e.entry_id]  # the changed form answers, never the old one
                    checked += 1
    assert checked > 0


def test_a_delta_that_does_not_follow_or_does_not_produce_its_hash_is_refused() -> None:
    v1, v2, v3 = _versions(9, steps=2)
    overlay = OverlayIndex(_base(v1, MatchConfig()))
    with pytest.raises(VersionChainError, match="does not apply"):
        overlay.apply_delta(Delta.between(v2, v3), v1.version, v1.content_hash())
    with pytest.raises(VersionChainError, match="base hash"):
        overlay.apply_delta(Delta.between(v1, v2), v1.version, b"\0" * 32)
    wrong = dataclasses.replace(Delta.between(v1, v2), result_hash=v3.content_hash())
    with pytest.raises(VersionChainError, match="different list"):
        overlay.apply_delta(wrong, v1.version, v1.content_hash())
    assert overlay.content_hash(v1.version) == v1.content_hash()


def _petrova(entry_id: str, given: str) -> WatchlistEntry:
    return entry(
        entry_id, f"{given} PETROVA", nationality="RUS", sex="F", birth_date=PartialDate(1980, 3, 4),
        document_numbers=(),
    )  # fmt: skip


def test_rarity_counts_the_base_and_the_overlay_together() -> None:
    # "OGFA" is two errors away from "OLGA" (a 4-letter token allows one), so only "PETROVA" votes:
    # the names are candidates only while PETROVA is rare (here: in at most 2 names of 1980).
    config = MatchConfig(rare_posting=2)
    q = Query("OGFA PETROVA", PartialDate(1980, 3, 4), "RUS", "F")
    v1 = Snapshot(1, (_petrova("R1", "OLGA"), _petrova("R2", "IRINA")), STAMP)
    v2 = Snapshot(2, (*v1.entries, _petrova("R3", "NADIA")), STAMP)  # a third: no longer rare
    v3 = Snapshot(3, (v1.entries[0], v2.entries[2]), STAMP)  # R2 removed: rare again
    base = _base(v1, config)
    assert "R1" in [h.entry_id for h in base.match(q, today=TODAY)]
    at_v2 = OverlayIndex(base).apply_delta(Delta.between(v1, v2), 1, v1.content_hash())
    assert WatchlistIndex.build(v2.entries, config).match(q, today=TODAY) == []
    assert at_v2.match(q, today=TODAY) == []
    at_v3 = at_v2.apply_delta(Delta.between(v2, v3), 2, v2.content_hash())
    fresh = WatchlistIndex.build(v3.entries, config).match(q, today=TODAY)
    assert "R1" in [h.entry_id for h in fresh]
    assert _answers(at_v3.match(q, today=TODAY)) == _answers(fresh)
