"""The CCTV tables (SQLAlchemy Core), on their own ``MetaData`` beside ``central.store.schema``.

The Alembic migration ``0300_cctv`` (branch ``cctv``) creates them; the store upgrades to "heads" when it
opens, and a test compares that migration with these declarations.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
TS = sa.DateTime(timezone=True)

gallery_entries = sa.Table(
    "cctv_gallery_entries",
    metadata,
    sa.Column("entry_id", sa.String(36), primary_key=True),
    sa.Column("watchlist_id", sa.String(64), nullable=True, index=True),
    sa.Column("label", sa.String(128), nullable=False),
    sa.Column("added_by", sa.String(64), nullable=False),
    sa.Column("added_at", TS, nullable=False),
    sa.Column("ended_by", sa.String(64), nullable=True),
    sa.Column("ended_at", TS, nullable=True),
    sa.Column("end_reason", sa.String(256), nullable=False, server_default=""),
)

gallery_faces = sa.Table(
    "cctv_gallery_faces",
    metadata,
    sa.Column("face_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "entry_id", sa.String(36), sa.ForeignKey("cctv_gallery_entries.entry_id"), nullable=False, index=True
    ),
    sa.Column("template", sa.LargeBinary, nullable=False),
    sa.Column("photo_jpeg", sa.LargeBinary, nullable=True),  # the reference shown beside the snapshot
)

gallery_snapshots = sa.Table(
    "cctv_gallery_snapshots",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("issued_at", TS, nullable=False),
    sa.Column("issued_by", sa.String(64), nullable=False),
    sa.Column("entries", sa.Integer, nullable=False),
    sa.Column("signed", sa.LargeBinary, nullable=False),
)

alarms = sa.Table(
    "cctv_alarms",
    metadata,
    sa.Column("alarm_id", sa.String(36), primary_key=True),
    sa.Column("camera_id", sa.String(64), nullable=False, index=True),
    sa.Column("entry_id", sa.String(64), nullable=False),
    sa.Column("watchlist_id", sa.String(64), nullable=True),
    sa.Column("label", sa.String(128), nullable=False, server_default=""),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("threshold", sa.Float, nullable=False),
    sa.Column("track_id", sa.Integer, nullable=False),
    sa.Column("occurred_at", TS, nullable=False, index=True),
    sa.Column("received_at", TS, nullable=False),
    sa.Column("snapshot_jpeg", sa.LargeBinary, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    # Each SOP step done: {"examined": {"by", "at", "notes"}, "reported": {...}, ...}
    sa.Column("steps", sa.JSON, nullable=False, default=dict),
    sa.Column("report_id", sa.Integer, nullable=True),
)
