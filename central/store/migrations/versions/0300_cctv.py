"""The CCTV watch's tables (issue 15, SOP-003-D05): alert gallery, signed snapshots, face alarms.

A branch of its own (like the workflows and the watch list) so it lands independently; the store
upgrades to "heads". Mirrors ``central/cctv/tables.py`` (a test compares them).

Revision ID: 0300
Revises: 0001
Create Date: 2026-11-22 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0300"
down_revision = "0001"
branch_labels = ("cctv",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cctv_gallery_entries",
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("watchlist_id", sa.String(length=64), nullable=True),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("added_at", TS, nullable=False),
        sa.Column("ended_by", sa.String(length=64), nullable=True),
        sa.Column("ended_at", TS, nullable=True),
        sa.Column("end_reason", sa.String(length=256), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("entry_id"),
    )
    op.create_index(
        "ix_cctv_gallery_entries_watchlist_id", "cctv_gallery_entries", ["watchlist_id"], unique=False
    )
    op.create_table(
        "cctv_gallery_faces",
        sa.Column("face_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("template", sa.LargeBinary(), nullable=False),
        sa.Column("photo_jpeg", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["entry_id"], ["cctv_gallery_entries.entry_id"]),
        sa.PrimaryKeyConstraint("face_id"),
    )
    op.create_index("ix_cctv_gallery_faces_entry_id", "cctv_gallery_faces", ["entry_id"], unique=False)
    op.create_table(
        "cctv_gallery_snapshots",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("signed", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "cctv_alarms",
        sa.Column("alarm_id", sa.String(length=36), nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("watchlist_id", sa.String(length=64), nullable=True),
        sa.Column("label", sa.String(length=128), server_default="", nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("snapshot_jpeg", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("alarm_id"),
    )
    op.create_index("ix_cctv_alarms_camera_id", "cctv_alarms", ["camera_id"], unique=False)
    op.create_index("ix_cctv_alarms_occurred_at", "cctv_alarms", ["occurred_at"], unique=False)
    op.create_index("ix_cctv_alarms_status", "cctv_alarms", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cctv_alarms_status", table_name="cctv_alarms")
    op.drop_index("ix_cctv_alarms_occurred_at", table_name="cctv_alarms")
    op.drop_index("ix_cctv_alarms_camera_id", table_name="cctv_alarms")
    op.drop_table("cctv_alarms")
    op.drop_table("cctv_gallery_snapshots")
    op.drop_index("ix_cctv_gallery_faces_entry_id", table_name="cctv_gallery_faces")
    op.drop_table("cctv_gallery_faces")
    op.drop_index("ix_cctv_gallery_entries_watchlist_id", table_name="cctv_gallery_entries")
    op.drop_table("cctv_gallery_entries")
