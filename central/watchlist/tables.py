"""The watch-list tables (SQLAlchemy Core), created by the ``0200_watchlist`` Alembic revision.

Kept on their own ``MetaData`` so the central store's schema module stays untouched; a test compares
them with the migrated database.

* ``wl_entries``: the current state of every entry (ended entries stay, with their ``valid_until``).
* ``wl_versions``: one row per list version (every change makes one), with its signed snapshot.
* ``wl_changes``: what each version changed (before/after per entry), from which deltas are built.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
TS = sa.DateTime(timezone=True)

entries = sa.Table(
    "wl_entries",
    metadata,
    sa.Column("entry_id", sa.String(64), primary_key=True),
    sa.Column("list", sa.String(32), nullable=False, index=True),
    sa.Column("full_name", sa.String(256), nullable=False, index=True),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("changed_at", TS, nullable=False),
)

versions = sa.Table(
    "wl_versions",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("entries", sa.Integer, nullable=False),
    sa.Column("changes", sa.Integer, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("snapshot", sa.LargeBinary, nullable=False),
    sa.Column("snapshot_sha256", sa.String(64), nullable=False),
    sa.Column("snapshot_size", sa.Integer, nullable=False),
    sa.Column("key_id", sa.String(32), nullable=False),
)

changes = sa.Table(
    "wl_changes",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("entry_id", sa.String(64), primary_key=True),
    sa.Column("before", sa.JSON, nullable=True),
    sa.Column("after", sa.JSON, nullable=True),
)
