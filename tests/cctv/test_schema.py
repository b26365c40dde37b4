"""The 0300 migration creates exactly the tables central/cctv/tables.py declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from central.cctv import tables
from central.store import Store


def test_the_migration_creates_exactly_the_declared_cctv_tables() -> None:
    store = Store("sqlite://")
    try:
        with store.engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_name": lambda name, kind, _p: kind != "table" or name in tables.metadata.tables
                },
            )
            diff = compare_metadata(context, tables.metadata)
    finally:
        store.close()
    assert diff == []
