"""The 0200 migration creates exactly the tables central/watchlist/tables.py declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from central.store import Store
from central.watchlist import tables


def test_the_migration_creates_exactly_the_declared_watchlist_tables(store: Store) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={"include_name": lambda name, kind, _p: kind != "table" or name in tables.metadata.tables},
        )
        diff = compare_metadata(context, tables.metadata)
    assert diff == []
