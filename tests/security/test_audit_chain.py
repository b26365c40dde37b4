"""Issue 12: the audit trail is a hash chain; ``central audit verify`` names the first tampered row."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from central import audit_chain, cli_audit
from central.store import Store
from core.clock import ManualClock


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    s = Store(sqlite_url)
    clock = ManualClock()
    for n in range(5):
        s.audit(f"officer-{n}", "login", now=clock.now(), target="dashboard", ip="127.0.0.1")
        clock.advance(1)
    yield s
    s.close()


def ids(store: Store) -> list[int]:
    return sorted(r["audit_id"] for r in store.audit_trail())


def test_an_untouched_trail_verifies(
    store: Store, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_audit.main(["verify", "--db", sqlite_url]) == 0
    assert "5 rows" in capsys.readouterr().out


def test_an_edited_row_is_named(store: Store, sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    third = ids(store)[2]
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit SET actor = 'someone-else' WHERE audit_id = ?", (third,))
    assert cli_audit.main(["verify", "--db", sqlite_url]) == 1
    assert f"audit_id {third}: the row was changed" in capsys.readouterr().err


def test_a_deleted_row_is_named(store: Store) -> None:
    second = ids(store)[1]
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit WHERE audit_id = ?", (second,))
    verdict = audit_chain.verify(store.engine)
    assert (verdict.broken_id, verdict.checked) == (ids(store)[1], 1)


def test_a_row_slipped_in_without_the_chain_is_named(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO audit (at, actor, action, target, details) "
            "VALUES ('2026-01-01 00:00:00', 'x', 'login', '', '{}')"
        )
    verdict = audit_chain.verify(store.engine)
    assert verdict.broken_id == max(ids(store))
    assert "no chain entry" in verdict.reason


def test_each_row_chains_to_the_one_before(store: Store) -> None:
    with store.engine.connect() as conn:
        links = conn.execute(sa.select(audit_chain.chain).order_by(audit_chain.chain.c.audit_id)).all()
    assert links[0].prev_hash == audit_chain.GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(links))


def test_the_migration_creates_exactly_the_declared_chain_table() -> None:
    store = Store("sqlite://")
    try:
        with store.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_name": lambda name, kind, _p: kind != "table" or name == "audit_chain"}
            )
            diff = compare_metadata(context, audit_chain.metadata)
    finally:
        store.close()
    assert diff == []
