"""Watch-list entries, versions and per-version changes (issue 7, central part).

A branch of its own (like the workflows) so it lands independently; the store upgrades to "heads".

Revision ID: 0200
Revises: 0001
Create Date: 2026-11-22 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0200"
down_revision = "0001"
branch_labels = ("watchlist",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "wl_entries",
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("list", sa.String(length=32), nullable=False),
        sa.Column("full_name", sa.String(length=256), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name="pk_wl_entries"),
    )
    op.create_index("ix_wl_entries_list", "wl_entries", ["list"])
    op.create_index("ix_wl_entries_full_name", "wl_entries", ["full_name"])
    op.create_table(
        "wl_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("snapshot", sa.LargeBinary(), nullable=False),
        sa.Column("snapshot_sha256", sa.String(length=64), nullable=False),
        sa.Column("snapshot_size", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_wl_versions"),
    )
    op.create_table(
        "wl_changes",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("version", "entry_id", name="pk_wl_changes"),
    )


def downgrade() -> None:
    op.drop_table("wl_changes")
    op.drop_table("wl_versions")
    op.drop_index("ix_wl_entries_full_name", table_name="wl_entries")
    op.drop_index("ix_wl_entries_list", table_name="wl_entries")
    op.drop_table("wl_entries")
